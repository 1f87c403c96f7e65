"""Mail: the outbox, its templates, the background sender and the admin view of it."""
