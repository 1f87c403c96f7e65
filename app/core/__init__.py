"""Primitives: what every other layer builds on. Nothing here imports FastAPI or a domain.

Secrets and keyed hashes, password hashing, the access-token codec and its signing keys, roles and
permissions, the value types that describe a caller, and the error base class.
"""
