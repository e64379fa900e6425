"""Running the assistant's blocking work off the event loop, with MCP progress notifications.

The engine, the planners and the analysis are synchronous and CPU-bound; each call runs in a
worker thread so the server keeps answering (other calls, pings, cancellations) meanwhile.
Their ``progress(label, fraction)`` callbacks become ``notifications/progress`` for the
caller, as whole percents that only ever go up (the protocol requires it).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import nullcontext
from typing import Any, TypeVar

import anyio
import anyio.from_thread
import anyio.lowlevel
import anyio.to_thread
from mcp.server.mcpserver import Context

T = TypeVar("T")
Progress = Callable[[str, float], None]


class ProgressBridge:
    """A ``progress(label, fraction)`` callback that reports to the MCP caller."""

    def __init__(self, ctx: Context[Any, Any] | None) -> None:
        self.ctx = ctx
        self.token = anyio.lowlevel.current_token()
        self.sent = -1

    def __call__(self, label: str, fraction: float) -> None:
        percent = int(round(100 * min(max(float(fraction), 0.0), 1.0)))
        if self.ctx is None or percent <= self.sent:
            return
        self.sent = percent
        try:
            anyio.from_thread.run(
                self.ctx.report_progress, float(percent), 100.0, label, token=self.token
            )
        except Exception:  # noqa: BLE001 - a caller gone mid-call must not stop the work
            self.ctx = None


async def run_work(
    ctx: Context[Any, Any] | None,
    work: Callable[[Progress], T],
    *,
    lock: threading.Lock | None = None,
) -> T:
    """``work(progress)`` in a worker thread (holding ``lock``, when given)."""
    progress = ProgressBridge(ctx)

    def job() -> T:
        with lock or nullcontext():
            return work(progress)

    return await anyio.to_thread.run_sync(job)
