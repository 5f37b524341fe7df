"""The `hasanyone` command line."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from adapters.app import App
from adapters.bootstrap import Runtime, build, load_demo, make_engines
from adapters.settings import Settings, SettingsError, load_settings

if TYPE_CHECKING:
    from bot.model import DigestFilter, Subscription

log = logging.getLogger("hasanyone")
cli = typer.Typer(
    help="hasanyone: “has anyone done X?” for the UK local-government digital community.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,  # a traceback's locals would show settings and URLs
)
db_cli = typer.Typer(help="Database schema and demo data.", no_args_is_help=True)
digest_cli = typer.Typer(help="The weekly digest.", no_args_is_help=True)
cli.add_typer(db_cli, name="db")
cli.add_typer(digest_cli, name="digest")


def _version() -> str:
    """The installed package's version; in a checkout that is not installed, pyproject's."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("hasanyone")
    except PackageNotFoundError:
        import tomllib

        pyproject = Path(__file__).resolve().parent.parent / "pyproject.toml"
        try:
            return str(tomllib.loads(pyproject.read_text("utf-8"))["project"]["version"])
        except (OSError, KeyError, tomllib.TOMLDecodeError):
            return "(version unknown)"


def _print_version(wanted: bool) -> None:
    if wanted:
        print(f"hasanyone {_version()}")
        raise typer.Exit


@cli.callback()
def _options(
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_print_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    pass


def _settings() -> Settings:
    """The settings, with logging set up; or one line per problem and exit 2."""
    try:
        settings = load_settings()
    except SettingsError as error:
        for problem in error.problems:
            _err(problem)
        raise typer.Exit(2) from None
    from adapters.observability.logs import configure_logging

    configure_logging(settings.log_format, settings.log_level)
    logging.getLogger("alembic").setLevel(logging.WARNING)  # knowledge.db says when it upgrades
    for warning in settings.warnings:
        log.warning("%s", warning)
    return settings


def _app(*, demo: bool | None = None) -> App:
    """The core, for commands that never talk to Slack or Teams."""
    return _runtime(demo=demo, platforms=False).core


def _runtime(*, demo: bool | None = None, platforms: bool = True) -> Runtime:
    from knowledge.db import SchemaNotCurrent

    settings = _settings()
    if demo is not None:
        settings = settings.model_copy(update={"demo_data": demo})
    with _database_errors(settings):
        try:
            return build(settings, platforms=platforms)
        except SchemaNotCurrent as error:
            _err(
                f"HASANYONE_MIGRATE is false and {error}: run `hasanyone db upgrade` first "
                "(the release step)"
            )
            raise typer.Exit(2) from None


@contextlib.contextmanager
def _database_errors(settings: Settings) -> Iterator[None]:
    """A database that cannot be reached is one line naming DATABASE_URL, not a traceback
    (and the driver's reason never carries the password, which is taken out to be sure)."""
    import sqlalchemy as sa

    try:
        yield
    except sa.exc.OperationalError as error:
        reason = str(error.orig or error).strip().splitlines()[0]
        for url in (settings.database_url, settings.leader_database_url):
            password = sa.engine.make_url(url).password if url and "://" in url else None
            if password:
                reason = reason.replace(str(password), "***")
        _err(f"DATABASE_URL: cannot use the database: {reason}")
        raise typer.Exit(1) from None


def _err(message: str) -> None:
    typer.echo(message, err=True)


@cli.command()
def chat(
    user: Annotated[str | None, typer.Option(help="Who you are in the conversation.")] = None,
) -> None:
    """Talk to the bot in the terminal, with the same commands as in Slack and Teams."""
    from adapters.console.chat import ConsoleSession, run

    app = _app()
    _start_embedding(app)
    run(
        ConsoleSession(app.bot, app.clock, user=user),
        sys.stdin,
        lambda s: print(s, end="", flush=True),
    )


@cli.command()
def ask(
    question: Annotated[str | None, typer.Argument(help="The question, in plain words.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per question.")] = False,
    limit: Annotated[int, typer.Option(min=1, max=50, help="At most this many results.")] = 5,
    batch: Annotated[Path | None, typer.Option(help="A file of questions, one a line.")] = None,
) -> None:
    """Answer a question from the register and weeknotes (without logging it)."""
    from adapters.console.render import finding_json, to_text
    from bot.commands.ask import answer_reply

    if (question is None) == (batch is None):
        _err('Give a question, or --batch FILE, but not both.\n  e.g. hasanyone ask "bins app?"')
        raise typer.Exit(2)
    questions = [question] if question is not None else _read_questions(batch)
    app = _app()
    for text in questions:
        finding = app.finder.find(text, limit=limit)
        # Nothing is logged here, so the reply must not say it was (or offer to share it).
        reply = answer_reply(finding, question_id=None, logged=False)
        print(finding_json(finding) if as_json else to_text(reply))


def unembedded(app: App) -> int:
    """Live documents minus stored vectors of the model: a count, without loading the index
    (stale vectors of edited documents are not told apart here)."""
    from knowledge.passage_vectors import count_unembedded

    assert app.finder.embedder is not None
    return count_unembedded(app.engine, app.finder.embedder.model_id)


def _read_questions(path: Path | None) -> list[str]:
    assert path is not None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        _err(f"Cannot read {path}: {exc.strerror}.")
        raise typer.Exit(2) from None
    return [line.strip() for line in lines if line.strip()]


@cli.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="A JSON Lines file (DESIGN §6 format).")],
) -> None:
    """Add or update records from FILE. Same ids update; bad lines are listed, never fatal."""
    from tqdm import tqdm

    from knowledge.interchange import import_records

    try:
        lines = file.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        _err(f"Cannot read {file}: {exc}.")
        raise typer.Exit(2) from None
    app = _app(demo=False)
    with tqdm(
        total=len(lines), unit="rec", disable=len(lines) < 2_000 or None, file=sys.stderr
    ) as bar:
        report = import_records(app.repo, lines, now=app.clock.now(), progress=bar.update)
    print(report.summary())
    waiting = unembedded(app) if app.finder.embedder else 0
    if waiting:
        print(
            f"About {waiting} documents to embed: a running server does it in the background, "
            "or run: hasanyone embed"
        )
    for number, reason in report.rejected:
        print(f"  line {number}: {reason}")
    for number, note in report.notes:
        print(f"  line {number}: {note}")
    if report.rejected:
        raise typer.Exit(1)


