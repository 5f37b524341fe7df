"""Fakes of the services the bot talks to, for tests."""
