"""Database access: the declarative base, the engine and sessions, and the migrations."""