@cli.command()
def export(
    fmt: Annotated[str, typer.Option("--format", help="jsonl or csv (projects only).")] = "jsonl",
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
    include_internal: Annotated[
        bool, typer.Option(help="Include weeknotes marked internal.")
    ] = False,
    backup: Annotated[
        bool,
        typer.Option(
            "--backup",
            help="Everything, with owners, authors, people and deletions, for `import` to "
            "restore exactly. Not open data: keep it as safe as the database.",
        ),
    ] = False,
) -> None:
    """Write the register as open data (no personal keys), or a full backup."""
    from knowledge.interchange import export_records, write_jsonl, write_projects_csv

    if fmt not in ("jsonl", "csv") or (backup and fmt != "jsonl"):
        _err(f"Unknown format {fmt!r}: use jsonl or csv (a backup is jsonl).")
        raise typer.Exit(2)
    app = _app()
    if backup:
        from knowledge.backup import backup_records

        records = backup_records(app.engine, now=app.clock.now())
    else:
        records = export_records(app.repo, include_internal=include_internal)
    writer = write_jsonl if fmt == "jsonl" else write_projects_csv
    if out is None:
        writer(records, sys.stdout)
        return
    with _cannot_write(out), out.open("w", encoding="utf-8", newline="") as stream:
        count = writer(records, stream)
    _err(f"Wrote {count} records to {out}.")


@contextlib.contextmanager
def _cannot_write(path: Path) -> Iterator[None]:
    """A path that cannot be written (no such folder, a folder, /proc, a full disk) is one
    line naming it and why, and exit 2, not a traceback."""
    try:
        yield
    except OSError as exc:
        reason = "not a folder" if isinstance(exc, FileExistsError) else exc.strerror or exc
        _err(f"Cannot write {path}: {reason}.")
        raise typer.Exit(2) from None


PLATFORMS = ("text", "slack", "teams")


