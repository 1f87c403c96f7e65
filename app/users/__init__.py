"""Accounts: the user model, fastapi-users' manager, `/users/me` and the admin user routes."""
