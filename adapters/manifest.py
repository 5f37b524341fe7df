"""`app.yaml` is the Slack app manifest; this fills in the request URLs."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml


def _app_yaml() -> Path:
    """The checkout's app.yaml, or the copy an installation put in <prefix>/share/hasanyone."""
    checkout = Path(__file__).resolve().parent.parent / "app.yaml"
    installed = Path(sys.prefix) / "share" / "hasanyone" / "app.yaml"
    return checkout if checkout.exists() or not installed.exists() else installed


APP_YAML = _app_yaml()
PLACEHOLDER = "REQUEST_URL"


def load_manifest(path: Path = APP_YAML) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(path.read_text(encoding="utf-8"))
    return data


def slack_manifest(
    base_url: str, *, socket_mode: bool = False, path: Path = APP_YAML
) -> dict[str, Any]:
    """The manifest with every REQUEST_URL replaced by `base_url` (no trailing slash)."""
    if not base_url.startswith("https://") and not base_url.startswith("http://127.0.0.1"):
        raise ValueError("Slack needs an https:// request URL")
    text = path.read_text(encoding="utf-8").replace(PLACEHOLDER, base_url.rstrip("/"))
    manifest: dict[str, Any] = yaml.safe_load(text)
    manifest["settings"]["socket_mode_enabled"] = socket_mode
    return manifest


def slash_commands(manifest: dict[str, Any]) -> list[str]:
    return [c["command"] for c in manifest["features"]["slash_commands"]]


def bot_events(manifest: dict[str, Any]) -> list[str]:
    return list(manifest["settings"]["event_subscriptions"]["bot_events"])
