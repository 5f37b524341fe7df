"""Benchmark knowledge.search on a synthetic register of council projects and weeknotes.

    .venv/bin/python bench/search.py [--sizes 1000,10000,100000] [--weeknotes 100000]
                                     [--queries 300] [--seed 7] [--semantic] [--sample 256]

For each size it builds an index of that many projects plus ``--weeknotes`` weeknotes, in a
fresh process so memory figures are its own, and prints: build time, the index's own memory
(objects and arrays reachable from it), the peak growth of resident memory during the build
(build temporaries included), search latency (p50/p99/max) over practitioner-style questions, a
fifth of them with a typo, and the share of questions with any hit. Generation is seeded: the same
arguments give the same register and questions.

With ``--semantic`` every passage gets a stored vector and each question is embedded by the
shipped model (fastembed, one thread) before the hybrid search: the latency columns are then
the whole ask (question embedding + search), with the embedding's share beside them. The
passage vectors are random unit vectors (latency does not depend on their values; embedding
300k passages on this machine would take hours), and the embedding throughput is measured on a
sample of ``--sample`` real passages of the register. Everything runs on one core: BLAS and
ONNX Runtime are limited to one thread. RSS is the process's resident memory at the end: the
index, the vectors and the model, as in a server.
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing as mp
import os
import random
import resource
import statistics
import sys
import time
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from knowledge.search import Document, SearchIndex, embedding_texts  # noqa: E402


def _split(text: str) -> list[str]:
    return text.split()


COUNCILS = _split(
    """Hackney Camden Islington Lambeth Southwark Bristol Leeds Manchester Birmingham
Liverpool Newcastle Sheffield Nottingham Leicester Coventry Bradford Kirklees Wakefield Calderdale
Barnsley Doncaster Rotherham Stockport Trafford Salford Wigan Bolton Bury Oldham Rochdale Tameside
Cornwall Devon Somerset Dorset Wiltshire Gloucestershire Oxfordshire Buckinghamshire Hertfordshire
Essex Kent Surrey Sussex Hampshire Norfolk Suffolk Cambridgeshire Lincolnshire Derbyshire
Staffordshire Shropshire Worcestershire Warwickshire Northumberland Cumbria Lancashire Cheshire
Merton Sutton Croydon Bromley Bexley Greenwich Lewisham Wandsworth Richmond Kingston Hounslow
Ealing Brent Barnet Enfield Haringey Waltham Redbridge Havering Newham Tower Hamlets Westminster
Aberdeen Dundee Edinburgh Glasgow Fife Highland Cardiff Swansea Newport Wrexham Belfast"""
)

SERVICES = [
    "bulky waste collection",
    "garden waste subscription",
    "missed bin reporting",
    "recycling",
    "council tax",
    "business rates",
    "housing benefit",
    "blue badge",
    "parking permits",
    "school admissions",
    "home to school transport",
    "adult social care",
    "children's services",
    "special educational needs",
    "education health and care plans",
    "housing repairs",
    "homelessness",
    "social housing allocations",
    "planning applications",
    "building control",
    "brownfield land",
    "conservation areas",
    "tree preservation orders",
    "local plan",
    "developer contributions",
    "street lighting",
    "potholes",
    "highways defects",
    "fly tipping",
    "pest control",
    "licensing",
    "elections",
    "registrars",
    "libraries",
    "leisure centres",
    "freedom of information",
    "complaints",
    "customer contact",
    "recruitment",
    "procurement",
    "intranet",
    "website",
    "open data",
    "address gazetteer",
    "energy performance certificates",
    "empty homes",
    "cemeteries",
    "allotments",
    "noise complaints",
    "food hygiene inspections",
]
ARTEFACTS = [
    "booking form",
    "online service",
    "chatbot",
    "dashboard",
    "data standard",
    "API",
    "map",
    "self-service portal",
    "reminder texts",
    "eligibility checker",
    "case management system",
    "payment integration",
    "user research",
    "discovery",
    "alpha prototype",
    "data platform",
    "content redesign",
    "mobile app",
    "automation",
    "digital form",
    "register",
    "sprint",
]
SYSTEMS = _split(
    """Salesforce Dynamics Granicus Jadu Drupal LocalGov Firmstep Netcall Liberty Civica
