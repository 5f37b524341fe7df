"""Teams fixtures are shared with the jobs tests (digests and reminders post through Teams)."""

from tests.teams.conftest import teams  # noqa: F401
