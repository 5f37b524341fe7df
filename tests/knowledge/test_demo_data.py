"""The shipped demo data set is well formed and still answers the labelled questions.

Reads only files inside the repository: CI may not have the corpus under ../shared.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "knowledge" / "data" / "demo"
QUERIES = REPO / "tests" / "data" / "dev-queries.jsonl"
STAGES = {"discovery", "alpha", "beta", "live", "retired"}
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")

Record = dict[str, Any]


@pytest.fixture(scope="module")
def records() -> list[Record]:
    lines = (DEMO / "demo.jsonl").read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines]


@pytest.fixture(scope="module")
def by_id(records: list[Record]) -> dict[str, Record]:
    return {r["id"]: r for r in records}


def _of(records: list[Record], kind: str) -> list[Record]:
    return [r for r in records if r["type"] == kind]


def test_every_line_is_a_known_record_type(records: list[Record]) -> None:
    assert records, "demo.jsonl is empty"
    assert {r["type"] for r in records} == {"organisation", "project", "weeknote"}


def test_records_come_organisations_first_then_projects_then_weeknotes(
    records: list[Record],
) -> None:
    order = {"organisation": 0, "project": 1, "weeknote": 2}
    ranks = [order[r["type"]] for r in records]
    assert ranks == sorted(ranks)


def test_ids_are_unique(records: list[Record]) -> None:
    ids = [r["id"] for r in records]
    assert len(ids) == len(set(ids))


def test_expected_volumes(records: list[Record]) -> None:
    assert 44 <= len(_of(records, "project")) <= 48
    assert len(_of(records, "weeknote")) == 108


def test_projects_have_required_fields(records: list[Record]) -> None:
    required = {
        "id",
        "title",
        "organisation",
        "stage",
        "description",
        "summary",
        "tags",
        "service_area",
        "contact",
        "url",
        "updated",
    }
    for project in _of(records, "project"):
        assert required <= project.keys(), project["id"]
        assert project["stage"] in STAGES, project["id"]
        assert project["title"].strip(), project["id"]
        assert project["description"].strip(), project["id"]
        assert ISO_DATE.match(project["updated"]), project["id"]
        assert "started" not in project or ISO_DATE.match(project["started"]), project["id"]


def test_every_organisation_reference_exists(
    records: list[Record], by_id: dict[str, Record]
) -> None:
    for record in [*_of(records, "project"), *_of(records, "weeknote")]:
        for org in [record["organisation"], *record.get("partners", [])]:
            assert by_id.get(org, {}).get("type") == "organisation", (record["id"], org)


def test_only_referenced_organisations_are_shipped(records: list[Record]) -> None:
    used = {r["organisation"] for r in records if r["type"] != "organisation"}
    used |= {p for r in _of(records, "project") for p in r.get("partners", [])}
    assert {o["id"] for o in _of(records, "organisation")} == used


def test_every_weeknote_project_exists_or_is_null(
    records: list[Record], by_id: dict[str, Record]
) -> None:
    for note in _of(records, "weeknote"):
        project = note["project"]
        assert project is None or by_id.get(project, {}).get("type") == "project", note["id"]


def test_weeknote_week_is_the_monday_of_its_date(records: list[Record]) -> None:
    for note in _of(records, "weeknote"):
        week, day = date.fromisoformat(note["week"]), date.fromisoformat(note["date"])
        assert week.weekday() == 0, note["id"]
        assert 0 <= (day - week).days < 7, note["id"]


def test_labelled_question_ids_exist(by_id: dict[str, Record]) -> None:
    queries = [json.loads(line) for line in QUERIES.read_text(encoding="utf-8").splitlines()]
    wanted = {rel for query in queries for rel in query["rel"]}
    assert wanted, "no labelled ids found: wrong queries file?"
    assert sorted(wanted - by_id.keys()) == []


@pytest.mark.parametrize(
    ("note_id", "project"),
    [
        ("wraw-2022-01-26-week1", "wra-property-data-poc"),
        ("corew-2022-05-03-privacy-notice", "core-lettings"),
        ("dlw-2019-10-07", "dl-compulsory-purchase-orders"),  # its first /project/ link
        ("dlw-2021-06-29", None),  # links only local-plan-pathfinders, which has no page here
    ],
)
def test_weeknotes_belong_to_the_right_project(
    by_id: dict[str, Record], note_id: str, project: str | None
) -> None:
    assert by_id[note_id]["project"] == project


def test_councils_carry_their_gss_code(by_id: dict[str, Record]) -> None:
    assert by_id["bristol-city-council"]["code"] == "E06000023"
    assert by_id["mhclg"]["name"] == "Ministry of Housing, Communities and Local Government"
    assert "code" not in by_id["welsh-revenue-authority"]


def test_no_email_addresses_or_markup_survive(records: list[Record]) -> None:
    for record in records:
        for value in record.values():
            if isinstance(value, str):
                assert not EMAIL.search(value), record["id"]
                for markup in ("{{<", "{{%", "](http", "<img", "<a href"):
                    assert markup not in value, (record["id"], markup)


def test_every_source_ships_its_licence(records: list[Record]) -> None:
    sources = {r["source"] for r in records if "source" in r}
    assert sources
    for source in sources:
        assert (DEMO / "licences" / f"{source}-LICENSE").is_file(), source
