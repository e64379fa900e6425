"""Keep the C allocator from returning block-sized buffers to the OS after every use.

Rendering allocates and frees arrays of a few MB per block and per processor (pedalboard's
outputs, numpy temporaries). With glibc's defaults each of those is a fresh ``mmap``: the
kernel zero-fills and faults in every page again, which costs as much system time as the DSP
itself on a long song. Raising the mmap and trim thresholds lets freed blocks be reused.
Two arenas at most: with one per thread (glibc's default, up to 8 per core) the blocks freed
in one thread's arena are not reused by the others, and the resident size grows with the
number of stems the detectors and renders have seen side by side.
"""

from __future__ import annotations

import ctypes
import ctypes.util
from contextlib import suppress

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
ARENA_MAX = 2
MMAP_THRESHOLD_BYTES = 64 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024


def keep_block_buffers() -> bool:
    """Tune glibc's malloc for block-wise audio work; False (and no change) elsewhere."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(name)
        return bool(
            libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
            and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
            and libc.mallopt(M_ARENA_MAX, ARENA_MAX)
        )
    return False


def release_free_memory() -> bool:
    """Hand the memory the allocator holds free back to the OS (glibc's ``malloc_trim``)
    between two stages of one process, so the next one's buffers do not land on top of
    what the last one left; False (and nothing done) where there is no glibc."""
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    with suppress(OSError, AttributeError):
        return bool(ctypes.CDLL(name).malloc_trim(0))
    return False
