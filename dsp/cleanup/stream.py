"""Block-wise plumbing: every clean-up stage gives the same samples whatever the block size.

A stage is streaming: ``process(block)`` returns as many samples as it was given, late by the
stage's ``latency`` (its first ``latency`` samples are silence). Recursive stages (filters,
dynamics) keep their state between blocks and have no latency. A ``LocalStage`` wraps an
operation that needs context on both sides (STFT gating, click repair): it keeps the input it
still needs, runs the operation over a window that starts on the operation's grid (so STFT
frames always sit at the same absolute positions) and hands out only samples whose context is
complete, ``context`` samples late. A ``PiecewiseStage`` feeds a local stage a long block
(a whole stem read at once) in pieces no longer than ``PIECE_S`` past its context, so the
operation's memory does not grow with the stem; render's 5 s blocks pass whole.

``CleanedStem`` drives a chain of stages from a stem: asked for ``[start, stop)`` it feeds the
stages up to ``stop`` plus the chain's latency (zeros past the stem's end) and returns the
aligned output, so render can treat a cleaned stem like the stem itself. Each stage's silent
head (its first ``latency`` samples) is dropped before the next stage, so every stage
reads the stem's own positions (a local stage's grid sits on the stem's) and none spends
work on the silence the stages before it lead with.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

LocalOp = Callable[[np.ndarray, int], np.ndarray]


class Stage(Protocol):
    latency: int

    def reset(self) -> None: ...

    def process(self, block: np.ndarray) -> np.ndarray: ...


class LocalStage:
    """Streams ``op(window, window_start) -> processed window`` whose output at a sample
    depends only on the input within ``context`` samples of it and on the sample's position
    relative to a ``grid`` (a multiple of ``grid`` from the stream's start)."""

    def __init__(self, op: LocalOp, *, context: int, grid: int = 1) -> None:
        self.op = op
        self.grid = max(int(grid), 1)
        self.latency = int(context)
        self._pad = -(-self.latency // self.grid) * self.grid  # context rounded up to the grid
        self.reset()

    def reset(self) -> None:
        self._buffer: np.ndarray | None = None
        self._buffer_start = -self._pad  # zeros before the stream's first sample
        self._received = 0

    def process(self, block: np.ndarray) -> np.ndarray:
        channels, frames = block.shape
        if frames == 0:
            return block
        if self._buffer is None:
            self._buffer = np.zeros((channels, self._pad), dtype=np.float32)
        emitted = self._received - self.latency  # first position handed out by this call
        self._buffer = np.concatenate([self._buffer, block.astype(np.float32, copy=False)], axis=1)
        self._received += frames
        ready = self._received - self.latency
        first = max(emitted, 0)
        if ready <= first:
            out = np.zeros((channels, frames), dtype=np.float32)
        else:
            processed = self.op(self._buffer, self._buffer_start)
            lo, hi = first - self._buffer_start, ready - self._buffer_start
            if first == emitted:  # past the stage's silent head: the op's own samples
                out = processed[:, lo:hi]
                if np.may_share_memory(out, self._buffer):  # an op that changed nothing
                    out = np.array(out)  # the caller may write to it; the buffer is kept
            else:
                out = np.zeros((channels, frames), dtype=np.float32)
                out[:, first - emitted :] = processed[:, lo:hi]
        keep_from = ((ready - self.latency) // self.grid) * self.grid
        keep_from = max(keep_from, self._buffer_start)
        self._buffer = self._buffer[:, keep_from - self._buffer_start :]
        self._buffer_start = keep_from
        return out


class PiecewiseStage:
    """A stage fed at most ``piece`` samples at a time: a longer block is cut into equal
    pieces and their outputs written into one array (the same samples as feeding the pieces
    one by one)."""

    def __init__(self, stage: Stage, *, piece: int) -> None:
        self.stage = stage
        self.piece = max(int(piece), 1)
        self.latency = stage.latency

    def reset(self) -> None:
        self.stage.reset()

    def process(self, block: np.ndarray) -> np.ndarray:
        frames = block.shape[1]
        if frames <= self.piece:
            return self.stage.process(block)
        size = -(-frames // -(-frames // self.piece))
        out = np.empty((block.shape[0], frames), dtype=np.float32)
        for lo in range(0, frames, size):
            hi = min(lo + size, frames)
            out[:, lo:hi] = self.stage.process(block[:, lo:hi])
        return out


PIECE_S = 20.0  # past a local stage's context: the longest block fed whole (render's 5 s pass)


def piece_frames(stage: Stage, *, sample_rate: int, seconds: float = PIECE_S) -> int:
    """The longest block a local stage is fed whole: its context and ``seconds`` past it."""
    return stage.latency + int(seconds * sample_rate)


class BlockSource(Protocol):
    """A stem reader (mixchat.dsp.stems): ``read`` gives silence outside the stem."""

    def read(self, start: int, stop: int) -> np.ndarray: ...


CHAIN_PIECE_FRAMES = 1 << 19  # a read longer than this (12 s at 44.1 kHz) feeds the chain in pieces


class CleanedStem:
    """A stem (an array or a block reader) run through a chain of stages, read block by block
    in order from any start (a read that does not continue the last one starts the chain
    again from 0). A long read (a whole stem at once) feeds the stages ``piece`` samples at
    a time, so their memory beyond the output does not grow with the stem."""

    def __init__(
        self,
        audio: np.ndarray | BlockSource,
        stages: Sequence[Stage],
        *,
        piece: int = CHAIN_PIECE_FRAMES,
        read_ahead: int = 0,
    ) -> None:
        self.audio = audio
        self.stages = list(stages)
        self.piece = max(int(piece), 1)
        self.read_ahead = max(int(read_ahead), 0)
        self.latency = sum(stage.latency for stage in self.stages)
        self._next = 0
        self._ahead: np.ndarray | None = None  # output already worked out, from ``_next`` on
        self._restart()

    def _restart(self) -> None:
        for stage in self.stages:
            stage.reset()
        self._heads = [stage.latency for stage in self.stages]  # silence still to drop

    def _feed(self, start: int, stop: int) -> np.ndarray:
        """Input positions [start, stop) of the stem, zeros outside it."""
        if not isinstance(self.audio, np.ndarray):
            return self.audio.read(start, stop)
        channels, frames = self.audio.shape
        block = np.zeros((channels, stop - start), dtype=np.float32)
        lo, hi = max(start, 0), min(stop, frames)
        if hi > lo:
            block[:, lo - start : hi - start] = self.audio[:, lo:hi]
        return block

    def _run(self, block: np.ndarray) -> np.ndarray:
        for index, stage in enumerate(self.stages):
            block = stage.process(block)
            head = min(self._heads[index], block.shape[1])
            if head:
                block = block[:, head:]
                self._heads[index] -= head
        return block

    def _run_span(self, start: int, stop: int) -> np.ndarray:
        """The chain's output for input positions [start, stop), fed in pieces of at most
        ``piece`` (so no stage holds more than a piece's arrays, whatever the span) and
        written into one array: the span less the stages' heads still to drop."""
        if stop - start <= self.piece:  # render's blocks: one piece
            return self._run(self._feed(start, stop))
        length = max(stop - start - sum(self._heads), 0)
        out: np.ndarray | None = None
        filled = 0
        for lo in range(start, stop, self.piece):
            done = self._run(self._feed(lo, min(lo + self.piece, stop)))
            if out is None:
                out = np.empty((done.shape[0], length), dtype=np.float32)
            out[:, filled : filled + done.shape[1]] = done
            filled += done.shape[1]
        return out if out is not None else self._run(self._feed(stop, stop))

    def _frames(self) -> int | None:
        """The stem's length, where the reader says (reads past it are not worked ahead)."""
        if isinstance(self.audio, np.ndarray):
            return int(self.audio.shape[1])
        frames = getattr(self.audio, "frames", None)
        return int(frames) if isinstance(frames, int) else None

    def read(self, start: int, stop: int) -> np.ndarray:
        """Output positions [start, stop). With ``read_ahead``, a short read works out up to
        ``read_ahead`` samples (no further than the stem's end) and the reads that continue
        it are handed that: a local stage then works over its context once per long span
        instead of once per render block (the same samples, as in any block size)."""
        ahead = self._ahead
        if ahead is not None and start == self._next - ahead.shape[1]:
            if stop - start <= ahead.shape[1]:
                out = ahead[:, : stop - start]
                self._ahead = ahead[:, stop - start :] if stop - start < ahead.shape[1] else None
                return out
            return np.concatenate([ahead, self.read(self._next, stop)], axis=1)
        self._ahead = None
        frames = self._frames() if self.read_ahead else None
        until = stop
        if frames is not None and stop - start < self.read_ahead and stop < frames:
            until = min(start + self.read_ahead, frames)
        out = self._read(start, until)
        if until > stop:
            self._ahead = out[:, stop - start :]
            out = out[:, : stop - start]
        return out

    def _read(self, start: int, stop: int) -> np.ndarray:
        if start == 0:  # from the top: one pass, the stages' heads dropped on the way
            self._restart()
            out = self._run_span(0, stop + self.latency)
            self._next = stop
            return out
        if start != self._next:
            self._restart()
            for lo in range(0, start + self.latency, self.piece):  # warm-up: before ``start``
                self._run(self._feed(lo, min(lo + self.piece, start + self.latency)))
            self._next = start
        out = self._run_span(start + self.latency, stop + self.latency)
        self._next = stop
        return out


def whole(stages: Sequence[Stage], audio: np.ndarray) -> np.ndarray:
    """Run ``stages`` over a whole (channels, n) array in one block (for tests and tools)."""
    return CleanedStem(np.asarray(audio, dtype=np.float32), stages).read(0, audio.shape[1])