@cli.command()
def render(
    question: Annotated[str, typer.Argument(help="The question.")],
    platform: Annotated[
        str, typer.Option(help="text, slack (message JSON) or teams (activity JSON with its card).")
    ] = "text",
) -> None:
    """Print exactly what the bot posts for QUESTION in a public channel, buttons and all.

    Nothing is logged: the buttons carry question id 0, never a logged question's, and a
    "nobody yet" answer says it logged the question, as the posted one does, though it did not."""
    from adapters.bootstrap import services_logging_nothing
    from adapters.console.render import to_text
    from bot.commands.ask import handle_ask
    from bot.model import ConversationRef, Incoming, Person

    if platform not in PLATFORMS:
        _err(f"Unknown platform {platform!r}: use one of {', '.join(PLATFORMS)}.")
        raise typer.Exit(2)
    app = _app()
    where = ConversationRef(platform, "CRENDER", "TRENDER", thread_id="1", is_public=True)
    asked = Incoming(question, Person(f"{platform}:TRENDER:URENDER"), where, app.clock.now())
    reply = handle_ask(question, asked, services_logging_nothing(app))
    if platform == "slack":
        from adapters.slack.blocks import to_message

        print(json.dumps(to_message(reply), ensure_ascii=False, indent=2))
    elif platform == "teams":
        from adapters.teams.cards import to_activity

        print(json.dumps(to_activity(reply), ensure_ascii=False, indent=2))
    else:
        print(to_text(reply))


manifest_cli = typer.Typer(help="App manifests for Slack (and Teams).", no_args_is_help=True)
cli.add_typer(manifest_cli, name="manifest")


@manifest_cli.command("slack")
def manifest_slack(
    url: Annotated[str, typer.Option(help="The public https:// base URL hasanyone is served at.")],
    socket_mode: Annotated[bool, typer.Option(help="Mark the app as using Socket Mode.")] = False,
) -> None:
    """Print the Slack app manifest (YAML) with the request URLs filled in."""
    import yaml

    from adapters.manifest import slack_manifest

    try:
        manifest = slack_manifest(url, socket_mode=socket_mode)
    except ValueError as exc:
        _err(f"{exc}: e.g. --url https://hasanyone.example.gov.uk")
        raise typer.Exit(2) from None
    print(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True), end="")


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on.")] = None,
) -> None:
    """Run the HTTP server (health check now; Slack and Teams endpoints as they are enabled)."""
    from adapters.server import RefusedToStart
    from adapters.server import serve as run_server

    runtime = _runtime()
    host, port = host or runtime.settings.host, port or runtime.settings.port
    _start_embedding(runtime.core)
    try:
        run_server(runtime, host=host, port=port)
    except RefusedToStart as refused:
        _err(f"hasanyone will not start: {refused}")
        raise typer.Exit(2) from None
    except OSError as error:
        _err(f"HASANYONE_HOST/HASANYONE_PORT: cannot listen on {host}:{port}: {error.strerror}")
        raise typer.Exit(1) from None


def _start_embedding(app: App) -> None:
    """Embed, in the background, whatever has no current vectors: the answers meanwhile are
    lexical for those documents, never delayed."""
    if app.finder.worker is not None:
        app.finder.worker.start(interval=app.finder.sync_interval)


@cli.command()
def embed(
    everything: Annotated[
        bool, typer.Option("--all", help="Embed every document again, current or not.")
    ] = False,
) -> None:
    """Embed the passages of documents with no current vectors (after a bulk import, or a
    change of HASANYONE_EMBEDDING_MODEL), with a progress bar. A running server picks them up
    as they are saved."""
    from tqdm import tqdm

    from adapters.bootstrap import batch_embedding

    app = _app()
    worker = batch_embedding(app)
    if worker is None:
        _err("Semantic search is off (HASANYONE_SEMANTIC=false): nothing to embed.")
        raise typer.Exit(2)
    app.finder.sync()
    keys = app.finder.index.documents() if everything else app.finder.documents_needing_vectors()
    worker.request(keys)
    with tqdm(total=len(keys), unit="doc", file=sys.stderr, disable=None) as bar:
        done = worker.run_all(progress=bar.update)
    print(f"Embedded {worker.embedded} of {done} documents with {worker.embedder.model_id}.")


