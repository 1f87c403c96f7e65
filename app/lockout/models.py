"""The failure streak of one login identifier."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db.base import Base, UTCDateTime
from app.db.fastapi_users_db import GUID


class LoginLockout(Base):
    """Consecutive failed logins for one email, and the lock they caused.

    Rows are keyed by an HMAC of the normalised email, not by user: an email that has no account
    is counted and locked exactly like one that has, and its email is never stored.
    """

    __tablename__ = "login_lockouts"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    failed_count: Mapped[int] = mapped_column(Integer, nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    last_failed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # The account that had this email at the latest failure (NULL for none): what lets the admin
    # list find locked accounts. No foreign key: a streak outlives the account, as for any email.
    user_id: Mapped[uuid.UUID | None] = mapped_column(GUID, nullable=True, index=True)
