"""The organisation-name normaliser: real aliases resolve, non-councils never do."""

from __future__ import annotations

import pytest

from knowledge.orgs import Authority, AuthorityNames, core, normalise


@pytest.fixture(scope="module")
def names() -> AuthorityNames:
    return AuthorityNames.load()


@pytest.mark.parametrize(
    ("alias", "code", "gss"),
    [
        ("LB Hackney", "HCK", "E09000012"),
        ("Hackney Council", "HCK", "E09000012"),
        ("London Borough of Hackney", "HCK", "E09000012"),
        ("the london borough of HACKNEY", "HCK", "E09000012"),
        ("Bristol City Council", "BST", "E06000023"),
        ("Bristol, City of", "BST", "E06000023"),
        ("Edinburgh City Council", "EDH", "S12000036"),
        ("Kirklees Metropolitan Borough Council", "KIR", "E08000034"),
        ("Hinckley & Bosworth District Council", "HIN", "E07000132"),
        ("Hinckley and Bosworth", "HIN", "E07000132"),
        ("Surrey County Council", "SRY", "E10000030"),
        ("Surrey Heath Borough Council", "SUR", "E07000214"),
        ("Greater London Authority", "GLA", "E61000001"),
        ("Ynys Môn", "AGY", "W06000001"),
        # ambiguous alias: the current unitary beats the abolished county council
        ("North Yorkshire", "NYE", "E06000065"),
    ],
)
def test_real_aliases_resolve_to_one_authority(
    names: AuthorityNames, alias: str, code: str, gss: str
) -> None:
    found = names.match(alias)
    assert found is not None
    assert (found.code, found.gss) == (code, gss)


@pytest.mark.parametrize(
    ("typo", "code"),
    [
        ("Hackny Council", "HCK"),
        ("Kirklees Counsil", "KIR"),
        ("Brimingham City Council", "BIR"),
        ("Wesminster City Council", "WSM"),
    ],
)
def test_near_miss_typos_still_resolve(names: AuthorityNames, typo: str, code: str) -> None:
    found = names.match(typo)
    assert found is not None
    assert found.code == code


@pytest.mark.parametrize(
    "name",
    [
        "Ministry of Housing, Communities and Local Government",
        "MHCLG",
        "Welsh Revenue Authority",
        "LocalGov Digital Makers",
        "Convention of Scottish Local Authorities",
        "Local Government Association",
        "Planning Advisory Service",
        "Transport for London",
        "Satori Lab",
        "_Freelancer",
        "Hackney Wick",  # a place inside a borough, not the council
        "Bristol Maps",
        "London",  # the GLA, the City or any of 32 boroughs
    ],
)
def test_non_councils_match_nothing(names: AuthorityNames, name: str) -> None:
    assert names.match(name) is None


@pytest.mark.parametrize("blank", ["", "   ", "&", "The", "---"])
def test_empty_names_match_nothing(names: AuthorityNames, blank: str) -> None:
    assert names.match(blank) is None


def _tiny(*rows: tuple[str, bool]) -> AuthorityNames:
    """A register of made-up authorities, each with the alias "Testshire"."""
    authorities = [
        (Authority(code, "", f"{code} Council", code), current) for code, current in rows
    ]
    return AuthorityNames(authorities, [("Testshire", code) for code, _ in rows])


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ((("OLD", False), ("NEW", True)), "NEW"),  # current wins over abolished
        ((("ONE", True), ("TWO", True)), None),  # two current ones: unsure, so no answer
        ((("OLD", False),), "OLD"),  # only an abolished one: still the right answer
    ],
)
def test_ambiguous_aliases_prefer_current_or_refuse(
    rows: tuple[tuple[str, bool], ...], expected: str | None
) -> None:
    found = _tiny(*rows).match("Testshire")
    assert (found.code if found else None) == expected


@pytest.mark.parametrize(
    ("raw", "normalised", "place"),
    [
        ("LB Hackney", "london borough hackney", "hackney"),
        ("Hinckley & Bosworth DC", "hinckley bosworth district council", "hinckley bosworth"),
        (
            "Royal Borough of Kingston upon Thames",
            "royal borough of kingston upon thames",
            "kingston upon thames",
        ),
    ],
)
def test_normalise_and_core(raw: str, normalised: str, place: str) -> None:
    assert normalise(raw) == normalised
    assert core(normalise(raw)) == place


def test_get_by_code(names: AuthorityNames) -> None:
    found = names.get("HCK")
    assert found is not None
    assert found.official_name == "London Borough of Hackney"
    assert names.get("ZZZ") is None
