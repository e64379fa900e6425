"""Peak memory a piece of processing holds beyond what it returns (tracemalloc)."""

from __future__ import annotations

import tracemalloc
from collections.abc import Callable

import numpy as np


def working_mb(run: Callable[[], np.ndarray]) -> float:
    """Peak traced memory while ``run`` runs, less the array it returns, in MB."""
    tracemalloc.start()
    out = run()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return (peak - out.nbytes) / 2**20
