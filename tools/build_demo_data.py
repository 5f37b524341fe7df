"""Build the shipped demo data (knowledge/data/demo/demo.jsonl) from the openly licensed corpus.

    .venv/bin/python tools/build_demo_data.py \
        [--corpus ../shared/corpus] [--out knowledge/data/demo]

Deterministic: the same corpus gives a byte-identical file (records sorted by type, then id; no
timestamps). Ids follow the rules in the corpus README, because the labelled questions in
tests/data/dev-queries.jsonl are scored by them. Also refreshes knowledge/data/la-names.
"""

from __future__ import annotations

import argparse
import csv
import html
import json
import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

if TYPE_CHECKING:
    from knowledge.orgs import AuthorityNames

REPO = Path(__file__).resolve().parent.parent

Record = dict[str, Any]

MHCLG = "mhclg"
MHCLG_NAME = "Ministry of Housing, Communities and Local Government"
WRA = "Welsh Revenue Authority"
DL_SITE = "https://digital-land.github.io"
WRA_WEEKNOTES = "https://welsh-revenue-authority.github.io/weeknotes/property-data-poc/"
CORE_SITE = "https://core-design-history.netlify.app/"

LICENCE_FILES = {
    "digital-land-weeknote": "digital-land-weeknote/LICENSE",
    "digital-land-projects": "digital-land-projects/LICENSE",
    "wra-weeknotes": "wra-weeknotes/LICENCE.md",
    "communitiesuk-core-design-history": "communitiesuk-core-design-history/LICENCE",
}
PIPELINE_NOTE = """\
LocalGov Digital Pipeline register export (pipeline-2014)

Source: https://github.com/LocalGovDigital/pipeline
Path: src/Roadkill.Web/App_Data/roadkill.sqlite @ commit 3b035352, exported to JSON/CSV.

The database carries no licence of its own; the repository it ships in is licensed under the
Microsoft Public License (MS-PL). Personal data was removed before use: there is no user table,
user names are pseudonyms (user_NN) and e-mail addresses read "[email removed]".
"""
LA_COLUMNS = [
    "local-authority-code",
    "official-name",
    "nice-name",
    "gss-code",
    "end-date",
    "alt-names",
    "nation",
    "local-authority-type-name",
]

# Text the sources use as "to be written" markers: indexing them would only add noise.
PLACEHOLDERS = {
    "-- provide a desciption of the project --",
    "intro paragraph goes here",
    "tbc - coming soon",
}
STAGES = {
    "investigation": "discovery",
    "concept": "discovery",
    "discovery": "discovery",
    "alpha": "alpha",
    "beta": "beta",
    "live": "live",
    "retired": "retired",
}
MONTHS = {
    m: i
    for i, m in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}


# --------------------------------------------------------------------------- text cleaning

