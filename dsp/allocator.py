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
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
M_ARENA_MAX = -8
ARENA_MAX = 2
MMAP_THRESHOLD_BYTES = 64 * 1024 * 1024
TRIM_THRESHOLD_BYTES = 256 * 1024 * 1024
MAPPED_FROM_BYTES = 1024 * 1024
_tuned = False  # keep_block_buffers has set the thresholds in this process
_mapped_lock = threading.Lock()
_mapped_users = 0  # threads within large_buffers_mapped


def keep_block_buffers() -> bool:
    """Tune glibc's malloc for block-wise audio work; False (and no change) elsewhere."""
    global _tuned
    name = ctypes.util.find_library("c")
    if name is None:
        return False
    with suppress(OSError, AttributeError):
        libc = ctypes.CDLL(name)
        _tuned = bool(
            libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)
            and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD_BYTES)
            and libc.mallopt(M_ARENA_MAX, ARENA_MAX)
        )
        return _tuned
    return False


@contextmanager
def large_buffers_mapped() -> Iterator[None]:
    """Within: buffers of MAPPED_FROM_BYTES and more get pages of their own, handed back
    when freed, for a stage of a few large, short-lived arrays made one after the other
    (on the heap they land on top of whatever earlier stages left scattered, and the
    resident size grows by the gaps they cannot use). Outside block-wise audio work's
    tuning (``keep_block_buffers``) nothing changes. Threads may be within side by side:
    the threshold goes back when the last of them leaves."""
    global _mapped_users
    libc = None
    name = ctypes.util.find_library("c") if _tuned else None
    if name is not None:
        with suppress(OSError, AttributeError):
            libc = ctypes.CDLL(name)
    if libc is not None:
        with _mapped_lock:
            if _mapped_users == 0:
                libc.mallopt(M_MMAP_THRESHOLD, MAPPED_FROM_BYTES)
            _mapped_users += 1
    try:
        yield
    finally:
        if libc is not None:
            with _mapped_lock:
                _mapped_users -= 1
                if _mapped_users == 0:
                    libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES)


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
