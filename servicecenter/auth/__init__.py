"""Accounts, roles, login sessions and permissions."""
