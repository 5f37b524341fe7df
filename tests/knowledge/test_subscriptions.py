"""Digest subscriptions have one home (knowledge.subscriptions): the chat, the command line
and the digest job read and change the same rows."""

from __future__ import annotations

from adapters.app import App
from bot.model import ConversationRef, Person
from knowledge.subscriptions import SubscriptionStore

WHERE = ConversationRef(platform="slack", channel_id="C1", workspace_id="T1")
ADMIN = Person("slack:T1:UADMIN", "Admin")


def test_subscribing_twice_keeps_one_subscription_and_changes_only_what_was_given(
    empty_app: App,
) -> None:
    now = empty_app.clock.now()
    empty_app.subscriptions.subscribe(WHERE, by=ADMIN.key, now=now, day="fri", time="14:00")
    sub = empty_app.subscriptions.subscribe(WHERE, by=ADMIN.key, now=now, timezone="Europe/Dublin")
    assert (sub.day, sub.time, sub.timezone, sub.active) == ("fri", "14:00", "Europe/Dublin", True)
    assert empty_app.subscriptions.unsubscribe(WHERE)
    assert not empty_app.subscriptions.unsubscribe(WHERE)
    stored = empty_app.subscriptions.subscription(WHERE)
    assert stored is not None and stored.active is False


def test_a_filter_set_in_chat_is_the_one_the_digest_job_reads(demo_app: App) -> None:
    """`digest only …` on the real store: areas resolve to their registered spelling, council
    names to organisation ids, and the digest job's view of the subscription narrows the same."""
    from bot.model import CHANNEL_ADMIN, DigestFilter, Incoming

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

    [sub] = SubscriptionStore(demo_app.engine).subscriptions()
    assert sub.only == DigestFilter(
        service_areas=("planning", "housing"), organisations=("city-of-edinburgh-council",)
    )
    stored = demo_app.subscriptions.subscription(WHERE)
    assert stored is not None and stored.only == sub.only

    say("only everything")
    [sub] = SubscriptionStore(demo_app.engine).subscriptions()
    assert sub.only == DigestFilter()
