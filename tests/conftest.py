"""Shared fixtures. Service fixtures live in tests/plugins/ (one module per real service)."""

pytest_plugins = [
    "tests.plugins.pubsub",
    "tests.plugins.databases",
    "tests.plugins.model",
    "tests.plugins.private_postgres",
]
