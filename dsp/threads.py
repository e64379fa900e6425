"""How many threads the engine's pools may use.

The render, the measurements and the masking analysis run on small thread pools (numpy,
scipy, soxr and pedalboard drop the GIL). By default they size themselves to the machine's
cores. ``MIXCHAT_THREADS`` lowers that: a batch worker given one core of a shared machine sets
it to 1, so songs rendering side by side do not fight over the same cores. Read at call time,
so a process can change it between songs.
"""

from __future__ import annotations

import os

THREADS_ENV = "MIXCHAT_THREADS"


def thread_budget() -> int:
    """The cores this process may keep busy: ``MIXCHAT_THREADS`` when it is a positive
    integer, else every core the machine has."""
    cores = os.cpu_count() or 1
    text = os.environ.get(THREADS_ENV, "").strip()
    if text.isdigit() and int(text) > 0:
        return min(int(text), cores)
    return cores


def pool_size(*, at_most: int) -> int:
    """Workers for a pool that has ``at_most`` jobs to run at once (never below 1)."""
    return max(1, min(at_most, thread_budget()))
