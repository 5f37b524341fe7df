"""One scheduler among replicas: the PostgreSQL advisory lock."""

from __future__ import annotations

import pytest

from knowledge.db import make_engine
from knowledge.leader import Leadership


@pytest.mark.postgres
def test_only_one_replica_leads_until_it_resigns(postgres_url: str) -> None:
    first, second = Leadership(make_engine(postgres_url)), Leadership(make_engine(postgres_url))
    try:
        assert first.try_lead() and first.still_leading()
        assert not second.try_lead() and not second.still_leading()
        first.resign()
        assert second.try_lead()
        assert not first.try_lead()
    finally:
        first.resign()
        second.resign()


def test_sqlite_has_a_single_process_that_always_leads(tmp_path: object) -> None:
    leadership = Leadership(make_engine(f"sqlite:///{tmp_path}/x.db"))
    assert leadership.try_lead() and leadership.still_leading()
