"""The web console at `/console/`: static pages (plain ES modules shipped as package data) and
the cookie sign-in routes that keep the browser's refresh token out of reach of scripts.

The pages call the public API only, with an access token they keep in memory; the console's own
routes (`/console/session*`) are documented operations like every other.
"""
