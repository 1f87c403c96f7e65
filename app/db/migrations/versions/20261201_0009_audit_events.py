"""The audit trail: `audit_events`, with an index per listing filter.

`target_user_id` is no foreign key: a user's events outlive the account.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from fastapi_users_db_sqlalchemy.generics import GUID

from app.db.base import UTCDateTime

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every filter of GET /admin/audit-events, each ending in the listing's order.
INDEXES = {
    "ix_audit_events_occurred_at_id": ["occurred_at", "id"],
    "ix_audit_events_type_occurred_at_id": ["type", "occurred_at", "id"],
    "ix_audit_events_actor_id_occurred_at_id": ["actor_id", "occurred_at", "id"],
    "ix_audit_events_target_user_id_occurred_at_id": ["target_user_id", "occurred_at", "id"],
    "ix_audit_events_ip_address_occurred_at_id": ["ip_address", "occurred_at", "id"],
}


def upgrade() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", GUID(), nullable=False),
        sa.Column("occurred_at", UTCDateTime(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("actor_kind", sa.String(length=16), nullable=False),
        sa.Column("actor_id", GUID(), nullable=True),
        sa.Column("target_user_id", GUID(), nullable=True),
        sa.Column("ip_address", sa.String(length=45), nullable=True),
        sa.Column("user_agent", sa.String(length=512), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_events")),
    )
    for name, columns in INDEXES.items():
        op.create_index(name, "audit_events", columns)


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="audit_events")
    op.drop_table("audit_events")
