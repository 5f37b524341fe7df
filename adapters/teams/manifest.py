"""The Teams app package (manifest.json, color.png, outline.png, zipped) generated from app.yaml.

`app.yaml` is the Slack manifest and the one description of the app: the Teams manifest takes
its name, descriptions, colour and commands from it. Teams has no slash commands; people type
the command word to the bot ("weeknote …", "hasanyone help"), and the manifest's command
lists only offer those words in the compose box. The catch-all `/hasanyone` becomes one Teams
command per part of its description ("Ask …; help; listen on|off" → ask, help, listen).

Schema: https://developer.microsoft.com/json-schemas/teams/v1.16/MicrosoftTeams.schema.json.
No PyPI package ships that schema, so the limits it sets are spelled out here and tested.
"""

from __future__ import annotations

import json
import re
import struct
import uuid
import zipfile
import zlib
from collections.abc import Iterable, Mapping, Sequence
from importlib.resources import files
from pathlib import Path
from typing import Any

MANIFEST_VERSION = "1.16"
MANIFEST_SCHEMA = (
    f"https://developer.microsoft.com/json-schemas/teams/v{MANIFEST_VERSION}"
    "/MicrosoftTeams.schema.json"
)
# Placeholders: replace with the real pages before publishing the app to a tenant's catalogue
# (`site_url=` below); Teams only checks that they are https URLs.
PLACEHOLDER_SITE = "https://hasanyone.example.gov.uk/"
DEVELOPER_NAME = "LocalGov Digital community"
PACKAGE_NAME = "uk.gov.example.hasanyone"
# A fixed namespace so that a bot id which is not a GUID always gives the same app id:
# Teams treats a changed app id as a different app.
APP_ID_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://hasanyone.example.gov.uk/teams-app")
SCOPES = ("personal", "team", "groupchat")
PERMISSIONS = ("identity", "messageTeamMembers")
RSC_CHANNEL_MESSAGES = "ChannelMessage.Read.Group"
RSC_RESOURCE = "https://RscBasedStoreApp"  # the placeholder Teams documents for RSC-only apps
SEARCH_COMMAND = "searchQuery"
CATCH_ALL = "/hasanyone"
CHANNEL_ONLY = frozenset({"listen"})  # the core refuses `listen` in a direct chat
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"
ZIP_NAME = "hasanyone-teams.zip"
COLOR_SIZE = 192
OUTLINE_SIZE = 32

# Limits from the v1.16 schema.
SHORT_NAME = 30
FULL_NAME = 100
SHORT_DESCRIPTION = 80
FULL_DESCRIPTION = 4_000
DEVELOPER_NAME_MAX = 32
PACKAGE_NAME_MAX = 64
BOT_ID_MAX = 64
MAX_COMMANDS = 10
COMMAND_TITLE = 32
COMMAND_DESCRIPTION = 128
MAX_VALID_DOMAINS = 16
VALID_DOMAIN = 2_048

GUID = re.compile(r"^[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")
SEMVER = re.compile(r"^(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)\.(?:0|[1-9]\d*)$")
HEX_COLOUR = re.compile(r"^#[0-9a-fA-F]{6}$")
DOMAIN = re.compile(r"^(?:\*\.)?[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::\d{1,5})?$")
COMMAND_WORD = re.compile(r"^[a-z0-9][a-z0-9_-]*$")  # one word people can type
ELLIPSIS = "…"


def teams_manifest(
    app_yaml: Mapping[str, Any],
    *,
    bot_id: str,
    version: str = "1.0.0",
    valid_domains: Iterable[str] = (),
    site_url: str = PLACEHOLDER_SITE,
) -> dict[str, Any]:
    """The manifest.json for the Teams app package, from app.yaml (as `load_manifest` reads it).

    `bot_id` is the bot's Microsoft App ID; it is also the app id when it is a GUID (else a
    stable GUID is derived from it). Raises ValueError for a value Teams would refuse.
    """
    if not bot_id or len(bot_id) > BOT_ID_MAX:
        raise ValueError(f"bot_id must be 1 to {BOT_ID_MAX} characters")
    if not SEMVER.match(version):
        raise ValueError(f"version must be MAJOR.MINOR.PATCH, not {version!r}")
    info = app_yaml["display_information"]
    return {
        "$schema": MANIFEST_SCHEMA,
        "manifestVersion": MANIFEST_VERSION,
        "version": version,
        "id": app_id(bot_id),
        "packageName": PACKAGE_NAME,
        "developer": _developer(site_url),
        "name": _names(info),
        "description": _descriptions(info),
        "icons": {"color": COLOR_ICON, "outline": OUTLINE_ICON},
        "accentColor": _accent(info),
        "bots": [_bot(bot_id, teams_commands(app_yaml))],
        "composeExtensions": [_search_extension(bot_id)],
        "permissions": list(PERMISSIONS),
        "validDomains": _domains(valid_domains),
        # Teams sends a bot every message of a channel (not only @mentions) only with this
        # resource-specific consent, granted by the team's owner when they add the app: it is
        # what `listen on` needs. Teams asks for the app's AAD id alongside.
        "webApplicationInfo": {"id": app_id(bot_id), "resource": RSC_RESOURCE},
        "authorization": {
            "permissions": {
                "resourceSpecific": [{"name": RSC_CHANNEL_MESSAGES, "type": "Application"}]
            }
        },
    }


