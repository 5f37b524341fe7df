"""The Teams app package generated from app.yaml.

No PyPI package ships MicrosoftTeams.schema.json (and tests never fetch it), so the v1.16
schema's limits are checked one by one here, with the icons' real pixel sizes read back.
"""

from __future__ import annotations

import copy
import json
import re
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest

from adapters.manifest import load_manifest, slash_commands
from adapters.teams import manifest as teams
from adapters.teams.manifest import render_icons, teams_commands, teams_manifest, write_package
from bot.commands import COMMANDS as CORE_COMMANDS

BOT_ID = "5B3F4E3C-2A1D-4F6B-9C8E-7D6A5B4C3D2E"
GUID = re.compile(r"^[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}$")
V1_16_KEYS = {  # top-level properties the v1.16 schema allows (it has additionalProperties: false)
    "$schema",
    "manifestVersion",
    "version",
    "id",
    "packageName",
    "localizationInfo",
    "developer",
    "name",
    "description",
    "icons",
    "accentColor",
    "configurableTabs",
    "staticTabs",
    "bots",
    "connectors",
    "subscriptionOffer",
    "composeExtensions",
    "permissions",
    "devicePermissions",
    "validDomains",
    "webApplicationInfo",
    "graphConnector",
    "showLoadingIndicator",
    "isFullScreen",
    "activities",
    "configurableProperties",
    "supportedChannelTypes",
    "defaultBlockUntilAdminAction",
    "publisherDocsUrl",
    "defaultInstallScope",
    "defaultGroupCapability",
    "meetingExtensionDefinition",
    "authorization",
}


@pytest.fixture
def app_yaml() -> dict[str, Any]:
    return load_manifest()


@pytest.fixture
def manifest(app_yaml: dict[str, Any]) -> dict[str, Any]:
    return teams_manifest(app_yaml, bot_id=BOT_ID, valid_domains=["hasanyone.example.gov.uk"])


def titles(manifest: dict[str, Any], scope: str | None = None) -> list[str]:
    lists = manifest["bots"][0]["commandLists"]
    return [
        c["title"] for cl in lists if scope is None or scope in cl["scopes"] for c in cl["commands"]
    ]


# -- the schema's rules --------------------------------------------------------------------------


def test_the_manifest_is_v1_16_with_only_known_properties(manifest: dict[str, Any]) -> None:
    assert (
        manifest["$schema"]
        == "https://developer.microsoft.com/json-schemas/teams/v1.16/MicrosoftTeams.schema.json"
    )
    assert manifest["manifestVersion"] == "1.16"
    assert set(manifest) <= V1_16_KEYS
    required = {
        "manifestVersion",
        "version",
        "id",
        "developer",
        "name",
        "description",
        "icons",
        "accentColor",
    }
    assert required <= set(manifest)


SCHEMA = Path(__file__).resolve().parent.parent / "data" / "teams-manifest"


def test_the_manifest_validates_against_the_official_v1_16_schema(manifest: dict[str, Any]) -> None:
    """The schema Microsoft ships in @microsoft/app-manifest (tests/data/teams-manifest)."""
    import jsonschema

    schema = json.loads((SCHEMA / "MicrosoftTeams.v1.16.schema.json").read_text())
    errors = [e.message for e in jsonschema.Draft4Validator(schema).iter_errors(manifest)]
    assert errors == []
    broken = copy.deepcopy(manifest)
    broken["composeExtensions"][0]["commands"][0]["type"] = "nonsense"
    assert list(jsonschema.Draft4Validator(schema).iter_errors(broken))  # it can fail


def test_the_manifest_asks_to_read_channel_messages_and_offers_the_search_extension(
    manifest: dict[str, Any],
) -> None:
    permissions = manifest["authorization"]["permissions"]["resourceSpecific"]
    assert {"name": "ChannelMessage.Read.Group", "type": "Application"} in permissions
    assert manifest["webApplicationInfo"]["id"] == manifest["id"]
    [extension] = manifest["composeExtensions"]
    assert extension["botId"] == BOT_ID
    assert [c["type"] for c in extension["commands"]] == ["query"]


def test_ids_names_and_descriptions_are_within_the_schemas_limits(manifest: dict[str, Any]) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", manifest["version"])
    assert GUID.match(manifest["id"])
    assert 0 < len(manifest["packageName"]) <= 64
    developer = manifest["developer"]
    assert developer["name"] == "LocalGov Digital community" and len(developer["name"]) <= 32
    for key in ("websiteUrl", "privacyUrl", "termsOfUseUrl"):
        assert developer[key].startswith("https://hasanyone.example.gov.uk/")
    assert 0 < len(manifest["name"]["short"]) <= 30 and 0 < len(manifest["name"]["full"]) <= 100
    assert 0 < len(manifest["description"]["short"]) <= 80
    assert 0 < len(manifest["description"]["full"]) <= 4_000
    assert re.fullmatch(r"#[0-9a-fA-F]{6}", manifest["accentColor"])
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert manifest["permissions"] == ["identity", "messageTeamMembers"]
    assert manifest["validDomains"] == ["hasanyone.example.gov.uk"]


