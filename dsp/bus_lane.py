"""A send bus rendered on its own thread, block by block, a little behind the mix.

Render hands the lane each block of the bus's send in order; the lane runs the bus chain on it
(pedalboard and scipy release the GIL, so it shares the cores with the tracks), hands each
return block to ``put`` when given one (render's writer thread, for the cache file), and keeps
the blocks render has not taken yet.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable

import numpy as np

from mixchat.dsp.audio_io import Put
from mixchat.dsp.processors import BusChain

BUS_QUEUE_BLOCKS = 4
LANE_PIECE_FRAMES = 1 << 15  # the chain's temporaries (a float64 filter pass) stay this small


class _Aborted(Exception):
    """The render stopped before the bus got all its blocks."""


class BusLane:
    """One bus: ``feed`` its send blocks in order, ``take`` its output (unshifted) in order."""

    def __init__(
        self,
        chain: BusChain,
        *,
        frames: int,
        prepare: Callable[[np.ndarray], np.ndarray] | None = None,
        put: Put | None = None,
    ) -> None:
        """``prepare``: made of each block fed, on the lane's thread, before the chain (render
        feeds the exact send sums and converts them there). ``put``: where each output block
        also goes (render hands them to its writer thread)."""
        self._chain = chain
        self._prepare = prepare
        self.frames = frames
        self._put = put
        self._inbox: deque[tuple[int, np.ndarray] | None] = deque()
        self._outputs: deque[tuple[int, np.ndarray]] = deque()
        self._produced = 0
        self._error: BaseException | None = None
        self._aborted = False
        self._cond = threading.Condition()
        self._thread = threading.Thread(target=self._run, name="bus-lane", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            put = self._put
            fresh = True  # the chain starts on the first block it is given
            while True:
                with self._cond:
                    while not self._inbox and not self._aborted:
                        self._cond.wait()
                    if self._aborted:
                        raise _Aborted
                    item = self._inbox.popleft()
                    self._cond.notify_all()
                if item is None:
                    break
                start, send = item
                if self._prepare is not None:
                    send = self._prepare(send)
                out = np.empty((2, send.shape[1]), dtype=np.float32)
                for lo in range(0, send.shape[1], LANE_PIECE_FRAMES):
                    piece = send[:, lo : lo + LANE_PIECE_FRAMES]
                    out[:, lo : lo + piece.shape[1]] = self._chain.process(piece, reset=fresh)
                    fresh = False
                if put is not None:
                    put(start, out)
                with self._cond:
                    self._outputs.append((start, out))
                    self._produced = start + out.shape[1]
                    self._cond.notify_all()
        except BaseException as error:  # noqa: BLE001 - handed to the render thread
            with self._cond:
                self._error = error
                self._cond.notify_all()
        finally:
            with self._cond:
                self._produced = (
                    max(self._produced, self.frames) if self._error is None else self._produced
                )
                self._cond.notify_all()

    def feed(self, start: int, send: np.ndarray) -> None:
        with self._cond:
            while len(self._inbox) >= BUS_QUEUE_BLOCKS and self._error is None:
                self._cond.wait()
            self._raise()
            self._inbox.append((start, send))
            self._cond.notify_all()

    def close(self) -> None:
        """No more send blocks."""
        with self._cond:
            self._inbox.append(None)
            self._cond.notify_all()

    def take(self, start: int, stop: int) -> np.ndarray:
        """Output samples ``start .. stop`` (silence before 0 and after the song), waiting for
        the lane to get there; earlier output is dropped (takes go forwards)."""
        out = np.zeros((2, max(stop - start, 0)), dtype=np.float32)
        lo, hi = max(start, 0), min(stop, self.frames)
        if hi <= lo:
            return out
        with self._cond:
            while self._produced < hi and self._error is None:
                self._cond.wait()
            self._raise()
            while self._outputs and self._outputs[0][0] + self._outputs[0][1].shape[1] <= lo:
                self._outputs.popleft()
            for first, block in self._outputs:
                a, b = max(first, lo), min(first + block.shape[1], hi)
                if a < b:
                    out[:, a - start : b - start] = block[:, a - first : b - first]
        return out

    def _raise(self) -> None:
        if self._error is not None:
            raise self._error

    def finish(self) -> None:
        self._thread.join()
        self._raise()

    def abort(self) -> None:
        with self._cond:
            self._aborted = True
            self._cond.notify_all()
        self._thread.join()