EMAIL = re.compile(r"(?:mailto:)?[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
SHORTCODE = re.compile(r"\{\{[<%]\s*/?\s*([\w-]+)([^}]*?)[>%]\}\}")
TITLE_ATTR = re.compile(r'title="([^"]*)"')
IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*(?:\n|\Z)", re.DOTALL)


def split_front_matter(raw: str) -> tuple[dict[str, Any], str]:
    """YAML front matter (or {}) and the body after it."""
    raw = raw.replace("\r\n", "\n").lstrip("\ufeff")
    found = FRONT_MATTER.match(raw)
    if not found:
        return {}, raw
    meta = yaml.safe_load(found.group(1)) or {}
    return meta, raw[found.end() :]


def _shortcode(found: re.Match[str]) -> str:
    # A shortcode's title is often the only heading of the section it opens; keep it.
    title = TITLE_ATTR.search(found.group(2))
    return f"\n\n{title.group(1)}\n\n" if title else ""


def strip_html(text: str) -> str:
    text = re.sub(r"<(script|iframe|style)\b.*?</\1\s*>", "", text, flags=re.DOTALL | re.IGNORECASE)
    text = re.sub(r"<img\b[^>]*>", "", text, flags=re.IGNORECASE)
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    text = re.sub(r"</?(p|div|blockquote|h\d|li|ul|ol)\b[^>]*>", "\n\n", text, flags=re.IGNORECASE)
    text = re.sub(r"<(https?://[^>\s]+)>", r"\1", text)  # markdown autolinks keep their url
    text = re.sub(r"</?[A-Za-z][^>]*>", "", text)
    return text.replace("<[email removed]>", "[email removed]")


def strip_markdown(text: str) -> str:
    text = re.sub(r"\[!\[[^\]]*\]\([^)]*\)\]\([^)]*\)", "", text)  # linked images
    text = IMAGE.sub("", text)
    text = LINK.sub(r"\1", text)
    text = re.sub(r"\[\^\d+\]:?", "", text)  # footnote markers
    text = re.sub(
        r"^\s*\{[.:#][^}]*\}\s*$", "", text, flags=re.MULTILINE
    )  # kramdown attribute lists
    text = re.sub(r"^\s*(?:\*\s*){3,}$|^\s*-{3,}\s*$", "", text, flags=re.MULTILINE)  # rules
    text = re.sub(r"^(\s*)[*+]\s+", r"\1- ", text, flags=re.MULTILINE)  # bullets, before emphasis
    # Headings become paragraphs of their own, also inside list items ("- ### Administrators").
    text = re.sub(r"^(\s*(?:- )?)#{1,6}\s*(.*?)\s*#*\s*$", r"\n\1\2\n", text, flags=re.MULTILINE)
    text = text.replace("*", "").replace("__", "")
    return re.sub(r"(?<!\w)_([^_\n]+)_(?!\w)", r"\1", text)


def tidy(text: str) -> str:
    text = text.replace("\u200b", "").replace("\xa0", " ")
    # Indentation only means something for nested list items; elsewhere it is HTML/XML residue.
    lines = [
        line.rstrip() if line.lstrip().startswith("- ") else line.strip()
        for line in text.split("\n")
    ]
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
    paragraphs = [p for p in text.split("\n\n") if p.strip().lower() not in PLACEHOLDERS]
    return "\n\n".join(p.strip("\n") for p in paragraphs).strip()


def clean(markdown: str) -> str:
    """Markdown/Hugo/HTML source to plain text with paragraph breaks and no e-mail addresses."""
    text = EMAIL.sub("[email removed]", markdown.replace("\r\n", "\n"))
    text = SHORTCODE.sub(_shortcode, text)
    text = strip_markdown(strip_html(text))
    return tidy(html.unescape(text))


def first_sentence(text: str, limit: int = 200) -> str:
    """A one-line summary: the first sentence of the first real paragraph, cut at a word."""
    paragraphs = [p.replace("\n", " ").strip() for p in text.split("\n\n") if p.strip()]
    # Skip headings ("Overview", "Project March Madness"): short and without a full stop.
    prose = [p for p in paragraphs if len(p) > 60 or re.search(r"[.!?]$", p)]
    line = (prose or paragraphs or [""])[0]
    found = re.match(r"(.+?[.!?])(?:\s|$)", line)
    line = found.group(1) if found else line
    if len(line) > limit:
        line = line[:limit].rsplit(" ", 1)[0] + "…"
    return line


def slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower().replace("&", " and ")).strip("-")


def monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def as_date(value: Any) -> date:
    """Front-matter dates come as date, datetime or "YYYY-MM-DD..." strings."""
    if isinstance(value, date):
        return value if type(value) is date else date(value.year, value.month, value.day)
    return date.fromisoformat(str(value).strip()[:10])


# --------------------------------------------------------------------------- organisations


@dataclass
class Organisations:
    """Turns the many spellings of an organisation into one record; councils get GSS codes."""

    names: AuthorityNames  # knowledge.orgs, imported in build() once the repo is on sys.path
    records: dict[str, Record] = field(default_factory=dict)

    def ref(self, name: str) -> str:
        """The id for `name`, creating its record on first use."""
        name = name.strip().lstrip("_").strip()
        if slug(name) in {MHCLG, slug(MHCLG_NAME)}:
            return self._add(MHCLG, MHCLG_NAME, "")
        authority = self.names.match(name)
        if authority is None:
            return self._add(slug(name), name, "")
        return self._add(slug(authority.official_name), authority.official_name, authority.gss)

    def _add(self, org_id: str, name: str, code: str) -> str:
        record: Record = {"type": "organisation", "id": org_id, "name": name}
        if code:
            record["code"] = code
        self.records.setdefault(org_id, record)
        return org_id


