"""Per-account lockout: consecutive failed password logins lock an account's password login."""
