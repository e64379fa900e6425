"""How many threads the engine's pools may use.

The render, the measurements and the masking analysis run on small thread pools (numpy,
scipy, soxr and pedalboard drop the GIL), sized to the machine's cores. ``limited_threads``
holds a process to fewer: a batch worker given one core of a shared machine runs its song
on one thread, its BLAS pools included, so songs rendering side by side do not fight over the
same cores. The pools read the budget when they start, so it can change between songs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

_budget: int | None = None  # process-wide, like the BLAS pools it goes with


def thread_budget() -> int:
    """The cores this process may keep busy: every core, or fewer inside ``limited_threads``."""
    cores = os.cpu_count() or 1
    return min(_budget, cores) if _budget else cores


def pool_size(*, at_most: int) -> int:
    """Workers for a pool that has ``at_most`` jobs to run at once (never below 1)."""
    return max(1, min(at_most, thread_budget()))


def set_thread_budget(threads: int) -> None:
    """Move the budget inside ``limited_threads``: pools that start from now on follow it."""
    global _budget
    if _budget is not None:
        _budget = max(1, int(threads))


@contextmanager
def limited_threads(threads: int) -> Iterator[None]:
    """Hold this process to ``threads`` threads of computation: the engine's pools, and the
    BLAS/OpenMP pools of numpy and scipy (through threadpoolctl)."""
    from threadpoolctl import threadpool_limits  # only a batch worker needs it

    global _budget
    before, _budget = _budget, max(1, int(threads))
    try:
        with threadpool_limits(limits=max(1, int(threads))):
            yield
    finally:
        _budget = before
