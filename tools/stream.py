"""A version's output from a position, rendered on a thread ahead of whoever plays it.

``OutputStream(engine, state, start_frame=...)`` yields ``(frame, block)`` pairs, (2, n)
float32, in order from ``start_frame`` to the end of the song. A version a brief just made
is in the render cache, so its blocks are read straight from there and the first one is out
at once; anything not cached is rendered from the position on (``render_mix``'s
``start_frame``: inserts and buses start a few seconds early so they have settled), never
from the top of the song. With the master on, the mastered output is read from the cache
(a render with the master keeps it there), or mastered first when it is not.

The stream renders at most ``ahead`` blocks beyond what was taken; ``close()`` stops it.
This is the engine side of playback: the chat's player (``mixchat.assistant.tui.playback``)
pulls from it, and so can any other audio front end.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Iterator
from typing import Any

import numpy as np

from mixchat.dsp.render import render_mix
from mixchat.dsp.state import MixState

BLOCK_S = 0.25
AHEAD_BLOCKS = 16  # 4 s of audio rendered ahead of the reader
_END = object()


class Stopped(Exception):
    """The stream was closed before the render reached the end."""


class OutputStream:
    def __init__(
        self,
        engine: Any,
        state: MixState,
        *,
        start_frame: int = 0,
        block_s: float = BLOCK_S,
        ahead: int = AHEAD_BLOCKS,
        master: bool = True,
    ) -> None:
        self.engine = engine
        self.state = state
        self.sample_rate = engine.meta.sample_rate
        self.frames = engine.meta.frames
        self.start_frame = min(max(int(start_frame), 0), self.frames)
        self.block = max(1, int(round(block_s * self.sample_rate)))
        self.master = master and state.master.enabled
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max(1, ahead))
        self._closed = threading.Event()
        self._pending = np.zeros((2, 0), dtype=np.float32)
        self._pending_at = self.start_frame
        self._thread = threading.Thread(target=self._run, name="output-stream", daemon=True)
        self._thread.start()

    # --- the rendering thread ---------------------------------------------------------
    def _run(self) -> None:
        try:
            if self.master:
                self._from_master()
            else:
                render_mix(
                    stems=self.engine.stem_sources(),
                    state=self.state,
                    sample_rate=self.sample_rate,
                    cache_dir=self.engine.tracks_dir,
                    budget=self.engine.budget,
                    start_frame=self.start_frame,
                    block_s=max(1.0, 4 * self.block / self.sample_rate),
                    sinks=[self._take],
                    collect=False,
                )
            self._flush()
            self._put(_END)
        except Stopped:
            pass
        except BaseException as error:  # noqa: BLE001 - handed to the reader
            self._put(error, force=True)

    def _from_master(self) -> None:
        audio = self.engine.mastered_output(self.state)
        for lo in range(self.start_frame, self.frames, self.block):
            self._put((lo, np.ascontiguousarray(audio.read(lo, min(lo + self.block, self.frames)))))

    def _take(self, start: int, audio: np.ndarray) -> None:
        """A render block: cut into stream blocks."""
        if start < self.start_frame:
            audio, start = audio[:, self.start_frame - start :], self.start_frame
        self._pending = np.concatenate([self._pending, audio], axis=1)
        while self._pending.shape[1] >= self.block:
            self._put((self._pending_at, self._pending[:, : self.block].copy()))
            self._pending = self._pending[:, self.block :]
            self._pending_at += self.block

    def _flush(self) -> None:
        if self._pending.shape[1]:
            self._put((self._pending_at, self._pending.copy()))

    def _put(self, item: Any, *, force: bool = False) -> None:
        while not self._closed.is_set():
            try:
                self._queue.put(item, timeout=0.05)
                return
            except queue.Full:
                continue
        if not force:
            raise Stopped

    # --- the reader -----------------------------------------------------------------------
    def __iter__(self) -> Iterator[tuple[int, np.ndarray]]:
        return self

    def __next__(self) -> tuple[int, np.ndarray]:
        item = self._queue.get()
        if item is _END:
            raise StopIteration
        if isinstance(item, BaseException):
            raise item
        return item

    def close(self) -> None:
        """Stop rendering (a render under way ends at its next block)."""
        self._closed.set()
        self._thread.join(timeout=5.0)

    def __enter__(self) -> OutputStream:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
