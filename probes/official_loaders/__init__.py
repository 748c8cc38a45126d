"""Loaders of the official MultiTrust data, one module per dimension; each registers its tasks' loaders."""
