"""Passages: how documents are split, and what scoring by the best passage changes."""

from __future__ import annotations

import itertools

import pytest

from knowledge.finder import project_text
from knowledge.search import Document, SearchIndex, passages, passages_of, sentences
from knowledge.search.passages import MAX_WORDS, MIN_WORDS, digest


def words(text: str) -> int:
    return len(text.split())


def paragraph(topic: str, n: int) -> str:
    """A paragraph of about n words about `topic`, in sentences of ten words."""
    sentence = f"The team worked on {topic} again this week with partners."
    return " ".join([sentence] * max(1, n // 10))


def test_a_short_text_is_one_passage() -> None:
    assert passages("We built a bulky waste booking form.") == (
        "We built a bulky waste booking form.",
    )


def test_an_empty_text_has_no_passages_but_a_document_has_one() -> None:
    assert passages("  \n\n ") == ()
    assert passages_of(Document("project", "p", "Title only", "")) == ("",)


def test_long_text_is_cut_into_passages_of_100_to_200_words() -> None:
    text = "\n\n".join(paragraph(f"topic {i}", 60) for i in range(20))
    parts = passages(text)
    assert len(parts) > 5
    assert all(MIN_WORDS <= words(p) <= MAX_WORDS for p in parts[:-1]), [words(p) for p in parts]


def test_passages_follow_paragraphs_and_overlap() -> None:
    paras = [paragraph(f"topic {i}", 30) for i in range(12)]
    parts = passages("\n\n".join(paras))
    for part in parts:
        assert all(piece in paras for piece in part.split("\n\n"))  # never cut mid-paragraph
    for before, after in itertools.pairwise(parts):
        assert before.split("\n\n")[-1] == after.split("\n\n")[0]  # a short paragraph shared


def test_one_huge_paragraph_is_cut_between_sentences() -> None:
    text = " ".join(f"Sentence number {i} is about the housing register." for i in range(120))
    parts = passages(text)
    assert len(parts) > 3
    assert all(p.endswith(".") for p in parts)
    assert all(words(p) <= MAX_WORDS for p in parts)


def test_every_word_is_in_some_passage() -> None:
    text = "\n\n".join(paragraph(f"topic{i}", 45) for i in range(9))
    joined = " ".join(passages(text))
    assert all(f"topic{i}" in joined for i in range(9))


def test_a_short_tail_is_folded_into_the_last_passage() -> None:
    text = "\n\n".join([paragraph("alpha", 90), paragraph("beta", 90), "Thanks, the team."])
    parts = passages(text)
    assert parts[-1].endswith("Thanks, the team.")
    assert words(parts[-1]) > 10


def test_sentences() -> None:
    assert sentences("We met. Then we built it! Did it work? Yes.") == [
        "We met.",
        "Then we built it!",
        "Did it work?",
        "Yes.",
    ]


def test_digest_changes_with_the_text() -> None:
    assert digest(("a", "b")) == digest(("a", "b"))
    assert digest(("a", "b")) != digest(("ab",))
    assert digest(("a",)) != digest(("b",))


def long_weeknote(mention: str) -> str:
    """A 5,000-character multi-topic weeknote that mentions `mention` once in passing."""
    topics = [paragraph(f"subject {i}", 70) for i in range(10)]
    topics[6] += f" Someone also asked about {mention}."
    return "\n\n".join(topics)


@pytest.mark.parametrize(
    "question", ["bulky waste booking", "has anyone built bulky waste booking?"]
)
def test_a_project_about_it_beats_a_long_weeknote_mentioning_it_once(question: str) -> None:
    index = SearchIndex()
    index.add_many(
        [
            Document(
                "project",
                "bulky",
                "Bulky waste booking",
                "Residents book a bulky waste collection online and pay by card.",
            ),
            Document(
                "weeknote",
                "long",
                "Week notes",
                long_weeknote("bulky waste booking forms and waste collection"),
            ),
            Document("project", "other", "Parking permits", "Renew a parking permit online."),
        ]
    )
    assert len(long_weeknote("x")) > 4_000
    hits = index.search(question).hits
    assert hits[0].id == "bulky"


def test_the_best_passage_is_reported_for_the_snippet() -> None:
    text = "\n\n".join(paragraph(f"subject {i}", 80) for i in range(6))
    text += "\n\n" + "We replaced the cemetery burial plot search with a map. " * 3
    doc = Document("weeknote", "w", "Week notes", text)
    index = SearchIndex()
    index.add(doc)
    [hit] = index.search("cemetery burial plot search").hits
    assert "cemetery" in passages_of(doc)[hit.passage]
    assert hit.passage > 0


def test_more_matching_passages_earn_a_little_more() -> None:
    one = "\n\n".join([paragraph("drone roof surveys", 80), paragraph("other things", 160)])
    two = "\n\n".join([paragraph("drone roof surveys", 80), paragraph("drone surveys", 160)])
    index = SearchIndex()
    index.add_many(
        [Document("weeknote", "one", "Notes", one), Document("weeknote", "two", "Notes", two)]
    )
    hits = {h.id: h.score for h in index.search("drone roof surveys").hits}
    assert hits["two"] > hits["one"]
    assert hits["two"] < hits["one"] * 1.25  # a bonus, not a second score


TREES = "This map plots the 700,000+ trees and the tree type in the city of London."


@pytest.mark.parametrize(
    ("summary", "description", "text"),
    [
        (TREES, f"{TREES}\n\nData used: tree data.", f"{TREES}\n\nData used: tree data."),
        (TREES.rstrip("."), TREES, TREES),  # no full stop
        (TREES.upper(), TREES, TREES),
        (
            "This map  plots the\n700,000+ trees and the tree type in the city of London!",
            TREES,
            TREES,
        ),
        ("This map plots the 700,000+ trees and the tr…", TREES, TREES),  # cut short
        ("This map plots the 700,000+ trees and the tr...", TREES, TREES),
        ("the tree type in the city of London", TREES, TREES),  # said later on
        ("", TREES, TREES),
        ("…", TREES, TREES),
        (TREES, "", TREES),
        ("Street trees.", TREES, f"Street trees.\n\n{TREES}"),
        # Words, not letters: "the tr" without an ellipsis is not the start of "the tree".
        (
            "This map plots the 700,000+ trees and the tr",
            TREES,
            f"This map plots the 700,000+ trees and the tr\n\n{TREES}",
        ),
        ("Map", "Mapping the trees.", "Map\n\nMapping the trees."),
    ],
)
def test_a_projects_text_says_its_summary_once(summary: str, description: str, text: str) -> None:
    assert project_text(summary, description) == text