@digest_cli.command("preview")
def digest_preview(
    channel: Annotated[
        str | None, typer.Option(help="A subscribed channel: its filters, community and period.")
    ] = None,
) -> None:
    """Print the digest of the last seven days (or exactly what a channel would get now)."""
    from dataclasses import replace
    from datetime import timedelta

    from bot.digest import compose_digest, digest_for
    from bot.digest_schedule import last_fire, period

    app = _app()
    end = app.clock.now()
    if channel is None:
        # The operator's view: every community's shareable questions, no filter.
        print(compose_digest(app.repo.activity_between(end - timedelta(days=7), end)).text)
        return
    sub = app.subscriptions.in_channel(channel)
    if sub is None:
        _err(f"Channel {channel!r} has no digest. See: hasanyone digest list")
        raise typer.Exit(2)
    start, end = period(last_fire(sub.day, sub.time, sub.timezone, end))
    digest = digest_for(replace(sub, post_when_quiet=True), app.repo.activity_between(start, end))
    assert digest is not None  # a quiet week still says so in a preview
    print(digest.text)


@digest_cli.command("run")
def digest_run(
    now: Annotated[
        bool,
        typer.Option(
            "--now", help="Post every channel's current digest, even outside the catch-up window."
        ),
    ] = False,
    at: Annotated[
        str | None, typer.Option(help="Act as if it were this time (ISO 8601 with offset).")
    ] = None,
) -> None:
    """Post every digest that is due, once, and exit (for cron-style deployments)."""
    import asyncio

    runtime = _runtime()
    when = _when(runtime.core, at)

    async def run() -> tuple[str, str]:
        try:
            report = await runtime.run_digests(now=when, force=now)
            return report.summary(), await runtime.deliver_outbox()
        finally:
            await runtime.aclose()

    digests, direct = asyncio.run(run())
    print(digests)
    print(f"direct messages: {direct}")


@digest_cli.command("remind")
def digest_remind(
    at: Annotated[
        str | None, typer.Option(help="Act as if it were this time (ISO 8601 with offset).")
    ] = None,
) -> None:
    """Send the Friday weeknote reminders due now, once, and exit. For cron-style deployments:
    run it hourly on Fridays and Saturdays (UTC); each owner is reminded at 14:00 on Friday in
    their own timezone, once a week."""
    import asyncio

    runtime = _runtime()
    when = _when(runtime.core, at)

    async def run() -> str:
        try:
            return await runtime.remind(now=when)
        finally:
            await runtime.aclose()

    print(asyncio.run(run()))


def _when(app: App, at: str | None) -> datetime:
    """`--at`, or the clock's time."""
    if at is None:
        return app.clock.now()
    when: datetime | None
    try:
        when = datetime.fromisoformat(at)
    except ValueError:
        when = None
    if when is None or when.tzinfo is None:
        example = "2025-03-10T09:05:00+00:00"
        _err(f"--at needs a date and time with its offset, like {example} (got {at!r}).")
        raise typer.Exit(2)
    return when


@digest_cli.command("subscribe")
def digest_subscribe(
    platform: Annotated[str, typer.Option(help="slack or teams.")],
    channel: Annotated[str, typer.Option(help="The channel or conversation id.")],
    day: Annotated[str | None, typer.Option(help="mon … sun (new: mon).")] = None,
    time: Annotated[str | None, typer.Option(help="Local time, HH:MM (new: 09:00).")] = None,
    tz: Annotated[str | None, typer.Option(help="IANA timezone (new: Europe/London).")] = None,
    workspace: Annotated[str, typer.Option(help="Slack team id or Teams tenant id.")] = "",
    service_area: Annotated[
        list[str] | None, typer.Option(help="Only this service area (repeatable).")
    ] = None,
    organisation: Annotated[
        list[str] | None, typer.Option(help="Only this organisation, by name or id (repeatable).")
    ] = None,
    everything: Annotated[
        bool, typer.Option("--everything", help="Drop the service-area and organisation filters.")
    ] = False,
    quiet: Annotated[
        str | None, typer.Option(help="A week with no news: 'line' posts one line, 'skip' nothing.")
    ] = None,
) -> None:
    """Subscribe a channel to the weekly digest, or change what is given of an existing one
    (everything else stays as it was; a paused digest resumes)."""
    from bot.clock import zone_named
    from bot.digest_schedule import DAYS, day_named, time_named
    from bot.model import ConversationRef

    problems = []
    if platform not in ("slack", "teams"):
        problems.append(f"--platform must be slack or teams, not {platform!r}")
    if day is not None and day_named(day) is None:
        problems.append(f"--day must be one of {', '.join(DAYS)}, not {day!r}")
    if time is not None and time_named(time) is None:
        problems.append(f"--time must look like 09:00, not {time!r}")
    if tz is not None and zone_named(tz) is None:
        problems.append(f"--tz must be a timezone such as Europe/London, not {tz!r}")
    if quiet not in (None, "line", "skip"):
        problems.append(f"--quiet must be line or skip, not {quiet!r}")
    if problems:
        _err("\n".join(problems))
        raise typer.Exit(2)
    app = _app()
    if platform == "teams":
        _refuse_unseen_teams_conversation(app, channel)
    only = _filter(app, service_area, organisation, everything=everything)
    sub = app.subscriptions.subscribe(
        ConversationRef(platform, channel, workspace),
        by="cli",
        now=app.clock.now(),
        day=day_named(day) if day else None,
        time=time_named(time) if time else None,
        timezone=tz,
        only=only,
        post_when_quiet=None if quiet is None else quiet == "line",
    )
    print(f"{sub.platform} {sub.channel_id}: {_subscription_terms(sub)}")