def test_the_bot_is_in_every_scope_with_at_most_ten_commands_per_list(
    manifest: dict[str, Any],
) -> None:
    [bot] = manifest["bots"]
    assert bot["botId"] == BOT_ID
    assert sorted(bot["scopes"]) == ["groupchat", "personal", "team"]
    assert 1 <= len(bot["commandLists"]) <= 3
    assert sorted(s for cl in bot["commandLists"] for s in cl["scopes"]) == sorted(bot["scopes"])
    for command_list in bot["commandLists"]:
        assert 1 <= len(command_list["commands"]) <= 10
        for command in command_list["commands"]:
            assert set(command) == {"title", "description"}
            assert 0 < len(command["title"]) <= 32 and 0 < len(command["description"]) <= 128


def test_names_and_descriptions_come_from_app_yaml(
    app_yaml: dict[str, Any], manifest: dict[str, Any]
) -> None:
    info = app_yaml["display_information"]
    assert manifest["name"]["short"] == info["name"]
    assert manifest["name"]["full"] == f"{info['name']}: Has anyone done X?"
    assert manifest["accentColor"] == info["background_color"].lower()
    assert manifest["description"]["full"] == " ".join(info["long_description"].split())
    short = manifest["description"]["short"]
    assert short.endswith("…") and info["description"].startswith(short[:-1])


# -- commands ------------------------------------------------------------------------------------


def test_the_teams_commands_are_exactly_the_core_commands_app_yaml_reaches(
    manifest: dict[str, Any],
) -> None:
    assert set(titles(manifest)) == {c.name for c in CORE_COMMANDS}


def test_every_slash_command_in_app_yaml_is_represented(
    app_yaml: dict[str, Any], manifest: dict[str, Any]
) -> None:
    offered = set(titles(manifest))
    for command in slash_commands(app_yaml):
        wanted = {"ask", "help"} if command == "/hasanyone" else {command.lstrip("/")}
        assert wanted <= offered, command


def test_descriptions_are_the_slack_descriptions(app_yaml: dict[str, Any]) -> None:
    described = {c["title"]: c["description"] for c in teams_commands(app_yaml)}
    for entry in app_yaml["features"]["slash_commands"]:
        if entry["command"] != "/hasanyone":
            assert described[entry["command"].lstrip("/")].startswith(entry["description"])
    assert described["ask"] == (
        "Ask whether anyone has done something. Usage: ask has anyone built a bulky waste booking form?"
    )
    assert described["listen"] == "Listen on|off"


def test_listen_is_not_offered_in_a_personal_chat(manifest: dict[str, Any]) -> None:
    assert "listen" not in titles(manifest, "personal")
    assert "listen" in titles(manifest, "team") and "listen" in titles(manifest, "groupchat")
    assert set(titles(manifest, "personal")) == set(titles(manifest, "team")) - {"listen"}


def with_commands(app_yaml: dict[str, Any], names: list[str]) -> dict[str, Any]:
    changed = copy.deepcopy(app_yaml)
    changed["features"]["slash_commands"] = [
        {"command": f"/{n}", "description": "d"} for n in names
    ]
    return changed


def test_more_than_ten_commands_is_refused(app_yaml: dict[str, Any]) -> None:
    teams_commands(with_commands(app_yaml, [f"c{n}" for n in range(10)]))
    with pytest.raises(ValueError, match="at most 10"):
        teams_commands(with_commands(app_yaml, [f"c{n}" for n in range(11)]))


@pytest.mark.parametrize("name", ["x" * 33, "two words", ""])
def test_a_command_teams_cannot_show_is_refused(app_yaml: dict[str, Any], name: str) -> None:
    with pytest.raises(ValueError, match="Teams command title"):
        teams_commands(with_commands(app_yaml, [name]))


def test_a_long_description_is_cut_to_128(app_yaml: dict[str, Any]) -> None:
    changed = with_commands(app_yaml, ["weeknote"])
    changed["features"]["slash_commands"][0] |= {"description": "word " * 60, "usage_hint": "x"}
    [command] = teams_commands(changed)
    assert len(command["description"]) <= 128 and command["description"].endswith("…")


# -- arguments -----------------------------------------------------------------------------------


