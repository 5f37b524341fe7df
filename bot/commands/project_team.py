"""A project's team: who may change it (bot.access decides), its members, claiming a project
nobody owns, and deleting one. Every refusal names who can help."""

from __future__ import annotations

from bot.commands.base import Services, error, split_word
from bot.model import Action, ActionPayload, Incoming, Person, Project, Reply
from bot.ports import NotFound
from bot.text import code

MEMBERS_USAGE = "project members PROJECT-ID [add|remove @person]"
CLAIM_USAGE = "project claim PROJECT-ID              (a project nobody owns yet)"
DELETE_USAGE = "project delete PROJECT-ID"
DELETE, CANCEL, APPROVE, REFUSE = "project_delete", "cancel", "claim_approve", "claim_refuse"


def find_project(project_id: str, services: Services, *, usage: str) -> Project | Reply:
    """The project with that id, or the reply saying there is none."""
    project = services.projects.get_project(project_id) if project_id else None
    if project is not None:
        return project
    said = f"There is no project with the id “{project_id}”." if project_id else "Which project?"
    return error(said, usage=usage)


def refusal(project: Project, doing: str, services: Services) -> str:
    """Why someone may not `doing` a project, and who can help: its owner, by name, or (for a
    project nobody owns) how to claim it."""
    if project.owner_key is None:
        return (
            f"Only {project.title}'s team can {doing}, and nobody has claimed it yet. "
            f"If it is yours, say {code(f'project claim {project.id}')} and a community "
            "manager will make you its owner."
        )
    owner = services.people.display_name(project.owner_key) or "its owner"
    return (
        f"Only {project.title}'s team can {doing}. It belongs to {owner}: ask them to add you "
        f"with {code(f'project members {project.id} add @you')}."
    )


def members(rest: str, incoming: Incoming, services: Services) -> Reply:
    project_id, rest = split_word(rest)
    verb, who = split_word(rest)
    project = find_project(project_id, services, usage=MEMBERS_USAGE)
    if isinstance(project, Reply):
        return project
    if not verb:
        return _member_list(project, services)
    if verb not in ("add", "remove"):
        return error(f"Add or remove, not “{verb}”.", usage=MEMBERS_USAGE)
    people = _members_named(project, who, incoming, services)
    if isinstance(people, Reply):
        return people
    now = services.clock.now()
    names = ", ".join(p.name or p.key for p in people)
    if verb == "add":
        for person in people:
            services.projects.add_member(project.id, person.key, by=incoming.sender, now=now)
        return Reply(text=f"{names} can now post weeknotes for {project.title}.", tone="done")
    for person in people:
        services.projects.remove_member(project.id, person.key)
    return Reply(text=f"{names} can no longer post weeknotes for {project.title}.", tone="done")


def _member_list(project: Project, services: Services) -> Reply:
    owner = (
        (services.people.display_name(project.owner_key) or project.owner_key)
        if project.owner_key
        else "nobody yet"
    )
    members = [services.people.display_name(k) or k for k in project.member_keys]
    listed = ", ".join(members) if members else "none"
    return Reply(text=f"{project.title}: owner {owner}; members {listed}.", private=True)


def _members_named(
    project: Project, who: str, incoming: Incoming, services: Services
) -> tuple[Person, ...] | Reply:
    """The people a `members add|remove` names, if the sender may change the team."""
    sender = incoming.sender.key
    if sender != project.owner_key and not services.access.is_manager(sender):
        return error(refusal(project, "change who is in its team", services))
    return _people(who, incoming, services)


def _people(who: str, incoming: Incoming, services: Services) -> tuple[Person, ...] | Reply:
    """Who `project members … add|remove` names: the people mentioned (the platform says who
    they are), else someone the bot knows in this community by name or user id."""
    if incoming.mentions:
        return incoming.mentions
    name = who.strip().lstrip("@").strip()
    if not name:
        return error("Who? Mention them, like @Sam.", usage=MEMBERS_USAGE)
    found = services.people.find_people(incoming.conversation.community, name)
    if len(found) == 1:
        return (found[0],)
    if not found:
        return error(
            f"I don't know anyone called “{name}” here yet. Mention them (@name), "
            "or ask them to say hello to me first."
        )
    return error(f"More than one person is called “{name}”: mention the one you mean.")