def _refuse_unseen_teams_conversation(app: App, channel: str) -> None:
    if app.conversations.state("teams", channel) != "installed":
        _err(
            f"hasanyone has not been added to Teams conversation {channel!r} (or was "
            "removed from it), so it could not post there. Add the app to the team or "
            "chat and @mention it once, or have a team owner say `digest on` in the "
            "channel itself."
        )
        raise typer.Exit(2)


def _filter(
    app: App, areas: list[str] | None, organisations: list[str] | None, *, everything: bool
) -> DigestFilter | None:
    """The filter the options ask for (checked like the chat's `digest only …`), or None to
    keep the subscription's own."""
    from bot.commands.digest import organisations_named, service_areas_named
    from bot.model import DigestFilter

    if everything:
        return DigestFilter()
    if not areas and not organisations:
        return None
    found_areas = service_areas_named(areas or [], app.services) if areas else ()
    found_orgs = organisations_named(organisations or [], app.services) if organisations else ()
    problems = [p for p in (found_areas, found_orgs) if isinstance(p, str)]
    if problems:
        _err("\n".join(f"--service-area/--organisation: {p}" for p in problems))
        raise typer.Exit(2)
    assert not isinstance(found_areas, str) and not isinstance(found_orgs, str)
    return DigestFilter(found_areas, found_orgs)


def _subscription_terms(sub: Subscription) -> str:
    """When a subscription posts, what it is limited to, and what a quiet week gets."""
    only = ""
    if sub.only.service_areas:
        only += f"; only service areas: {', '.join(sub.only.service_areas)}"
    if sub.only.organisations:
        only += f"; only organisations: {', '.join(sub.only.organisations)}"
    quiet = "" if sub.post_when_quiet else "; nothing in a quiet week"
    paused = f"; PAUSED ({sub.paused_reason or 'turned off'})" if not sub.active else ""
    return f"every {sub.day} at {sub.time} ({sub.timezone}){only}{quiet}{paused}"


def _subscribed(app: App, channel: str) -> Subscription:
    sub = app.subscriptions.in_channel(channel)
    if sub is None:
        _err(f"Channel {channel!r} has no digest. See: hasanyone digest list")
        raise typer.Exit(2)
    return sub


@digest_cli.command("pause")
def digest_pause(
    channel: Annotated[str, typer.Option(help="The channel or conversation id.")],
    reason: Annotated[str, typer.Option(help="Why (shown by `digest list`).")] = "paused by hand",
) -> None:
    """Stop a channel's digest for now, keeping its settings (`digest resume` starts it again)."""
    app = _app()
    sub = _subscribed(app, channel)
    assert sub.id is not None
    app.subscriptions.pause(sub.id, reason)
    print(f"{sub.platform} {sub.channel_id}: paused ({reason}).")


@digest_cli.command("resume")
def digest_resume(
    channel: Annotated[str, typer.Option(help="The channel or conversation id.")],
) -> None:
    """Start a paused digest again, with the settings it had."""
    app = _app()
    sub = _subscribed(app, channel)
    if sub.platform == "teams":
        _refuse_unseen_teams_conversation(app, channel)
    sub = app.subscriptions.subscribe(sub.where, by="cli", now=app.clock.now())
    print(f"{sub.platform} {sub.channel_id}: {_subscription_terms(sub)}")


@digest_cli.command("unsubscribe")
def digest_unsubscribe(
    channel: Annotated[str, typer.Option(help="The channel or conversation id.")],
) -> None:
    """Stop a channel's digest (as `digest off` does in the channel)."""
    app = _app()
    sub = _subscribed(app, channel)
    app.subscriptions.unsubscribe(sub.where)
    print(f"{sub.platform} {sub.channel_id}: no longer gets the digest.")


