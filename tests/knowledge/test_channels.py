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


def test_subscribing_twice_keeps_one_subscription_and_changes_only_what_was_given(
    empty_app: App,
) -> None:
    now = empty_app.clock.now()
    empty_app.channels.subscribe(WHERE, by=ADMIN, now=now, day="fri", time="14:00")
    sub = empty_app.channels.subscribe(WHERE, by=ADMIN, now=now, timezone="Europe/Dublin")
    assert (sub.day, sub.time, sub.timezone, sub.active) == ("fri", "14:00", "Europe/Dublin", True)
    assert empty_app.channels.unsubscribe(WHERE)
    assert not empty_app.channels.unsubscribe(WHERE)
    stored = empty_app.channels.subscription(WHERE)
    assert stored is not None and stored.active is False


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


def test_a_filter_set_in_chat_is_the_one_the_digest_job_reads(demo_app: App) -> None:
    """`digest only …` on the real store: areas resolve to their registered spelling, council
    names to organisation ids, and the digest job's view of the subscription narrows the same."""
    from bot.model import CHANNEL_ADMIN, DigestFilter, Incoming
    from knowledge.digests import DigestStore

    def say(text: str) -> str:
        incoming = Incoming(
            text=text,
            sender=ADMIN,
            conversation=WHERE,
            received_at=demo_app.clock.now(),
            roles=frozenset({CHANNEL_ADMIN}),
            command="digest",
        )
        reply = demo_app.bot.handle(incoming)
        assert reply.tone == "done", reply.text
        return reply.text

    assert "planning" in demo_app.repo.service_areas()
    say("on")
    say("only area PLANNING, housing")
    said = say("only council City of Edinburgh")
    assert "only for planning or housing, only from city-of-edinburgh-council" in said

    [sub] = DigestStore(demo_app.engine).subscriptions()
    assert sub.only == DigestFilter(
        service_areas=("planning", "housing"), organisations=("city-of-edinburgh-council",)
    )
    stored = demo_app.channels.subscription(WHERE)
    assert stored is not None and stored.only == sub.only

    say("only everything")
    [sub] = DigestStore(demo_app.engine).subscriptions()
    assert sub.filters == {} and sub.only == DigestFilter()
