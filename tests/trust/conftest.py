"""The trust tests drive Slack and Teams through their real endpoints: the same harnesses."""

from tests.slack.conftest import slack
from tests.teams.conftest import local_teams, teams, teams_unconfigured

__all__ = ["local_teams", "slack", "teams", "teams_unconfigured"]
