"""Log lines with timestamps and the request they belong to, as text or as JSON.

Which request a line belongs to travels in a context variable, set by the server's middleware
for every request. asyncio copies context into the tasks a request starts (Bolt's
ack-then-work listeners) and `asyncio.to_thread` copies it into threads, so their lines carry
the request id too.
"""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

LogFormat = Literal["text", "json"]


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str
    platform: str | None = None  # "slack", "teams", or None for the server's own routes


CURRENT: ContextVar[RequestContext | None] = ContextVar("hasanyone_request", default=None)


class RequestFilter(logging.Filter):
    """Stamps every record with the current request's id and platform (None outside one);
    an id given as `extra=` (the access log's) is kept."""

    def filter(self, record: logging.LogRecord) -> bool:
        current = CURRENT.get()
        if getattr(record, "request_id", None) is None:
            record.request_id = current.request_id if current else None
        if getattr(record, "platform", None) is None:
            record.platform = current.platform if current else None
        return True


def _timestamp(record: logging.LogRecord) -> str:
    when = datetime.fromtimestamp(record.created, UTC)
    return when.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (ISO 8601, UTC), level, logger, message, and request_id
    and platform when the line belongs to a request; a traceback goes in `exception`."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, object] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key in ("request_id", "platform"):
            value = getattr(record, key, None)
            if value is not None:
                line[key] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`2025-03-12T10:30:00.123Z INFO adapters.server [slack Ev0123]: message`."""

    def format(self, record: logging.LogRecord) -> str:
        request_id = getattr(record, "request_id", None)
        platform = getattr(record, "platform", None)
        where = " ".join(part for part in (platform, request_id) if part)
        head = f"{_timestamp(record)} {record.levelname} {record.name}"
        line = (
            f"{head} [{where}]: {record.getMessage()}"
            if where
            else f"{head}: {record.getMessage()}"
        )
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class _Handler(logging.StreamHandler):  # type: ignore[type-arg]
    """Ours, so that configuring again replaces it instead of adding a second."""


def configure_logging(log_format: LogFormat, level: str) -> None:
    """Log to stderr in `log_format` at `level`. Like logging.basicConfig, it leaves alone a
    root logger someone else has given handlers (a test runner, a host application)."""
    root = logging.getLogger()
    if any(not isinstance(h, _Handler) for h in root.handlers):
        return
    for old in list(root.handlers):
        root.removeHandler(old)
    handler = _Handler(sys.stderr)
    handler.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    handler.addFilter(RequestFilter())
    root.addHandler(handler)
    root.setLevel(level)
