"""The audit trail: who did what to which account, from where, and when (`audit_events`)."""
