"""A send bus rendered on its own thread, and the cached arrays render fills.

Render hands each bus its send blocks in order as the tracks are mixed; the lane runs the
bus chain on them meanwhile (pedalboard releases the GIL) and writes the return into its cache
file, so a bus costs little more wall time than the tracks feeding it.
"""

from __future__ import annotations

import os
import queue
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import suppress
from pathlib import Path
from typing import cast

import numpy as np

from mixchat.dsp.audio_io import Put, npy_block_writer, open_npy
from mixchat.dsp.processors import BusChain

BUS_QUEUE_BLOCKS = 4


def open_cached(path: Path, shape: tuple[int, ...]) -> np.ndarray | None:
    cached = open_npy(path, shape=shape)
    if cached is not None:
        with suppress(OSError):
            os.utime(path)  # mark as recently used, for prune_cache
    return cached


def cached_array(
    path: Path | None, shape: tuple[int, ...], fill: Callable[[Put], None]
) -> np.ndarray:
    """Let ``fill`` put blocks into a new (channels, n) float32 array: in memory, or into the
    .npy file ``path`` (atomic), which is then memory-mapped."""
    if path is None:
        out = np.empty(shape, dtype=np.float32)

        def put_memory(start: int, block: np.ndarray) -> None:
            out[:, start : start + block.shape[1]] = block

        fill(put_memory)
        return out
    with npy_block_writer(path, shape=(shape[0], shape[1])) as put_file:
        fill(put_file)
    return np.load(path, mmap_mode="r")


class _Aborted(Exception):
    """The render stopped before the bus got all its blocks."""


_DONE = object()
_ABORT = object()


class BusLane:
    """A bus rendered on its own thread from the send blocks it is handed, in order."""

    def __init__(
        self,
        chain: BusChain,
        *,
        shape: tuple[int, int],
        path: Path | None,
        pool: ThreadPoolExecutor,
    ) -> None:
        self._chain = chain
        self._queue: queue.Queue[object] = queue.Queue(maxsize=BUS_QUEUE_BLOCKS)
        self._spare_sends: queue.SimpleQueue[np.ndarray] = queue.SimpleQueue()
        self._future: Future[np.ndarray] = pool.submit(cached_array, path, shape, self._fill)

    def _fill(self, put: Put) -> None:
        while (item := self._queue.get()) is not _DONE:
            if item is _ABORT:
                raise _Aborted
            start, send = cast(tuple[int, np.ndarray], item)
            put(start, self._chain.process(send, reset=start == 0))
            self._spare_sends.put(send)

    def _hand_over(self, item: object) -> None:
        while not self._future.done():
            with suppress(queue.Full):
                self._queue.put(item, timeout=0.05)
                return
        self._future.result()  # the lane stopped early: raise its error

    def send_block(self, frames: int) -> np.ndarray:
        """A zeroed (send channels, frames) float32 block to mix this bus's send into; blocks
        the lane is done with are reused."""
        with suppress(queue.Empty):
            spare = self._spare_sends.get_nowait()
            if spare.shape[1] == frames:
                spare.fill(0.0)
                return spare
        return np.zeros((self._chain.send_channels, frames), dtype=np.float32)

    def feed(self, start: int, send: np.ndarray) -> None:
        """Hand over a block from ``send_block``, filled; the lane owns it from now on."""
        self._hand_over((start, send))

    def result(self) -> np.ndarray:
        self._hand_over(_DONE)
        return self._future.result()

    def abort(self) -> None:
        with suppress(Exception):
            self._hand_over(_ABORT)
            self._future.result()