def _search_extension(bot_id: str) -> dict[str, Any]:
    """A search-based message extension: "has anyone…" typed in the compose box's extension
    returns result cards to insert into the conversation (composeExtension/query)."""
    return {
        "botId": bot_id,
        "commands": [
            {
                "id": SEARCH_COMMAND,
                "type": "query",
                "title": "Has anyone…",
                "description": "Find projects and weeknotes by other councils",
                "initialRun": False,
                "parameters": [
                    {
                        "name": "query",
                        "title": "Has anyone…",
                        "description": "What you want to know, e.g. bulky waste booking",
                        "inputType": "text",
                    }
                ],
            }
        ],
    }


def app_id(bot_id: str) -> str:
    """The bot id when it is a GUID (lower-cased), else a GUID derived from it."""
    if GUID.match(bot_id):
        return bot_id.lower()
    return str(uuid.uuid5(APP_ID_NAMESPACE, bot_id))


def _developer(site_url: str) -> dict[str, str]:
    if not site_url.startswith("https://"):
        raise ValueError("the developer's pages need an https:// URL")
    base = site_url.rstrip("/")
    return {
        "name": DEVELOPER_NAME,
        "websiteUrl": base + "/",
        "privacyUrl": base + "/privacy",
        "termsOfUseUrl": base + "/terms",
    }


def _names(info: Mapping[str, Any]) -> dict[str, str]:
    name = " ".join(str(info["name"]).split())
    tagline = _first_sentence(str(info.get("description", "")))
    full = f"{name}: {tagline}" if tagline else name
    return {"short": shorten(name, SHORT_NAME), "full": shorten(full, FULL_NAME)}


def _descriptions(info: Mapping[str, Any]) -> dict[str, str]:
    short = " ".join(str(info.get("description", "")).split())
    full = " ".join(str(info.get("long_description", "")).split()) or short
    return {"short": shorten(short, SHORT_DESCRIPTION), "full": shorten(full, FULL_DESCRIPTION)}


def _accent(info: Mapping[str, Any]) -> str:
    colour = str(info.get("background_color", ""))
    if not HEX_COLOUR.match(colour):
        raise ValueError(f"background_color must look like #1d4f91, not {colour!r}")
    return colour.lower()


def _bot(bot_id: str, commands: Sequence[dict[str, str]]) -> dict[str, Any]:
    lists = []
    for scope in SCOPES:
        offered = [c for c in commands if scope != "personal" or c["title"] not in CHANNEL_ONLY]
        lists.append({"scopes": [scope], "commands": offered})
    return {
        "botId": bot_id,
        "scopes": list(SCOPES),
        "supportsFiles": False,
        "isNotificationOnly": False,
        "commandLists": lists,
    }


def _domains(domains: Iterable[str]) -> list[str]:
    out = []
    for domain in domains:
        if len(domain) > VALID_DOMAIN or not DOMAIN.match(domain):
            raise ValueError(f"valid domains are host names such as example.org, not {domain!r}")
        if domain not in out:
            out.append(domain)
    if len(out) > MAX_VALID_DOMAINS:
        raise ValueError(f"Teams allows at most {MAX_VALID_DOMAINS} valid domains")
    return out


# -- commands ----------------------------------------------------------------------------------


def teams_commands(app_yaml: Mapping[str, Any]) -> list[dict[str, str]]:
    """{"title", "description"} for every command app.yaml's slash commands reach, in order.

    `/weeknote` becomes "weeknote"; the catch-all `/hasanyone` becomes one command per
    ";"-separated part of its description, named by the part's first word. Raises ValueError
    when a title or the number of commands is over Teams' limits.
    """
    commands: list[dict[str, str]] = []
    for entry in app_yaml["features"]["slash_commands"]:
        for title, description in _teams_words(entry):
            if len(title) > COMMAND_TITLE or not COMMAND_WORD.match(title):
                raise ValueError(f"{title!r} cannot be a Teams command title")
            if all(c["title"] != title for c in commands):
                commands.append({"title": title, "description": description})
    if len(commands) > MAX_COMMANDS:
        raise ValueError(
            f"Teams shows at most {MAX_COMMANDS} commands; app.yaml has {len(commands)}"
        )
    return commands