# --------------------------------------------------------------------------- Digital Land projects


@dataclass(frozen=True)
class DlProjectFacts:
    """What the pages do not say in machine-readable form: read off each page by hand."""

    service_area: str
    tags: tuple[str, ...]
    suppliers: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()


DL_FACTS = {
    "brownfield-sites": DlProjectFacts(
        "planning", ("brownfield", "land", "data standards", "validation")
    ),
    "compulsory-purchase-orders": DlProjectFacts(
        "planning", ("compulsory purchase", "land", "register")
    ),
    "developer-contributions": DlProjectFacts(
        "planning", ("section 106", "community infrastructure levy", "data standards")
    ),
    "energy-performance-of-buildings": DlProjectFacts(
        "housing", ("energy performance", "epc", "open data")
    ),
    "golden-thread-of-building-information": DlProjectFacts(
        "building safety", ("building safety", "building information")
    ),
    "housing-numbers": DlProjectFacts("housing", ("housing numbers", "local plans", "open data")),
    "infrastructure-funding-statement": DlProjectFacts(
        "planning",
        ("infrastructure funding statement", "developer contributions", "data standards"),
    ),
    "local-plans": DlProjectFacts(
        "planning",
        ("local plans", "planning policy", "data standards"),
        suppliers=("dxw",),
        partners=("Planning Advisory Service",),
    ),
    "single-register-of-planning": DlProjectFacts(
        "planning", ("planning applications", "open data", "register"), suppliers=("mySociety",)
    ),
    "unused-properties": DlProjectFacts(
        "economic development", ("empty properties", "high streets", "register")
    ),
}
# unused-properties carries no date and no weeknote links to it; it cites the Budget 2018 brief
# (29 October 2018), so that is the latest date the page itself supports.
DL_UNDATED = date(2018, 10, 29)
INCLUDE = re.compile(r'\{\{%\s*include-content\s+"([^"]+)"[^}]*%\}\}')
TIMELINE_DATE = re.compile(
    r"^\*\*\[?(?:(\d{1,2})\s+)?(" + "|".join(MONTHS) + r")\s+(\d{4})", re.IGNORECASE | re.MULTILINE
)


def read_page(path: Path, content_root: Path) -> tuple[dict[str, Any], str]:
    """A page's front matter and its body with include-content shortcodes inlined."""
    meta, body = split_front_matter(path.read_text(encoding="utf-8"))

    def include(found: re.Match[str]) -> str:
        target = content_root / found.group(1).lstrip("/")
        return split_front_matter(target.read_text(encoding="utf-8"))[1] if target.is_file() else ""

    return meta, INCLUDE.sub(include, body)


def dl_sections(folder: Path, content_root: Path) -> tuple[dict[str, Any], list[str]]:
    """Front matter of the project page and its text blocks: introduction, page, then phases."""
    main = folder / "index.md" if (folder / "index.md").is_file() else folder / "_index.md"
    meta, body = read_page(main, content_root)
    blocks = [_intro(folder), body]
    for phase in ("discovery", "alpha", "beta"):
        page = next(
            (p for p in (folder / phase / "_index.md", folder / phase / "index.md") if p.is_file()),
            None,
        )
        if page is not None:
            phase_meta, phase_body = read_page(page, content_root)
            blocks += [
                f"## {phase_meta.get('title', phase.title())}",
                _intro(folder / phase),
                phase_body,
            ]
    return meta, blocks


def _intro(folder: Path) -> str:
    intro = folder / "_introduction.md"
    return intro.read_text(encoding="utf-8") if intro.is_file() else ""


def timeline_dates(markdown: str) -> list[date]:
    """Dates of the bold "**7 October 2019**" entries in a project page's timeline."""
    return [
        date(int(y), MONTHS[m.lower()], int(d or 1)) for d, m, y in TIMELINE_DATE.findall(markdown)
    ]


