"""Bolt's listeners for Slack, one module per kind of request: slash commands, interactions
(buttons, forms, the project picker, shortcuts), messages, and the app's lifecycle (App Home,
uninstalls, the install welcome). `once` claims each delivery before any of them acts;
adapters/slack/app.py registers them all on one Bolt app.

Every listener acknowledges first and works afterwards, so Slack hears back within 3 seconds.
The core is synchronous (it talks to the database); it runs in a worker thread (`answer`) so
one slow answer never holds up the event loop, and with it every other ack.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from bot.dispatch import Bot
from bot.model import Incoming, Reply

Ack = Callable[..., Awaitable[None]]  # Bolt's ack(), with a response body or without


async def answer(bot: Bot, incoming: Incoming) -> Reply:
    """The core's reply, worked out in a worker thread."""
    return await asyncio.to_thread(bot.handle, incoming)