@digest_cli.command("list")
def digest_list(
    paused: Annotated[
        bool, typer.Option("--paused", help="Also the paused ones, and why.")
    ] = False,
) -> None:
    """Every active subscription (with --paused, the paused ones too) and its last run."""

    app = _app()
    last = {r.subscription_id: r for r in app.subscriptions.runs()}
    subs = app.subscriptions.subscriptions(paused=paused)
    if not subs:
        print("No channel gets the digest yet.")
    for sub in subs:
        run = last.get(sub.id or -1)
        status = (
            f"last: {run.period_start} {run.status}"
            + (f" ({run.error})" if run and run.error else "")
            if run
            else "never run"
        )
        print(f"{sub.platform} {sub.channel_id}: {_subscription_terms(sub)}; {status}")


@cli.command()
def forget(
    person_key: Annotated[
        str, typer.Argument(help="Whom to forget, e.g. slack:T0001:U123 or teams:TENANT:AAD-ID.")
    ],
) -> None:
    """Remove a person's own data (for a community manager handling a request to be forgotten):
    their record, their name and key on their weeknotes, their questions' asker, their votes,
    memberships and claims. Their projects stay, with no owner."""
    if person_key.count(":") < 2:
        _err(f"{person_key!r} is not a person key: they look like slack:T0001:U123.")
        raise typer.Exit(2)
    app = _app(demo=False)
    gone = app.people.forget(person_key, now=app.clock.now())
    found = "their record" if gone.person else "no record of them"
    print(
        f"Forgot {person_key}: {found}; {gone.weeknotes} weeknotes and {gone.questions} "
        f"questions anonymised; {gone.projects} projects left without an owner."
    )


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Create or upgrade the database schema (whatever HASANYONE_MIGRATE says: this is the
    release step that deployments with HASANYONE_MIGRATE=false run before starting)."""
    from knowledge import db

    settings = _settings()
    with _database_errors(settings):
        engine, locks = make_engines(settings)
        with db.migration_lock(engine, locks=locks):
            db.ensure_schema(engine)
        print(f"Database at revision {db.current_revision(engine)}.")


@db_cli.command("load-demo")
def db_load_demo() -> None:
    """Load (or refresh) the bundled demo data set."""
    app = _app(demo=False)
    model = app.finder.embedder.model_id if app.finder.embedder else None
    print(load_demo(app.repo, now=app.clock.now(), model=model).summary())


@db_cli.command("stats")
def db_stats() -> None:
    """Count what the register holds."""
    from knowledge.interchange import export_records

    app = _app()
    counts: dict[str, int | str | None] = {}
    for record in export_records(app.repo, include_internal=True):
        kind = record["type"]
        counts[kind] = int(counts.get(kind) or 0) + 1
    app.finder.sync()
    index = app.finder.index
    counts["passages"] = index.passage_count
    counts["passages_embedded"] = len(index.vectors)  # current vectors of the model below
    counts["embedding_model"] = app.finder.embedder.model_id if app.finder.embedder else None
    print(json.dumps(counts))


@manifest_cli.command("teams")
def manifest_teams(
    out: Annotated[
        Path, typer.Option(help="Folder to write manifest.json, the icons and the zip into.")
    ],
    bot_id: Annotated[
        str | None, typer.Option(help="The bot's app id (default: MICROSOFT_APP_ID).")
    ] = None,
    version: Annotated[str, typer.Option(help="The app package version.")] = "1.0.0",
) -> None:
    """Write the Teams app package, generated from app.yaml, ready to upload to Teams admin."""
    from adapters.manifest import load_manifest
    from adapters.teams.manifest import teams_manifest, write_package

    app_id = bot_id or _settings().teams.id
    if not app_id:
        _err("Give the bot's app id: --bot-id GUID, or set MICROSOFT_APP_ID.")
        raise typer.Exit(2)
    try:
        manifest = teams_manifest(load_manifest(), bot_id=app_id, version=version)
    except ValueError as exc:
        _err(str(exc))
        raise typer.Exit(2) from None
    with _cannot_write(out):
        package = write_package(out, manifest)
    print(f"Wrote {package}")


def main() -> None:
    cli()
