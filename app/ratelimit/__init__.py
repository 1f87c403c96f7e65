"""Per-client rate limits (slowapi): who the client is, which routes are limited, and the answers."""
