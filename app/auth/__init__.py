"""Logging in and out: the password login, token refresh and revocation, registration, password
reset and email verification under `/auth`, and the JWK Set. fastapi-users provides the
registration, login and token-issuing routes, through the one adapter module `app.auth.adapter`."""