def dl_projects(
    corpus: Path, mentions: dict[str, list[date]], orgs: Organisations
) -> Iterator[Record]:
    content_root = corpus / "digital-land-projects" / "content"
    for folder in sorted(p for p in (content_root / "project").iterdir() if p.is_dir()):
        meta, blocks = dl_sections(folder, content_root)
        raw = "\n\n".join(blocks)
        dates = sorted(timeline_dates(raw) + mentions.get(folder.name, []))
        facts = DL_FACTS.get(folder.name, DlProjectFacts("planning", ()))
        url = f"{DL_SITE}/project/{folder.name}/"
        record: Record = {
            "type": "project",
            "id": f"dl-{folder.name}",
            "title": str(meta["title"]),
            "organisation": MHCLG,
            "stage": STAGES[str(meta.get("status", "discovery")).lower()],
            "description": clean(raw),
            "summary": clean(str(meta.get("summary", ""))),
            "tags": list(facts.tags),
            "service_area": facts.service_area,
            "contact": f"Digital Land team, MHCLG: {url}",
            "url": url,
        }
        # No start date: the timelines open with background events (a 2017 white paper), not
        # with the project starting, so "started" is left out rather than guessed.
        record["updated"] = (dates[-1] if dates else DL_UNDATED).isoformat()
        yield _with_lists(record, facts, orgs)


def _with_lists(record: Record, facts: DlProjectFacts, orgs: Organisations) -> Record:
    if facts.partners:
        record["partners"] = [orgs.ref(name) for name in facts.partners]
    if facts.suppliers:
        record["suppliers"] = list(facts.suppliers)
    record["source"] = "digital-land-projects"
    return record


# --------------------------------------------------------------------------- Digital Land portfolio


@dataclass(frozen=True)
class PortfolioFacts:
    """Owner, service area and stage of a portfolio page, read off the page and its URL."""

    owner: str
    service_area: str
    stage: str = "live"  # most pages describe tools already running in public


PORTFOLIO = {
    # the page's URL is on maps.bristol.gov.uk
    "bristol-maps": PortfolioFacts("Bristol City Council", "mapping"),
    # the text names "Edinburgh City Council"
    "edinburgh-tree-map": PortfolioFacts("Edinburgh City Council", "environment"),
    # maps.london.gov.uk is the Mayor's (GLA) map service
    "ima-ldn-infrastructure-map": PortfolioFacts("Greater London Authority", "infrastructure"),
    "land-explorer": PortfolioFacts("Land Explorer", "land and property"),
    "land-insights": PortfolioFacts("LandInsight", "land and property"),
    # a Tableau Public visualisation published under robradburn's profile
    "land-usage-uk": PortfolioFacts("Rob Radburn", "land and property"),
    # a Carto map published by dancooksonresearch
    "london-schools-fast-food": PortfolioFacts("Dan Cookson Research", "public health"),
    "london-street-trees": PortfolioFacts("Greater London Authority", "environment"),
    # mappinggm.org.uk, the Greater Manchester Open Data Infrastructure Map
    "mapping-greater-manachester": PortfolioFacts(
        "Greater Manchester Combined Authority", "mapping"
    ),
    "odi-leeds-clearer-plan": PortfolioFacts("ODI Leeds", "planning"),
    # a lab's own description rather than one project
    "open-system-labs": PortfolioFacts("Open Systems Lab", "planning", "discovery"),
    "private-eye-overseas-ownership": PortfolioFacts("Private Eye", "land and property"),
    # "we're developing tailored products": not yet a finished service
    "prospective-io": PortfolioFacts("Prospective.io", "planning", "alpha"),
    # digitalservices.surreyi.gov.uk is Surrey County Council's Surrey-i service
    "surrey-planning-application-map": PortfolioFacts("Surrey County Council", "planning"),
    # the page's `who` field; a proposal written up as an essay
    "the-future-of-planning": PortfolioFacts("WikiHouse", "planning", "discovery"),
    "urban-intelligence-howard": PortfolioFacts("Urban Intelligence", "planning"),
}


