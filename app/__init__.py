"""Gatehouse: accounts, OAuth2 password login with JWT, roles, API keys and rate limits."""