Capita Northgate Idox Uniform Whitespace Bartec Abavus PowerBI Tableau ArcGIS QGIS Notify Pay
Verify Mosaic Liquidlogic Azure AWS Google SharePoint Teams Slack Miro Jira Confluence"""
)
STAGES = ["discovery", "alpha", "beta", "live", "retired"]
VERBS = [
    "built",
    "procured",
    "launched",
    "tested",
    "prototyped",
    "migrated",
    "redesigned",
    "replaced",
    "automated",
    "published",
    "shared",
    "integrated",
]
ASKS = [
    "has anyone built {a}",
    "has anyone done {a}",
    "does anyone know if any councils have {a}",
    "has anyone procured {a}",
    "anyone know of {a}",
    "is there anyone who has made {a}",
    "looking for examples of {a}",
    "we're thinking about {a}, has anyone tried it?",
    "has anyone ever developed {a} please",
    "{a}",
]
COMMON = _split(
    """the a to of and in for we this that with on our is be it have are from as at by was
will team week user users service services data people work working next done also been some
more new test testing research council councils residents staff officers meeting meetings
sprint show tell feedback content design designs developer developers interviews workshop plan
plans planning process processes problem problems needs need journey journeys prototype page
pages form forms help support understand learning learned findings change changes improve
better easier time weeks month months project projects progress priorities priority backlog
stories story delivery deliver demo stakeholders manager managers product owner board budget
costs cost supplier suppliers contract systems system integration platform spreadsheet email
phone calls letters paper manual manually"""
)


def pseudo_words(rng: random.Random, n: int) -> list[str]:
    """A long tail of rare words (names, jargon, typos in the text) for a realistic vocabulary."""
    syllables = _split(
        "ba be bi bo bu ca co cu da de di do fa fe fi ga go ha he hi ka ke ko la le li lo \
lu ma me mi mo mu na ne ni no pa pe pi po ra re ri ro ru sa se si so ta te ti to va ve vi wa \
we wi za zo"
    )
    return ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(n)]


def sentence(rng: random.Random, rare: list[str], length: int) -> str:
    words = rng.choices(COMMON, k=length)
    for _ in range(max(1, length // 12)):
        words[rng.randrange(length)] = rng.choice(rare)
    return " ".join(words)


def make_projects(rng: random.Random, n: int, rare: list[str]) -> list[Document]:
    projects = []
    for i in range(n):
        service, artefact = rng.choice(SERVICES), rng.choice(ARTEFACTS)
        council, system = rng.choice(COUNCILS), rng.choice(SYSTEMS)
        title = f"{service.capitalize()} {artefact}"
        text = (
            f"{council} Council {rng.choice(VERBS)} a {service} {artefact} using {system}. "
            f"We are in {rng.choice(STAGES)}. {sentence(rng, rare, rng.randint(40, 90))}. "
            f"It replaced {rng.choice(SYSTEMS)} and {rng.choice(SERVICES)} is next."
        )
        projects.append(
            Document(
                "project",
                f"p{i}",
                title,
                text,
                organisation=f"{council} Council",
                tags=(service, artefact, system.lower()),
                service_area=service.split()[0],
            )
        )
    return projects


def make_weeknotes(
    rng: random.Random, n: int, projects: list[Document], rare: list[str]
) -> list[Document]:
    notes = []
    for i in range(n):
        project = rng.choice(projects)
        topic = project.tags[0] if rng.random() < 0.7 else rng.choice(SERVICES)
        text = (
            f"This week on {topic} we {rng.choice(VERBS)} the {rng.choice(ARTEFACTS)}. "
            f"{sentence(rng, rare, rng.randint(60, 160))}. Next week: "
            f"{rng.choice(SYSTEMS)} integration and {rng.choice(STAGES)} assessment."
        )
        notes.append(
            Document(
                "weeknote", f"w{i}", f"Weeknote {i % 52 + 1}: {topic}", text, project_id=project.id
            )
        )
    return notes


def typo(rng: random.Random, text: str) -> str:
    words = text.split()
    long = [i for i, w in enumerate(words) if len(w) >= 6 and w.isalpha()]
    if not long:
        return text
    i = rng.choice(long)
    w = words[i]
    j = rng.randrange(1, len(w) - 2)
    words[i] = w[:j] + w[j + 1] + w[j] + w[j + 2 :]
    return " ".join(words)


def make_questions(rng: random.Random, n: int) -> list[str]:
    questions = []
    for _ in range(n):
        subject = f"a {rng.choice(SERVICES)} {rng.choice(ARTEFACTS)}"
        if rng.random() < 0.3:
            subject += f" in {rng.choice(SYSTEMS)}"
        question = rng.choice(ASKS).format(a=subject)
        questions.append(typo(rng, question) if rng.random() < 0.2 else question)
    return questions


def deep_size_mb(root: object) -> float:
    """Bytes reachable from ``root`` (numpy arrays count their data), not counting modules,
    classes and functions: the index's own memory, which RSS blurs with allocator slack."""
    seen: set[int] = set()
    stack = [root]
    total = 0
    skip = (type, types.ModuleType, types.FunctionType, types.BuiltinFunctionType)
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, skip):
            continue
        seen.add(id(obj))
        total += sys.getsizeof(obj)
        stack.extend(gc.get_referents(obj))
    return total / 2**20


