"""Shared fixtures. Server fixtures live in tests/servers/fixtures.py (a pytest plugin)."""

pytest_plugins = ("tests.servers.fixtures",)