def portfolio_projects(corpus: Path, orgs: Organisations) -> Iterator[Record]:
    root = corpus / "digital-land-projects" / "content" / "portfolio" / "project"
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        meta, body = split_front_matter((folder / "index.md").read_text(encoding="utf-8"))
        facts = PORTFOLIO.get(folder.name) or PortfolioFacts(
            str(meta.get("who") or meta["title"]), "planning"
        )
        text = clean(body)
        url = str(meta.get("project_url", ""))
        owner = orgs.ref(facts.owner)
        yield {
            "type": "project",
            "id": f"dlp-{folder.name}",
            "title": str(meta["title"]),
            "organisation": owner,
            "stage": facts.stage,
            "description": _portfolio_description(str(meta["title"]), text, meta),
            "summary": first_sentence(text),
            "tags": sorted({slug(p) for p in meta.get("patterns") or []}),
            "service_area": facts.service_area,
            "contact": f"{orgs.records[owner]['name']}: {url}"
            if url
            else orgs.records[owner]["name"],
            "url": url,
            "updated": as_date(meta["date"]).isoformat(),
            "source": "digital-land-projects",
        }


def _portfolio_description(title: str, text: str, meta: dict[str, Any]) -> str:
    """The page text plus its data sets and patterns, which are often all a page says."""
    parts = [
        text or f"{title}: a project listed in the Digital Land portfolio of land data projects."
    ]
    datasets = [str(d).strip() for d in meta.get("datasets") or [] if str(d).strip()]
    patterns = [str(p).strip() for p in meta.get("patterns") or [] if str(p).strip()]
    if datasets:
        parts.append("Data used: " + "; ".join(datasets) + ".")
    if patterns:
        parts.append("Patterns: " + "; ".join(patterns) + ".")
    return "\n\n".join(parts)


# --------------------------------------------------------------------------- Pipeline 2014

PIPELINE_AREAS = {
    3: "digital",
    4: "volunteering",
    5: "internal communications",
    6: "revenue",
    7: "website",
    9: "recruitment",
    10: "website",
    11: "planning",
    13: "website",
    14: "economic development",
    15: "digital",
    16: "website",
    17: "finance",
    18: "website",
    21: "adult social care",
    23: "finance",
}


def pipeline_date(value: str) -> date:
    """Start dates entered as "01/MM/YYYY" were read month-first, so they show as YYYY-01-MM.
    Swapping them back makes every start fall before the project was registered."""
    day = as_date(value)
    if day.month == 1 and 2 <= day.day <= 12:
        return date(day.year, day.day, 1)
    return day


def pipeline_projects(corpus: Path, orgs: Organisations) -> Iterator[Record]:
    folder = corpus / "pipeline-2014"
    with (folder / "roadkill.sqlite.pipeline_orgs.csv").open(
        encoding="utf-8", newline=""
    ) as handle:
        org_names = {int(row["id"]): row["orgname"] for row in csv.DictReader(handle)}
    projects = json.loads((folder / "roadkill.sqlite.projects.json").read_text(encoding="utf-8"))
    for project in sorted(projects, key=lambda p: int(p["id"])):
        yield _pipeline_project(project, org_names, orgs)


def _pipeline_project(
    project: dict[str, Any], org_names: dict[int, str], orgs: Organisations
) -> Record:
    owner = orgs.ref(org_names.get(int(project["org_id"]), project["organisation"]))
    description = _pipeline_text(project["description_markdown"])
    comments = _pipeline_comments(project["relationships"])
    activity = [project["modified_on"], *(r["at"] for r in project["relationships"])]
    partners = sorted(
        {
            orgs.ref(r["user_org"])
            for r in project["relationships"]
            if r["type"] == "Join" and not r["user_org"].startswith("_")
        }
        - {owner}
    )
    record: Record = {
        "type": "project",
        "id": f"pl-{project['id']}",
        "title": project["title"].strip(),
        "organisation": owner,
        "stage": STAGES[project["status"].lower()],
        "description": "\n\n".join(p for p in (description or project["title"], comments) if p),
        "summary": first_sentence(description),
        "tags": sorted({slug(t) for t in project["tags"]}),
        "service_area": PIPELINE_AREAS.get(int(project["id"]), "digital"),
        "contact": f"Pipeline user {project['created_by']}",
        "url": "",
        "started": pipeline_date(project["project_start"]).isoformat(),
        "updated": max(as_date(a) for a in activity).isoformat(),
    }
    if partners:
        record["partners"] = partners
    record["source"] = "pipeline-2014"
    return record