def _teams_words(entry: Mapping[str, Any]) -> list[tuple[str, str]]:
    command = str(entry["command"])
    description = " ".join(str(entry.get("description", "")).split())
    hint = " ".join(str(entry.get("usage_hint", "")).split())
    if command != CATCH_ALL:
        title = command.lstrip("/").lower()
        return [(title, _describe(description, title, hint))]
    parts = [p.strip() for p in description.split(";") if p.strip()]
    words = []
    for n, part in enumerate(parts):
        title = part.split()[0].lower()
        text = part[0].upper() + part[1:]
        words.append((title, _describe(text, title, hint) if n == 0 else text))
    return words


def _describe(description: str, title: str, hint: str) -> str:
    """The Slack description, with the usage hint when Teams' 128 characters allow."""
    with_usage = f"{description}. Usage: {title} {hint}" if hint else description
    return (
        with_usage
        if len(with_usage) <= COMMAND_DESCRIPTION
        else shorten(description, COMMAND_DESCRIPTION)
    )


# -- package -----------------------------------------------------------------------------------


def write_package(out_dir: Path, manifest: Mapping[str, Any]) -> Path:
    """Write manifest.json, color.png, outline.png and hasanyone-teams.zip (the three files
    at its root, as Teams requires) into `out_dir`; return the zip's path. The zip is the
    same bytes for the same manifest, so it can be compared and checked in."""
    out_dir.mkdir(parents=True, exist_ok=True)
    contents = {
        "manifest.json": (json.dumps(manifest, indent=2, ensure_ascii=False) + "\n").encode(),
        COLOR_ICON: icon_bytes(COLOR_ICON),
        OUTLINE_ICON: icon_bytes(OUTLINE_ICON),
    }
    for name, data in contents.items():
        (out_dir / name).write_bytes(data)
    package = out_dir / ZIP_NAME
    with zipfile.ZipFile(package, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, data in contents.items():
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, data)
    return package


def icon_bytes(name: str) -> bytes:
    """One of the icons shipped in adapters/teams/icons (made by `render_icons`)."""
    return (files("adapters.teams") / "icons" / name).read_bytes()


# -- icons -------------------------------------------------------------------------------------

# A question mark on a 5×7 grid, drawn in white.
GLYPH = (
    ".###.",
    "#...#",
    "....#",
    "...#.",
    "..#..",
    ".....",
    "..#..",
)
WHITE = (255, 255, 255, 255)
CLEAR = (0, 0, 0, 0)
Pixel = tuple[int, int, int, int]


def render_icons(accent: str) -> dict[str, bytes]:
    """The two icons Teams needs: 192×192 white glyph on the accent colour, and 32×32
    white glyph on transparency (the outline icon must be white and transparent only).
    Regenerate the shipped files with `write_icons`."""
    if not HEX_COLOUR.match(accent):
        raise ValueError(f"accent must look like #1d4f91, not {accent!r}")
    r, g, b = (int(accent[i : i + 2], 16) for i in (1, 3, 5))
    return {
        COLOR_ICON: png(_glyph_image(COLOR_SIZE, scale=16, background=(r, g, b, 255))),
        OUTLINE_ICON: png(_glyph_image(OUTLINE_SIZE, scale=3, background=CLEAR)),
    }


def write_icons(accent: str, out_dir: Path) -> None:
    for name, data in render_icons(accent).items():
        (out_dir / name).write_bytes(data)


def _glyph_image(size: int, *, scale: int, background: Pixel) -> list[list[Pixel]]:
    left = (size - len(GLYPH[0]) * scale) // 2
    top = (size - len(GLYPH) * scale) // 2
    rows = []
    for y in range(size):
        row = []
        for x in range(size):
            gx, gy = (x - left) // scale, (y - top) // scale
            inside = 0 <= gy < len(GLYPH) and 0 <= gx < len(GLYPH[0])
            row.append(WHITE if inside and GLYPH[gy][gx] == "#" else background)
        rows.append(row)
    return rows


def png(rows: Sequence[Sequence[Pixel]]) -> bytes:
    """An 8-bit RGBA PNG, uncompressed filter 0 on every row, the same bytes every time."""
    height, width = len(rows), len(rows[0])
    raw = b"".join(b"\x00" + bytes(channel for pixel in row for channel in pixel) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return b"".join(
        (
            b"\x89PNG\r\n\x1a\n",
            _chunk(b"IHDR", header),
            _chunk(b"IDAT", zlib.compress(raw, 9)),
            _chunk(b"IEND", b""),
        )
    )


def _chunk(kind: bytes, data: bytes) -> bytes:
    crc = zlib.crc32(kind + data) & 0xFFFFFFFF
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)


# -- text --------------------------------------------------------------------------------------


def shorten(text: str, limit: int) -> str:
    """Text cut at a word end with "…" to fit `limit` characters."""
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    ends = (i for i in range(room, room // 2, -1) if text[i].isspace())
    return text[: next(ends, room)].rstrip(" ,;:") + ELLIPSIS


def _first_sentence(text: str) -> str:
    text = " ".join(text.split())
    match = re.match(r"^(.+?[.?!])(?:\s|$)", text)
    return match.group(1) if match else text
