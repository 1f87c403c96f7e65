"""Authentication: password hashing, access tokens, the login backend and who is calling."""
