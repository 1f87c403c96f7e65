"""What each worker remembers about users, sessions and API keys, and how it learns to forget.

One interface (`AuthState`) over a bounded cache (`cache`) and the change feed (`changes`): lookups
make themselves fresh, updates replace an entry only if it is still the one that was read, and the
loaders that fill it on a miss are injected by the domains that own the tables, so nothing here
imports a domain. `Authenticator` turns an access token or an API key into a `Caller` with it.
"""
