"""Prometheus metrics, on a registry of the runtime's own (never prometheus_client's global
one), so that tests and several runtimes in one process each count their own. The composition
root builds and wires them (adapters/bootstrap.py); the server only serves them."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from bot.model import Finding

if TYPE_CHECKING:
    from jobs.reminders import ReminderReport
    from knowledge.finder import IndexedFinder
    from knowledge.questions import QuestionStore

# An ack is due within 3 s at Slack and 15 s at Teams; a question takes milliseconds.
REQUEST_BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 15.0)
SEARCH_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
DIGEST_OUTCOMES = ("sent", "failed", "paused", "skipped")  # shown at 0 before the first run
REMINDER_OUTCOMES = ("sent", "failed")


class Metrics:
    """What the server counts. `digests` and `reminders` take the jobs' reports."""

    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry()
        self.requests = Counter(
            "hasanyone_requests",
            "Requests from Slack and Teams, by platform and HTTP status.",
            ["platform", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "hasanyone_request_seconds",
            "Seconds from a platform's request to our response (Slack's ack).",
            ["platform"],
            buckets=REQUEST_BUCKETS,
            registry=registry,
        )
        self.answers = Counter(
            "hasanyone_answers",
            "Questions answered, by whether search was confident of a match.",
            ["confident"],
            registry=registry,
        )
        self.search_seconds = Histogram(
            "hasanyone_search_seconds",
            "Seconds a search took, from question to result cards.",
            buckets=SEARCH_BUCKETS,
            registry=registry,
        )
        self.digest_runs = Counter(
            "hasanyone_digests",
            "Digest runs by outcome (sent, failed, paused, skipped, unsure, recovered, ...).",
            ["outcome"],
            registry=registry,
        )
        self.reminder_dms = Counter(
            "hasanyone_reminders",
            "Weeknote reminder direct messages by outcome.",
            ["outcome"],
            registry=registry,
        )
        for confident in ("true", "false"):
            self.answers.labels(confident)
        for outcome in DIGEST_OUTCOMES:
            self.digest_runs.labels(outcome)
        for outcome in REMINDER_OUTCOMES:
            self.reminder_dms.labels(outcome)

    def watch(self, finder: IndexedFinder, questions: QuestionStore) -> None:
        """Time every search, count every answer (a question recorded with what was found),
        and read the index when scraped."""
        finder.on_search(self.search_seconds.observe)
        questions.on_recorded(self.answered)
        self.registry.register(IndexCollector(finder))

    def answered(self, finding: Finding) -> None:
        self.answers.labels("true" if finding.confident else "false").inc()

    def digests(self, outcomes: Mapping[str, int]) -> None:
        """A digest run's outcomes ("failed (will retry)" counts as failed)."""
        for outcome, count in outcomes.items():
            self.digest_runs.labels(digest_outcome(outcome)).inc(count)

    def reminders(self, report: ReminderReport) -> None:
        counts = {
            "sent": report.sent,
            "failed": report.failed,
            "already_reminded": report.skipped_already,
            "opted_out": report.skipped_opted_out,
        }
        for outcome, count in counts.items():
            if count:
                self.reminder_dms.labels(outcome).inc(count)


def digest_outcome(outcome: str) -> str:
    """A label from jobs.digests' outcome: its words before any parenthesis."""
    words = outcome.split("(", 1)[0].strip()
    return words.replace(" ", "_") or "unknown"


class IndexCollector(Collector):
    """The search index's figures, read when Prometheus scrapes."""

    def __init__(self, finder: IndexedFinder) -> None:
        self.finder = finder

    def collect(self) -> Iterable[Metric]:
        yield GaugeMetricFamily(
            "hasanyone_index_documents",
            "Projects and weeknotes in this replica's search index.",
            value=len(self.finder.index),
        )
        age = self.finder.sync_age()
        if age is not None:
            yield GaugeMetricFamily(
                "hasanyone_index_sync_lag_seconds",
                "Seconds since the search index last caught up with the database.",
                value=age,
            )
        if self.finder.worker is not None:
            yield GaugeMetricFamily(
                "hasanyone_embedding_backlog",
                "Documents waiting for their passage embeddings (searched lexically meanwhile).",
                value=self.finder.worker.pending,
            )
