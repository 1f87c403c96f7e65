"""HTTP plumbing that every domain's router shares: the services accessor, the caller of a
request, `RoleChecker`, error answers, response helpers and middleware. It imports no domain."""
