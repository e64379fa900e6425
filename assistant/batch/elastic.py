"""A song given fewer cores than its node has may borrow the ones that stand idle.

With two songs on two cores each runs one thread. When one ends and no song is waiting (the
tail of a batch, or a song that failed at once), its core stands idle. ``borrow_idle_cores``
watches how idle the node is (``/proc/stat``) and lets the song's pools grow into the idle
cores, and shrink back as soon as they are busy again (another song started, or a neighbour
needs them). Pools size themselves when they start, so a borrowed core serves the next render
or measurement, not the one already running.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from mixchat.dsp.threads import set_thread_budget

STAT = Path("/proc/stat")
INTERVAL_S = 0.25
FREE_CORE = 0.75  # a core idle for 75 % of the last interval counts as free


class IdleMeter:
    """Idle cores of the node over each interval, and this process's own use beyond what it
    was given (cores it borrowed count as free to it: they are the ones it keeps)."""

    def __init__(self, *, base: int) -> None:
        self.base = base
        self.cores = os.cpu_count() or 1
        self._last = self._read()

    @staticmethod
    def _read() -> tuple[float, float, float] | None:
        """(idle jiffies, all jiffies, this process's CPU seconds); None without /proc/stat."""
        try:
            fields = STAT.read_text().split("\n", 1)[0].split()[1:]
        except OSError:
            return None
        ticks = [float(value) for value in fields]
        return ticks[3] + ticks[4], sum(ticks[:8]), time.process_time()

    def available(self) -> float:
        now = self._read()
        last, self._last = self._last, now
        if now is None or last is None or now[1] <= last[1]:
            return 0.0
        share = (now[1] - last[1]) / self.cores  # jiffies per core in the interval
        idle = (now[0] - last[0]) / share
        own = (now[2] - last[2]) * (os.sysconf("SC_CLK_TCK") / share)
        return idle + max(0.0, own - self.base)

    @property
    def works(self) -> bool:
        return self._last is not None


def spare_cores(available: float) -> int:
    return int(available + (1.0 - FREE_CORE))


@contextmanager
def borrow_idle_cores(*, base: int, most: int) -> Iterator[None]:
    """Inside ``limited_threads(base)``: let the pools use up to ``most`` threads while that
    many cores are free."""
    meter = IdleMeter(base=base)
    if most <= base or not meter.works:
        yield
        return
    stop = threading.Event()

    def watch() -> None:
        while not stop.wait(INTERVAL_S):
            set_thread_budget(min(most, base + spare_cores(meter.available())))

    watcher = threading.Thread(target=watch, name="borrow-idle-cores", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
        set_thread_budget(base)
