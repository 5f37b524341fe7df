"""Who may see and change what. One place for the rules, so every command applies the same ones.

- A project is changed (stage, weeknotes, members, deletion) by its owner, its members or a
  community manager. A project nobody owns (imported, demo) is changed by community managers
  only; its team can `project claim` it.
- A weeknote marked internal is seen by its author, by people of its organisation (owners and
  members of that organisation's projects) and by community managers; nobody else, anywhere.
- Whoever uses the terminal chat (`hasanyone chat`) is the operator of this installation, with
  the database at hand, so they count as a community manager.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.model import Project, Weeknote


@dataclass(frozen=True, slots=True)
class Access:
    """The rules, with the community managers named by the configuration."""

    community_managers: frozenset[str] = frozenset()
    operator_platforms: frozenset[str] = frozenset({"console"})

    def is_manager(self, person_key: str) -> bool:
        platform = person_key.split(":", 1)[0]
        return person_key in self.community_managers or platform in self.operator_platforms

    def may_change(self, project: Project, person_key: str) -> bool:
        return (
            person_key == project.owner_key
            or person_key in project.member_keys
            or self.is_manager(person_key)
        )

    def may_see(self, note: Weeknote, person_key: str, organisations: frozenset[str]) -> bool:
        """`organisations`: the ones the person belongs to (ProjectDirectory.organisations_of)."""
        return (
            not note.internal
            or note.author_key == person_key
            or note.organisation_id in organisations
            or self.is_manager(person_key)
        )

    def internal_visible_to(
        self, person_key: str, organisations: frozenset[str]
    ) -> frozenset[str] | None:
        """The organisations whose internal weeknotes `person_key` may read (None: all of them),
        for stores that filter while they query."""
        return None if self.is_manager(person_key) else organisations