def claim(rest: str, incoming: Incoming, services: Services) -> Reply:
    project_id, _ = split_word(rest)
    project = find_project(project_id, services, usage=CLAIM_USAGE)
    if isinstance(project, Reply):
        return project
    sender, now = incoming.sender, services.clock.now()
    if project.owner_key == sender.key:
        return Reply(text=f"{project.title} is yours already.", private=True)
    if project.owner_key is not None:
        return error(refusal(project, "post into it or change it", services))
    if services.access.is_manager(sender.key):
        services.projects.set_owner(project.id, sender.key, now=now)
        return Reply(text=f"You are a community manager, so {project.title} is yours now.")
    if not services.access.community_managers:
        return error(
            "Nobody here can approve a claim yet: no community manager is set up "
            "(HASANYONE_COMMUNITY_MANAGERS). Ask whoever runs hasanyone for your community."
        )
    return _ask_managers(project, sender, services)


def _ask_managers(project: Project, sender: Person, services: Services) -> Reply:
    now = services.clock.now()
    claim = services.claims.open_claim(project.id, sender, now=now)
    if claim is None:
        return Reply(
            text=f"You asked for {project.title} already; a community manager will decide.",
            private=True,
        )
    ask = Reply(
        text=(
            f"{sender.name or sender.key} asks to become the owner of {project.title} "
            f"({project.id}, {project.organisation_name}). The contact on record is: "
            f"{project.contact or 'not given'}. Approve if they are its team."
        ),
        actions=(
            Action("Approve", APPROVE, str(claim.id), style="primary", settles=True),
            Action("Refuse", REFUSE, str(claim.id), style="danger", settles=True),
        ),
    )
    for manager in sorted(services.access.community_managers):
        services.outbox.enqueue(f"claim:{claim.id}:ask:{manager}", manager, ask, now=now)
    return Reply(
        text=(
            f"I've asked the community managers to make you the owner of {project.title}. "
            "I'll message you when one of them decides."
        ),
        tone="done",
        private=True,
    )


def decide_claim(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    """A community manager's Approve or Refuse on a claim: decided once, whoever clicks first."""
    if not services.access.is_manager(incoming.sender.key):
        return error("Only a community manager can decide who owns a project.")
    if not action.value.isdigit():
        return error("That button has expired.")
    claim_id, approve = int(action.value), action.name == APPROVE
    now = services.clock.now()
    claim = services.claims.decide(claim_id, approve=approve, by=incoming.sender, now=now)
    if claim is None:
        existing = services.claims.get_claim(claim_id)
        if existing is None:
            return error("I can't find that claim any more.")
        return Reply(text=f"That claim was {existing.status} already.", private=True)
    project = services.projects.get_project(claim.project_id)
    title = project.title if project else claim.project_id
    verdict = "approved: you are now its owner" if approve else "refused by a community manager"
    services.outbox.enqueue(
        f"claim:{claim.id}:decided",
        claim.claimant.key,
        Reply(text=f"Your claim to {title} was {verdict}."),
        now=now,
    )
    who = claim.claimant.name or claim.claimant.key
    if approve:
        return Reply(text=f"Approved: {who} now owns {title}.", tone="done")
    return Reply(text=f"Refused: {who} does not own {title}.", tone="done")


def delete(rest: str, incoming: Incoming, services: Services) -> Reply:
    """Asks first: a project goes with all its weeknotes, for good."""
    project_id, _ = split_word(rest)
    project = find_project(project_id, services, usage=DELETE_USAGE)
    if isinstance(project, Reply):
        return project
    if not _may_delete(project, incoming.sender.key, services):
        return error(refusal(project, "delete it", services))
    return Reply(
        text=(
            f"Delete {project.title} ({project.id}) and all its weeknotes? "
            "This cannot be undone, and it will not come back with a re-import."
        ),
        actions=(
            Action("Delete it", DELETE, project.id, style="danger", settles=True),
            Action("Keep it", CANCEL, project.id, settles=True),
        ),
        private=True,
    )


def _may_delete(project: Project, person_key: str, services: Services) -> bool:
    return person_key == project.owner_key or services.access.is_manager(person_key)


def confirm_delete(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    project = services.projects.get_project(action.value)
    if project is None:
        return Reply(text="That project is gone already.", private=True)
    if not _may_delete(project, incoming.sender.key, services):
        return error(refusal(project, "delete it", services))
    try:
        notes = services.projects.delete_project(project.id, now=services.clock.now())
    except NotFound:
        return Reply(text="That project is gone already.", private=True)
    plural = "weeknote" if notes == 1 else "weeknotes"
    return Reply(
        text=f"Deleted {project.title} and its {notes} {plural}.", tone="done", private=True
    )


def cancel(action: ActionPayload, incoming: Incoming, services: Services) -> Reply:
    return Reply(text="Nothing was changed.", private=True)
