"""Roles, their permissions (as data) and the RoleChecker dependency that gates routes."""