def _pipeline_text(markdown: str) -> str:
    """Cleaned text; a description that is little more than a link label keeps the link."""
    text = clean(markdown)
    urls = re.findall(r"\]\((https?://[^)\s]+)\)", markdown)
    if len(text) < 40 and urls:
        text = f"{text}: {' '.join(urls)}"
    return text


def _pipeline_comments(relationships: list[dict[str, Any]]) -> str:
    """Replies are where "this has been done already" lives, so they belong with the project."""
    lines = [
        f"- {r['user']} ({r['user_org'].lstrip('_')}, "
        f"{r['type'].lower()}d {as_date(r['at']).isoformat()}): {clean(r['text'])}"
        for r in relationships
        if r["text"].strip()
    ]
    return "Comments on Pipeline:\n" + "\n".join(lines) if lines else ""


# --------------------------------------------------------------------------- weeknotes

PROJECT_LINK = re.compile(
    r"(?:\]\(|href=\")(?:https?://digital-land\.github\.io)?/project/([a-z0-9-]+)"
)


def dl_weeknotes(corpus: Path, project_ids: set[str]) -> Iterator[Record]:
    for path in sorted((corpus / "digital-land-weeknote" / "content").glob("*.md")):
        if path.name.startswith("_"):
            continue
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        # Only links to Digital Land's own /project/ pages count; pypi.org/project/... does not.
        first = PROJECT_LINK.search(body)
        project = f"dl-{first.group(1)}" if first else None
        day = as_date(meta.get("date", path.stem))
        yield _weeknote(
            f"dlw-{path.stem}",
            project if project in project_ids else None,
            MHCLG,
            "Digital Land team",
            day,
            str(meta.get("title", "Weeknote")),
            clean(body),
            f"{DL_SITE}/weeknote/{path.stem}/",
            "digital-land-weeknote",
        )


def dl_project_mentions(corpus: Path) -> dict[str, list[date]]:
    """Every weeknote date that links to each project: its activity history."""
    mentions: dict[str, list[date]] = {}
    for path in sorted((corpus / "digital-land-weeknote" / "content").glob("*.md")):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        for folder in sorted(set(PROJECT_LINK.findall(body))):
            mentions.setdefault(folder, []).append(as_date(meta.get("date", path.stem)))
    return mentions


def wra_weeknotes(corpus: Path) -> Iterator[Record]:
    for path in sorted((corpus / "wra-weeknotes" / "property-data-poc" / "_posts").glob("*.md")):
        _, body = split_front_matter(path.read_text(encoding="utf-8"))
        title_line, _, rest = body.strip().partition("\n")
        title = re.sub(r"^[#\s]*(?:\U0001F4DD\s*)?", "", title_line).strip()
        day = as_date(path.stem[:10])
        # The weeknotes index links each post by its date under the project folder.
        yield _weeknote(
            f"wraw-{path.stem}",
            "wra-property-data-poc",
            slug(WRA),
            "WRA land and property data proof of concept team",
            day,
            title,
            clean(rest),
            f"{WRA_WEEKNOTES}{path.stem[:10]}",
            "wra-weeknotes",
        )


def core_weeknotes(corpus: Path) -> Iterator[Record]:
    for path in sorted(
        (corpus / "communitiesuk-core-design-history" / "app" / "posts").glob("*.md")
    ):
        meta, body = split_front_matter(path.read_text(encoding="utf-8"))
        authors = meta.get("authors") or ([meta["author"]] if meta.get("author") else [])
        parts = [str(meta.get("description", "")), body, _screenshot_text(meta.get("screenshots"))]
        # Posts are published at /<file name without the date>/ (the posts link each other so).
        yield _weeknote(
            f"corew-{path.stem}",
            "core-lettings",
            MHCLG,
            ", ".join(authors) or "CORE team",
            as_date(meta.get("date", path.stem[:10])),
            str(meta["title"]),
            clean("\n\n".join(p for p in parts if p)),
            f"{CORE_SITE}{path.stem[11:]}/",
            "communitiesuk-core-design-history",
        )


