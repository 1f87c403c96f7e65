"""What Gatehouse takes from fastapi-users-db-sqlalchemy: the one module that imports it.

The user table's columns (`SQLAlchemyBaseUserTableUUID`), the UUID column type every table's ids
use (`GUID`: native UUID on PostgreSQL, 36 characters on SQLite), and fastapi-users' user database
adapter.
"""

from fastapi_users_db_sqlalchemy import SQLAlchemyBaseUserTableUUID, SQLAlchemyUserDatabase
from fastapi_users_db_sqlalchemy.generics import GUID

__all__ = ["GUID", "SQLAlchemyBaseUserTableUUID", "SQLAlchemyUserDatabase"]
