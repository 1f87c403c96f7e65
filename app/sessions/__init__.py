"""Login sessions: one per login, each with its family of rotating refresh tokens.

Access tokens name their session (`sid`), so ending a session (logout, a password change, an
admin, reuse of a spent refresh token) stops its access tokens on the next request as well.
"""
