"""Channel settings and once-only markers on real databases."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from adapters.app import App
from bot.model import ConversationRef, Person

WHERE = ConversationRef(platform="slack", channel_id="C1", workspace_id="T1")
ADMIN = Person("slack:T1:UADMIN", "Admin")


def test_an_event_id_is_claimed_once_even_when_delivered_concurrently(empty_app: App) -> None:
    now = empty_app.clock.now()
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(
            pool.map(
                lambda _: empty_app.channels.first_time_for_event("slack", "Ev1", now=now), range(8)
            )
        )
    assert results.count(True) == 1
    assert empty_app.channels.first_time_for_event("slack", "Ev2", now=now)
    assert empty_app.channels.first_time_for_event("teams", "Ev1", now=now)


def test_a_thread_is_answered_at_most_once(empty_app: App) -> None:
    now = empty_app.clock.now()
    assert empty_app.channels.first_answer_in_thread(WHERE, "1700000000.000100", now=now)
    assert not empty_app.channels.first_answer_in_thread(WHERE, "1700000000.000100", now=now)
    assert empty_app.channels.first_answer_in_thread(WHERE, "1700000000.000200", now=now)


def test_listening_is_per_channel_and_survives_a_new_store(empty_app: App) -> None:
    now = empty_app.clock.now()
    empty_app.channels.set_listening(WHERE, True, by=ADMIN, now=now)
    from knowledge.channels import ChannelStore

    again = ChannelStore(empty_app.engine)
    assert again.is_listening(WHERE)
    assert not again.is_listening(
        ConversationRef(platform="slack", channel_id="C2", workspace_id="T1")
    )
    again.set_listening(WHERE, False, by=ADMIN, now=now)
    assert not empty_app.channels.is_listening(WHERE)


def test_people_are_stored_once_with_their_latest_name(empty_app: App) -> None:
    from sqlmodel import Session, select

    from knowledge import tables as t

    now = empty_app.clock.now()
    empty_app.people.seen(Person("slack:T1:U1", "Al"), WHERE, now=now)
    empty_app.people.seen(Person("slack:T1:U1", "Al"), WHERE, now=now)
    empty_app.people.seen(Person("slack:T1:U1", "Alice"), WHERE, now=now)
    with Session(empty_app.engine) as s:
        rows = s.exec(select(t.Person)).all()
    assert [(r.key, r.platform, r.workspace_id, r.user_id, r.display_name) for r in rows] == [
        ("slack:T1:U1", "slack", "T1", "U1", "Alice")
    ]
