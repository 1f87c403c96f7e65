"""Liveness (/health) and readiness (/ready) for load balancers and orchestrators."""