def test_a_guid_bot_id_is_the_app_id_and_any_other_gives_a_stable_guid(
    app_yaml: dict[str, Any],
) -> None:
    assert teams_manifest(app_yaml, bot_id=BOT_ID)["id"] == BOT_ID.lower()
    derived = teams_manifest(app_yaml, bot_id="hasanyone-dev")["id"]
    assert GUID.match(derived)
    assert derived == teams_manifest(app_yaml, bot_id="hasanyone-dev")["id"]
    assert derived != teams_manifest(app_yaml, bot_id="hasanyone-test")["id"]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"bot_id": ""}, "bot_id"),
        ({"bot_id": "x" * 65}, "bot_id"),
        ({"bot_id": BOT_ID, "version": "1.0"}, "MAJOR.MINOR.PATCH"),
        ({"bot_id": BOT_ID, "version": "01.0.0"}, "MAJOR.MINOR.PATCH"),
        ({"bot_id": BOT_ID, "valid_domains": ["https://example.org"]}, "host names"),
        ({"bot_id": BOT_ID, "valid_domains": ["example.org/path"]}, "host names"),
        (
            {"bot_id": BOT_ID, "valid_domains": [f"h{n}.example.org" for n in range(17)]},
            "at most 16",
        ),
        ({"bot_id": BOT_ID, "site_url": "http://example.org"}, "https"),
    ],
)
def test_values_teams_would_refuse_are_refused(
    app_yaml: dict[str, Any], kwargs: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        teams_manifest(app_yaml, **kwargs)


def test_valid_domains_allow_wildcards_and_ports_and_drop_repeats(app_yaml: dict[str, Any]) -> None:
    domains = ["*.example.gov.uk", "bot.example.org:8443", "*.example.gov.uk"]
    assert (
        teams_manifest(app_yaml, bot_id=BOT_ID, valid_domains=domains)["validDomains"]
        == domains[:2]
    )


def test_a_colour_that_is_not_hex_is_refused(app_yaml: dict[str, Any]) -> None:
    app_yaml["display_information"]["background_color"] = "blue"
    with pytest.raises(ValueError, match="background_color"):
        teams_manifest(app_yaml, bot_id=BOT_ID)


# -- icons and the package -----------------------------------------------------------------------


def png_pixels(data: bytes) -> tuple[int, int, list[bytes]]:
    """Width, height and the RGBA pixels of a PNG our writer made (8-bit RGBA, filter 0)."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", b""
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos : pos + 4])
        kind, body = data[pos + 4 : pos + 8], data[pos + 8 : pos + 8 + length]
        assert struct.unpack(">I", data[pos + 8 + length : pos + 12 + length])[0] == zlib.crc32(
            kind + body
        )
        header = body if kind == b"IHDR" else header
        idat += body if kind == b"IDAT" else b""
        pos += 12 + length
    width, height, depth, colour_type = struct.unpack(">IIBB", header[:10])
    assert (depth, colour_type) == (8, 6)
    raw = zlib.decompress(idat)
    stride = 1 + 4 * width
    rows = [raw[y * stride : (y + 1) * stride] for y in range(height)]
    assert all(row[0] == 0 for row in rows)
    return width, height, [row[1 + 4 * x : 5 + 4 * x] for row in rows for x in range(width)]


def test_the_colour_icon_is_192_square_opaque_in_the_accent_colour_with_a_white_glyph() -> None:
    width, height, pixels = png_pixels(teams.icon_bytes("color.png"))
    assert (width, height) == (192, 192)
    assert set(pixels) == {bytes((0x1D, 0x4F, 0x91, 255)), bytes((255, 255, 255, 255))}
    assert pixels[0] == bytes((0x1D, 0x4F, 0x91, 255))


def test_the_outline_icon_is_32_square_white_on_transparent() -> None:
    width, height, pixels = png_pixels(teams.icon_bytes("outline.png"))
    assert (width, height) == (32, 32)
    assert set(pixels) == {bytes((0, 0, 0, 0)), bytes((255, 255, 255, 255))}
    assert pixels.count(bytes((255, 255, 255, 255))) > 32


def test_the_shipped_icons_are_the_ones_app_yaml_colour_makes(app_yaml: dict[str, Any]) -> None:
    rendered = render_icons(app_yaml["display_information"]["background_color"])
    assert rendered == {name: teams.icon_bytes(name) for name in ("color.png", "outline.png")}
    assert render_icons("#ff0000")["color.png"] != rendered["color.png"]


def test_the_package_has_the_manifest_and_both_icons_at_the_zip_root(
    manifest: dict[str, Any], tmp_path: Path
) -> None:
    package = write_package(tmp_path / "out", manifest)
    assert package == tmp_path / "out" / "hasanyone-teams.zip"
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["color.png", "manifest.json", "outline.png"]
        assert json.loads(archive.read("manifest.json")) == manifest
        assert png_pixels(archive.read("color.png"))[:2] == (192, 192)
        assert png_pixels(archive.read("outline.png"))[:2] == (32, 32)
    for name in ("manifest.json", "color.png", "outline.png"):
        assert (tmp_path / "out" / name).is_file()


def test_the_package_is_the_same_bytes_every_time(manifest: dict[str, Any], tmp_path: Path) -> None:
    first = write_package(tmp_path / "a", manifest).read_bytes()
    assert write_package(tmp_path / "b", manifest).read_bytes() == first
