"""knowledge.search on small hand-made registers: parsing, ranking, grouping and edge cases."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from knowledge.search import (
    Document,
    SearchIndex,
    Synonyms,
    index_terms,
    load_calibration,
    load_synonyms,
    query_terms,
    snippet,
    strip_boilerplate,
)

SYNONYMS = load_synonyms()

DOCS = (
    Document(
        "project",
        "brownfield",
        "Brownfield land register",
        "Tools that help planning authorities collect and maintain brownfield site data.",
        organisation="MHCLG",
        tags=("planning", "land"),
        service_area="planning",
    ),
    Document(
        "project",
        "ctax-texts",
        "Council tax reminder texts",
        "We send council tax reminders by SMS with GOV.UK Notify before enforcement.",
        organisation="London Borough of Hackney",
        tags=("revenues",),
    ),
    Document(
        "project",
        "bulky",
        "Bulky waste booking",
        "Residents book a bulky item collection online and pay by card.",
        organisation="Camden Council",
        service_area="waste",
    ),
    Document(
        "project",
        "refuse-rounds",
        "Refuse round optimisation",
        "Re-planning refuse rounds with telematics from the collection vehicles.",
        organisation="Leeds City Council",
        service_area="waste",
    ),
    Document(
        "project",
        "intranet",
        "Intranet redevelopment",
        "Scoping user needs for a new staff intranet.",
        organisation="West Berkshire Council",
    ),
    Document(
        "project",
        "recruit",
        "Recruitment website",
        "One jobs site shared by Scottish councils for all their vacancies.",
        organisation="COSLA",
        tags=("recruitment", "jobs"),
    ),
    Document(
        "project",
        "heritage",
        "Heritage data",
        "Publishing listed buildings as open data.",
        organisation="Historic England",
    ),
    Document(
        "weeknote",
        "heritage-w1",
        "Week 12",
        "This week we mapped conservation areas from 40 councils and fixed geometry errors.",
        project_id="heritage",
    ),
    Document(
        "weeknote",
        "heritage-w2",
        "Week 13",
        "More conservation area boundaries; conservation officers reviewed the map.",
        project_id="heritage",
    ),
    Document(
        "weeknote",
        "orphan",
        "Week 1",
        "Started a discovery into EHCP annual reviews for the SEND team.",
        project_id="not-registered",
    ),
    Document(
        "weeknote",
        "loose",
        "Sprint notes",
        "We tested the Welsh land transaction tax calculator with solicitors.",
    ),
)


@pytest.fixture
def index() -> SearchIndex:
    built = SearchIndex()
    built.add_many(DOCS)
    return built


def ids(index: SearchIndex, question: str) -> list[str]:
    return [hit.id for hit in index.search(question).hits]


# ----------------------------------------------------------------------------- parsing


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        (
            "has anyone built tools to collect brownfield land data?",
            "tools to collect brownfield land data?",
        ),
        ("Has anyone ever procured a CRM?", "a crm?"),
        (
            "Does anyone know if any councils have done council tax reminders?",
            "council tax reminders?",
        ),
        ("anyone know of a bulky waste form", "a bulky waste form"),
        ("Is there anyone who has built an EHCP portal?", "an ehcp portal?"),
        ("Have any councils built a chatbot?", "a chatbot?"),
        ("We're thinking about a new intranet, thanks!", "a new intranet, !"),
        (
            "Hi all, looking for examples of garden waste subscriptions please",
            ", garden waste subscriptions",
        ),
        ("tools to collect data", "tools to collect data"),
    ],
)
def test_boilerplate_is_stripped(question: str, expected: str) -> None:
    assert strip_boilerplate(question) == expected


@pytest.mark.parametrize(
    ("question", "terms"),
    [
        (
            "has anyone built tools to collect brownfield land data?",
            ("tool", "collect", "brownfield", "land", "data"),
        ),
        ("The London's BUS-LANE cameras", ("london", "bus", "lane", "camera")),
        ("Recruitment of the 2024 apprentices", ("recruit", "2024", "apprentic")),
        ("what is it and how is it done", ("done",)),
        ("has anyone?", ()),
    ],
)
def test_query_own_terms(question: str, terms: tuple[str, ...]) -> None:
    parsed = query_terms(question, SYNONYMS)
    assert tuple(s for c in parsed.concepts for s in c.own.stems) == terms


@pytest.mark.parametrize(
    ("question", "expanded"),
    [
        ("council tax reminders", {"ctax"}),
        ("ctax reminders", {"council", "tax"}),
        ("bins", {"wast", "collect", "refus", "recycl"}),
        ("freedom of information requests", {"foi"}),
        ("Has anyone done an EHCP portal?", {"educ", "health", "care", "plan"}),
        ("SEND transport", {"special", "educ", "need"}),
        ("IT helpdesk", {"ict"}),
    ],
)
def test_synonyms_expand(question: str, expanded: set[str]) -> None:
    assert expanded <= set(query_terms(question, SYNONYMS).terms)


@pytest.mark.parametrize(
    ("question", "not_expanded"),
    [
        ("send a letter to residents", {"special", "educ"}),  # "send" the verb is not SEND
        ("is it done", {"ict"}),
        ("tax on council land", {"ctax"}),  # words of a phrase apart are not the phrase
    ],
)
def test_synonyms_need_the_right_form(question: str, not_expanded: set[str]) -> None:
    assert not (not_expanded & set(query_terms(question, SYNONYMS).terms))


def test_expansions_weigh_less_than_the_users_words() -> None:
    concept = query_terms("council tax", SYNONYMS).concepts[0]
    assert concept.own.stems == ("council", "tax")
    assert concept.own.weight == 1.0
    assert all(a.weight < concept.own.weight for a in concept.alternatives[1:])


def test_synonyms_file_format(tmp_path: Path) -> None:
    path = tmp_path / "syn.txt"
    path.write_text(
        "# comment\n\nbins, waste collection  # trailing\n=ASB, anti social behaviour\n"
    )
    synonyms = load_synonyms(path)
    assert synonyms.groups == ((("bin",), ("wast", "collect")), (("anti", "social", "behaviour"),))
    assert synonyms.exact_matches("ASB") == ((("anti", "social", "behaviour"),))
    assert synonyms.exact_matches("asb") == ()


def test_shipped_synonyms_cover_the_sector() -> None:
    assert len(SYNONYMS) >= 40
    for word in ("ctax", "ehcp", "foi", "llpg", "crm", "epc", "intranet", "brownfield", "bin"):
        assert word in SYNONYMS.words


@pytest.mark.parametrize(
    ("text", "terms"),
    [
        ("Conservation AREAS", ["conserv", "area"]),
        ("e-mail and  web-site", ["mail", "web", "site"]),
        ("London’s councils", ["london", "council"]),
        ("", []),
    ],
)
def test_index_terms(text: str, terms: list[str]) -> None:
    assert index_terms(text) == terms


# ----------------------------------------------------------------------------- ranking


@pytest.mark.parametrize(
    ("question", "first"),
    [
        ("has anyone built tools to collect brownfield land data?", "brownfield"),
        ("BROWNFIELD LAND", "brownfield"),
        ("brownfeild land", "brownfield"),  # typo
        ("Has anyone done recruitmnet sites?", "recruit"),  # typo
        ("jobs and vacancies", "recruit"),  # synonym of recruitment
        ("council tax reminders", "ctax-texts"),
        ("ctax reminders", "ctax-texts"),  # abbreviation only the synonyms know
        ("bulky waste", "bulky"),
        ("scoping user needs for the intranet", "intranet"),
        ("staff website", "intranet"),  # phrase synonym
        ("consevation areas", "heritage"),  # typo, found through weeknotes
        ("the of and a", None),  # only stop words
    ],
)
def test_ranking(index: SearchIndex, question: str, first: str | None) -> None:
    hits = ids(index, question)
    if first is None:
        assert hits == []
    else:
        assert hits[:1] == [first]


def test_bins_finds_waste_projects(index: SearchIndex) -> None:
    assert {"bulky", "refuse-rounds"} <= set(ids(index, "has anyone done anything on bins?")[:3])


def test_typos_are_corrected_against_the_vocabulary(index: SearchIndex) -> None:
    result = index.search("brownfeild recruitmnet consevation")
    assert {"brownfield", "recruit", "conserv"} <= set(result.terms)
    assert "brownfeild" not in result.terms


def test_known_words_are_not_corrected(index: SearchIndex) -> None:
    assert index.search("collection").terms[0] == "collect"
    # Short unknown words are left alone: "pest" is not "post" or "test".
    assert index.search("pest").hits == ()


def test_scores_are_between_0_and_1_and_sorted(index: SearchIndex) -> None:
    hits = index.search("council tax bulky waste brownfield").hits
    scores = [hit.score for hit in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(0 < s <= 1 for s in scores)


def test_limit(index: SearchIndex) -> None:
    assert len(index.search("council", limit=2).hits) == 2
    assert index.search("council", limit=0).hits == ()


# ----------------------------------------------------------------------------- grouping


def test_weeknotes_are_grouped_under_their_project(index: SearchIndex) -> None:
    hits = index.search("conservation area boundaries").hits
    assert hits[0].kind == "project"
    assert hits[0].id == "heritage"
    assert hits[0].weeknote_ids == ("heritage-w2", "heritage-w1")  # best first
    assert all(hit.id not in {"heritage-w1", "heritage-w2"} for hit in hits)


def test_weeknote_without_a_registered_project_is_its_own_hit(index: SearchIndex) -> None:
    hit = index.search("EHCP annual reviews").hits[0]
    assert (hit.kind, hit.id, hit.weeknote_ids) == ("weeknote", "orphan", ())
    hit = index.search("land transaction tax calculator").hits[0]
    assert (hit.kind, hit.id) == ("weeknote", "loose")


def test_project_found_only_through_weeknotes_scores_a_little_less(index: SearchIndex) -> None:
    through_weeknote = index.search("geometry errors").hits[0]
    assert through_weeknote.id == "heritage"
    assert through_weeknote.weeknote_ids == ("heritage-w1",)
    alone = SearchIndex()
    alone.add(DOCS[7])  # the weeknote on its own, no project indexed
    assert alone.search("geometry errors").hits[0].score > through_weeknote.score


def test_weeknote_added_before_its_project_is_grouped_once_the_project_arrives() -> None:
    index = SearchIndex()
    index.add(Document("weeknote", "w", "Week 1", "Potholes reported by drones", project_id="p"))
    assert index.search("drones").hits[0].kind == "weeknote"
    index.add(Document("project", "p", "Highways inspections", "Road surface surveys"))
    hit = index.search("drones").hits[0]
    assert (hit.kind, hit.id, hit.weeknote_ids) == ("project", "p", ("w",))
    index.remove("project", "p")
    assert index.search("drones").hits[0].id == "w"


# ----------------------------------------------------------------------------- changes


def test_remove(index: SearchIndex) -> None:
    assert len(index) == len(DOCS)
    index.remove("project", "bulky")
    index.remove("project", "no-such-project")
    assert len(index) == len(DOCS) - 1
    assert "bulky" not in ids(index, "bulky waste booking")


def test_replace_by_kind_and_id(index: SearchIndex) -> None:
    index.add(Document("project", "bulky", "Garden waste subscriptions", "Green bin renewals"))
    assert len(index) == len(DOCS)
    assert "bulky" not in ids(index, "bulky item booking")
    assert ids(index, "garden waste subscriptions")[0] == "bulky"


def test_same_id_different_kind_is_a_different_document(index: SearchIndex) -> None:
    index.add(Document("weeknote", "bulky", "Week 2", "Card payments for bulky items"))
    assert len(index) == len(DOCS) + 1


def test_delta_add_after_bulk_build(index: SearchIndex) -> None:
    index.add(Document("project", "llpg", "Address gazetteer", "Cleaning our LLPG addresses"))
    assert ids(index, "local land and property gazetteer")[0] == "llpg"
    assert ids(index, "adress gazeteer")[0] == "llpg"  # new words are corrected towards too
    assert ids(index, "brownfield land")[0] == "brownfield"  # the bulk build is still there


def test_many_single_adds_merge_into_the_arrays() -> None:
    index = SearchIndex()
    index.add_many(DOCS)
    for i in range(3000):
        index.add(Document("weeknote", f"n{i}", f"Note {i}", f"routine update number {i} fleet"))
    index.add(Document("project", "needle", "Drone surveys", "Drones inspect church roofs"))
    for i in range(0, 3000, 2):
        index.remove("weeknote", f"n{i}")
    assert len(index) == len(DOCS) + 1500 + 1
    assert ids(index, "drone roof inspection")[0] == "needle"
    assert len(index.search("fleet", limit=100).hits) == 100
    assert ids(index, "brownfield")[0] == "brownfield"


def test_add_many_on_a_populated_index_replaces_and_adds(index: SearchIndex) -> None:
    index.add_many(
        [
            Document("project", "recruit", "Apprenticeships", "Apprentice schemes"),
            Document("project", "new", "Drone surveys", "Roof inspections"),
        ]
    )
    assert len(index) == len(DOCS) + 1
    assert ids(index, "apprentices")[0] == "recruit"
    assert "recruit" not in ids(index, "scottish councils vacancies")


# ----------------------------------------------------------------------------- odd input


@pytest.mark.parametrize(
    "question",
    [
        "",
        "   \n\t ",
        "has anyone?",
        "Has anyone done…",
        "🙂🙂🙂",
        "🚮 ♻️",
        "مرحبا هل قام أحد ببناء هذا",
        "שלום, מישהו בנה את זה?",
        "\u202eevil\u202c",
        "?!.,;",
    ],
)
def test_nothing_meaningful_gives_no_hits(index: SearchIndex, question: str) -> None:
    result = index.search(question)
    assert result.hits == ()
    assert result.confident is False
    assert result.query == question


def test_emoji_next_to_words_is_ignored(index: SearchIndex) -> None:
    assert ids(index, "🚮 bulky waste 🚮")[0] == "bulky"


def test_very_long_query_is_capped(index: SearchIndex) -> None:
    tail = " has anyone built a brownfield land register?"
    filler = " ".join(f"word{i} zq{i}x" for i in range(2000))[: 10_000 - len(tail)]
    question = filler + tail
    assert len(question) == 10_000
    result = index.search(question)
    assert len(result.terms) <= 32 * 4
    # Words the index knows are kept ahead of the junk around them.
    assert {"brownfield", "land", "regist"} <= set(result.terms)
    assert result.hits[0].id == "brownfield"


def test_empty_index() -> None:
    result = SearchIndex().search("brownfield")
    assert (result.hits, result.confident) == ((), False)


# ----------------------------------------------------------------------------- confidence


@pytest.mark.parametrize(
    ("question", "confident"),
    [
        ("council tax reminder texts", True),
        ("has anyone built an online pest control booking service?", False),
        ("cemetery burial plot search", False),
    ],
)
def test_confidence(index: SearchIndex, question: str, confident: bool) -> None:
    assert index.search(question).confident is confident


def test_the_bars_come_from_the_calibration() -> None:
    shipped = load_calibration()
    strict = SearchIndex(calibration=replace(shipped, ask=1.01, passive=1.01))
    strict.add_many(DOCS)
    result = strict.search("council tax reminder texts")
    assert result.hits
    assert 0 < result.probability < 1
    assert (result.confident, result.sure) == (False, False)
    lenient = SearchIndex(calibration=replace(shipped, ask=0.0, passive=0.0))
    lenient.add_many(DOCS)
    assert lenient.search("council tax reminder texts").sure is True


def test_custom_synonyms() -> None:
    index = SearchIndex(Synonyms.from_lines(["asb, anti social behaviour"]))
    index.add(Document("project", "p", "Anti-social behaviour reports", "Reporting noise"))
    assert ids(index, "ASB reporting")[0] == "p"
    assert "ctax" not in index.search("council tax").terms  # the default groups are not used


# ----------------------------------------------------------------------------- snippets


LONG = (
    "Our council has run many projects over the years.   Some were about parking and some "
    "about libraries. In 2023 we started collecting brownfield site data from every planning "
    "authority, and the brownfield register now holds\n\n 20,000 sites. After that we moved on "
    "to other work entirely, including a new intranet and a refresh of the staff handbook."
)


@pytest.mark.parametrize(
    ("terms", "must_contain"),
    [
        (("brownfield", "regist"), "brownfield register"),
        (("intranet",), "intranet"),
        (("park",), "parking"),
    ],
)
def test_snippet_centres_on_the_terms(terms: tuple[str, ...], must_contain: str) -> None:
    line = snippet(LONG, terms, width=80)
    assert must_contain in line
    assert len(line) <= 80
    assert "\n" not in line
    assert "  " not in line


def test_snippet_trims_at_word_boundaries_with_ellipses() -> None:
    line = snippet(LONG, ("brownfield",), width=60)
    assert line.startswith("…")
    assert line.endswith("…")
    inner = line.strip("…")
    assert inner == inner.strip()
    assert f" {inner.split()[0]} " in f" {LONG} "  # the first word is whole
    assert f" {inner.split()[-1]}" in f" {' '.join(LONG.split())}"


@pytest.mark.parametrize(
    ("text", "terms", "expected"),
    [
        ("Short  text\n here", ("text",), "Short text here"),
        ("", ("x",), ""),
        ("word " * 50, ("absent",), ("word " * 32).strip() + "…"),
    ],
)
def test_snippet_short_empty_and_no_match(text: str, terms: tuple[str, ...], expected: str) -> None:
    assert snippet(text, terms, width=160) == expected


def test_snippet_uses_search_terms(index: SearchIndex) -> None:
    result = index.search("Has anyone done consevation area maps?")
    assert "conservation areas" in snippet(DOCS[7].text, result.terms, width=50)


def test_add_many_edge_cases() -> None:
    index = SearchIndex()
    index.add_many([])
    assert len(index) == 0
    index.add_many(
        [
            Document("project", "a", "Drone surveys", "Potholes"),
            Document("project", "a", "Street lighting", "Lanterns"),  # the later one wins
            Document("project", "empty", "", ""),
        ]
    )
    assert len(index) == 2
    assert [hit.id for hit in index.search("lanterns").hits] == ["a"]
    assert index.search("drone potholes").hits == ()
