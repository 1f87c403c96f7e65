"""API keys: long-lived credentials for scripts and services, created, listed and revoked by their
owner, capped to a role, and accepted by every route that accepts a logged-in user."""