def _screenshot_text(screenshots: Any) -> str:
    """Screenshot titles and captions carry much of what a design-history post says."""
    groups = screenshots if isinstance(screenshots, list) else [screenshots] if screenshots else []
    lines: list[str] = []
    for group in groups:
        if group.get("title"):
            lines.append(f"\n{group['title']}\n")
        for item in group.get("items") or []:
            caption = f": {item['caption']}" if item.get("caption") else ""
            lines.append(f"- {item.get('text', '')}{caption}")
    return "Screenshots\n" + "\n".join(lines) if lines else ""


def _weeknote(
    note_id: str,
    project: str | None,
    org: str,
    author: str,
    day: date,
    title: str,
    text: str,
    url: str,
    source: str,
) -> Record:
    return {
        "type": "weeknote",
        "id": note_id,
        "project": project,
        "organisation": org,
        "author": author,
        "week": monday(day).isoformat(),
        "date": day.isoformat(),
        "title": title.strip(),
        "text": text,
        "url": url,
        "source": source,
    }


# --------------------------------------------------------------------------- single projects


def wra_project(notes: list[Record], orgs: Organisations) -> Record:
    # The folder has no project page: the first two paragraphs are the weeknotes' own "a reminder
    # that we are exploring..." openings, the third lists the weeknotes' section headings.
    description = (
        "The Welsh Revenue Authority's land and property data proof of concept explored the art of "
        "the possible for simpler, fairer, more efficient, devolved land and property taxation in "
        "Wales: how the WRA can support geographically varied land and property taxes (such as a "
        "localised land transaction tax), and whether a data platform for land and property in "
        "Wales could also be the foundation for something more.\n\n"
        "Aims: bring the opportunities and challenges to life; give Ministers potential policy "
        "options; be clear about the scale of ambition and where to start; demonstrate new ways of "
        "working.\n\n"
        "The team built a data landscape catalogue, worked examples and scenarios, rules-as-code "
        "calculations, and a prototype land and property data platform with an API and "
        "documentation."
    )
    return _single_project(
        "wra-property-data-poc",
        "Land and property data proof of concept",
        orgs.ref(WRA),
        "alpha",
        description,
        notes,
        "revenue",
        ["land", "property", "land transaction tax", "data platform", "wales", "rules as code"],
        f"WRA land and property data proof of concept team: {WRA_WEEKNOTES}",
        WRA_WEEKNOTES,
        "wra-weeknotes",
    )


def core_project(notes: list[Record]) -> Record:
    # The design history has no overview page; this summarises its posts in their own words.
    description = (
        "CORE is MHCLG's service for social housing providers to submit social housing lettings "
        'and sales data ("Submit social housing lettings and sales data (CORE)"). The team is '
        "replacing the existing CORE service: its design history records alpha and beta user "
        "research and design changes to the single log submission journey, the 'About this log' "
        "section, the task list, user and account management for data providers and data "
        "coordinators, the privacy notice for tenants and buyers, supported housing schemes and "
        "services, and owning organisations and managing agents."
    )
    return _single_project(
        "core-lettings",
        "CORE: submit social housing lettings and sales data",
        MHCLG,
        "beta",
        description,
        notes,
        "housing",
        ["social housing", "lettings", "sales", "data collection", "design history"],
        f"CORE team, MHCLG: {CORE_SITE}",
        CORE_SITE,
        "communitiesuk-core-design-history",
    )


def _single_project(
    project_id: str,
    title: str,
    org: str,
    stage: str,
    description: str,
    notes: list[Record],
    area: str,
    tags: list[str],
    contact: str,
    url: str,
    source: str,
) -> Record:
    days = sorted(n["date"] for n in notes)
    return {
        "type": "project",
        "id": project_id,
        "title": title,
        "organisation": org,
        "stage": stage,
        "description": description,
        "summary": first_sentence(description),
        "tags": tags,
        "service_area": area,
        "contact": contact,
        "url": url,
        "started": days[0],
        "updated": days[-1],
        "source": source,
    }