def rss_mb() -> float:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * resource.getpagesize() / 2**20


def run_size(
    size: int, weeknotes: int, queries: int, seed: int, semantic: bool, sample: int
) -> dict[str, float]:
    rng = random.Random(seed)
    rare = pseudo_words(rng, 30_000)
    projects = make_projects(rng, size, rare)
    docs = projects + make_weeknotes(rng, weeknotes, projects, rare)
    questions = make_questions(rng, queries)
    before = rss_mb()
    started = time.perf_counter()
    index = SearchIndex()
    index.add_many(docs)
    build = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    index_mb = deep_size_mb(index)
    embed = None
    row: dict[str, float] = {"passages": index.passage_count}
    if semantic:
        from knowledge.embedding import FastEmbedder

        embed = FastEmbedder(threads=1)
        attach_random_vectors(index, docs, seed)
        row.update(throughput(embed, docs, sample, seed))
    for question in questions[:20]:  # warm the spelling dictionary, caches and the model
        index.search(question, query_vector=embed.embed([question])[0] if embed else None)
    latencies, embedding = [], []
    answered = 0
    for question in questions:
        t = time.perf_counter()
        vector = embed.embed([question])[0] if embed else None
        e = time.perf_counter()
        result = index.search(question, query_vector=vector)
        latencies.append((time.perf_counter() - t) * 1000)
        embedding.append((e - t) * 1000)
        answered += bool(result.hits)
    latencies.sort()
    embedding.sort()
    row.update(
        {
            "projects": size,
            "weeknotes": weeknotes,
            "build_s": build,
            "index_mb": index_mb,
            "peak_mb": peak,
            "p50_ms": statistics.median(latencies),
            "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
            "max_ms": latencies[-1],
            "embed_p50_ms": statistics.median(embedding),
            "with_hits": answered / len(questions),
            "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )
    return row


def attach_random_vectors(index: SearchIndex, docs: list[Document], seed: int) -> None:
    """One random unit vector per passage (384-d, like all-MiniLM-L6-v2's)."""
    rng = np.random.default_rng(seed)
    for doc in docs:
        docno = index.docno(doc.kind, doc.id)
        if docno is None:
            continue
        n = int(index._units_of.view[docno])
        vectors = rng.standard_normal((n, 384), dtype=np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        index.set_vectors(doc.kind, doc.id, vectors)


def throughput(embed: object, docs: list[Document], sample: int, seed: int) -> dict[str, float]:
    """Passages embedded per second on one core, on a sample of the register's passages."""
    rng = random.Random(seed)
    texts = [t for d in rng.sample(docs, min(len(docs), sample)) for t in embedding_texts(d)]
    texts = texts[:sample]
    started = time.perf_counter()
    embed.embed(texts)  # type: ignore[attr-defined]
    spent = time.perf_counter() - started
    return {"passages_per_s": len(texts) / spent, "sample": len(texts)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--weeknotes", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--semantic", action="store_true", help="hybrid search, with the model")
    parser.add_argument("--sample", type=int, default=256, help="passages for the throughput")
    args = parser.parse_args()
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = "1"  # one core, inherited by the spawned process
    print(
        f"{'projects':>9} {'weeknotes':>9} {'passages':>9} {'build s':>8} {'index MB':>9} "
        f"{'peak MB':>8} {'p50 ms':>7} {'p99 ms':>7} {'max ms':>7} {'hits':>5} {'RSS MB':>7}"
        + (f" {'embed p50':>9} {'passages/s/core':>15}" if args.semantic else "")
    )
    context = mp.get_context("spawn")  # a fresh process per size: memory figures are its own
    for size in (int(s) for s in args.sizes.split(",")):
        with context.Pool(1) as pool:
            row = pool.apply(
                run_size,
                (size, args.weeknotes, args.queries, args.seed, args.semantic, args.sample),
            )
        semantic = (
            f" {row['embed_p50_ms']:>9.2f} {row['passages_per_s']:>15.1f}" if args.semantic else ""
        )
        print(
            f"{row['projects']:>9,} {row['weeknotes']:>9,} {row['passages']:>9,.0f} "
            f"{row['build_s']:>8.1f} {row['index_mb']:>9.0f} {row['peak_mb']:>8.0f} "
            f"{row['p50_ms']:>7.2f} {row['p99_ms']:>7.2f} {row['max_ms']:>7.2f} "
            f"{row['with_hits']:>5.0%} {row['rss_mb']:>7.0f}" + semantic,
            flush=True,
        )


if __name__ == "__main__":
    main()