# --------------------------------------------------------------------------- assembly and output


def build(corpus: Path) -> list[Record]:
    # Run as a script, Python puts tools/ (not the repo) on sys.path.
    if str(REPO) not in sys.path:
        sys.path.insert(0, str(REPO))
    from knowledge.orgs import AuthorityNames

    orgs = Organisations(AuthorityNames.load(corpus / "mysociety-la-names" / "data"))
    orgs.ref(MHCLG_NAME)
    dl = list(dl_projects(corpus, dl_project_mentions(corpus), orgs))
    wra_notes, core_notes = list(wra_weeknotes(corpus)), list(core_weeknotes(corpus))
    projects = [
        *dl,
        *portfolio_projects(corpus, orgs),
        *pipeline_projects(corpus, orgs),
        wra_project(wra_notes, orgs),
        core_project(core_notes),
    ]
    notes = [*dl_weeknotes(corpus, {p["id"] for p in projects}), *wra_notes, *core_notes]
    used = _referenced_orgs([*projects, *notes])
    org_records = [r for r in orgs.records.values() if r["id"] in used]
    return [*_by_id(org_records), *_by_id(projects), *_by_id(notes)]


def _referenced_orgs(records: Iterable[Record]) -> set[str]:
    used: set[str] = set()
    for record in records:
        used.add(record["organisation"])
        used.update(record.get("partners", []))
    return used


def _by_id(records: list[Record]) -> list[Record]:
    """Sorted by id with numbers compared as numbers, so pl-3 comes before pl-10."""

    def key(record: Record) -> list[tuple[int, str]]:
        return [
            (1, "") if not part else (0, part.zfill(12)) if part.isdigit() else (1, part)
            for part in re.split(r"(\d+)", str(record["id"]))
        ]

    return sorted(records, key=key)


def write_jsonl(records: list[Record], path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [json.dumps(r, ensure_ascii=False) + "\n" for r in records]
    path.write_text("".join(lines), encoding="utf-8", newline="\n")


def copy_licences(corpus: Path, out: Path) -> None:
    folder = out / "licences"
    folder.mkdir(parents=True, exist_ok=True)
    for name, source in LICENCE_FILES.items():
        shutil.copyfile(corpus / source, folder / f"{name}-LICENSE")
    (folder / "pipeline-2014-LICENSE").write_text(PIPELINE_NOTE, encoding="utf-8", newline="\n")


def copy_la_names(corpus: Path, target: Path) -> None:
    """The normaliser's data: the register trimmed to the columns it needs, aliases as they are."""
    source = corpus / "mysociety-la-names"
    target.mkdir(parents=True, exist_ok=True)
    with (source / "data" / "uk_local_authorities.csv").open(
        encoding="utf-8", newline=""
    ) as handle:
        rows = list(csv.DictReader(handle))
    with (target / "uk_local_authorities.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, LA_COLUMNS, extrasaction="ignore", lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    shutil.copyfile(
        source / "data" / "lookup_name_to_registry.csv", target / "lookup_name_to_registry.csv"
    )
    shutil.copyfile(source / "LICENSE", target / "LICENSE")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=REPO.parent / "shared" / "corpus")
    parser.add_argument("--out", type=Path, default=REPO / "knowledge" / "data" / "demo")
    parser.add_argument(
        "--la-names-out", type=Path, default=REPO / "knowledge" / "data" / "la-names"
    )
    args = parser.parse_args(argv)
    records = build(args.corpus)
    write_jsonl(records, args.out / "demo.jsonl")
    copy_licences(args.corpus, args.out)
    copy_la_names(args.corpus, args.la_names_out)
    counts = {
        kind: sum(r["type"] == kind for r in records)
        for kind in ("organisation", "project", "weeknote")
    }
    print(f"wrote {args.out / 'demo.jsonl'}: " + ", ".join(f"{n} {k}s" for k, n in counts.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
