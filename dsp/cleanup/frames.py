"""Detection frames from a stream: the detectors measure a stem frame by frame on a fixed grid
from its first sample, so a stem fed in blocks of any size gives the same frames as the
whole array (and the same per-frame measures), with only a frame's worth of samples kept.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np


@lru_cache(maxsize=16)
def hann(size: int, dtype: str = "float64") -> np.ndarray:
    """``np.hanning(size)`` as ``dtype``, made once per size (the detectors window every
    block's frames with the same few sizes); read-only, as it is shared."""
    window = np.hanning(size).astype(dtype)
    window.flags.writeable = False
    return window


@lru_cache(maxsize=8)
def sqrt_periodic_hann(size: int) -> np.ndarray:
    """The square root of a periodic Hann window of ``size`` (float32), made once per size."""
    window = np.sqrt(np.hanning(size + 1)[:-1]).astype(np.float32)
    window.flags.writeable = False
    return window


class FrameStream:
    """Frames of ``size`` samples every ``hop`` (the last axis) of audio fed in blocks:
    ``push`` returns the frames the block completes, shaped (..., count, size). A hop longer
    than the frame skips the samples between frames."""

    def __init__(self, size: int, hop: int | None = None) -> None:
        self.size = int(size)
        self.hop = int(hop or size)
        self._tail: np.ndarray | None = None
        self._skip = 0  # samples still to drop before the next frame starts

    def push(self, block: np.ndarray) -> np.ndarray:
        if self._skip:
            dropped = min(self._skip, block.shape[-1])
            block, self._skip = block[..., dropped:], self._skip - dropped
        data = block if self._tail is None else np.concatenate([self._tail, block], axis=-1)
        length = data.shape[-1]
        count = (length - self.size) // self.hop + 1 if length >= self.size else 0
        if self.hop == self.size or count == 0:
            frames = data[..., : count * self.size].reshape(*data.shape[:-1], count, self.size)
        else:
            frames = np.lib.stride_tricks.sliding_window_view(data, self.size, axis=-1)
            frames = frames[..., :: self.hop, :][..., :count, :]
        if count:
            self._skip = max(count * self.hop - length, 0)
        self._tail = np.array(data[..., count * self.hop :])
        return frames

    def end(self) -> None:
        """The stream has ended: let go of the samples short of a frame."""
        self._tail = None
        self._skip = 0


class PeakFrames:
    """Each complete frame's maximum of a per-sample level fed in blocks (non-overlapping
    frames of ``size`` from the first sample)."""

    def __init__(self, size: int) -> None:
        self._frames = FrameStream(size)
        self._peaks: list[np.ndarray] = []

    def push(self, level: np.ndarray) -> None:
        frames = self._frames.push(level)
        if frames.shape[0]:
            self._peaks.append(frames.max(axis=1))

    def result(self, count: int) -> np.ndarray:
        peaks = np.concatenate(self._peaks) if self._peaks else np.zeros(0, dtype=np.float32)
        return peaks[:count]


def running_median(values: np.ndarray, *, size: int) -> np.ndarray:
    """Each value's median over ``size`` (odd) values centred on it, the ends mirrored
    (``scipy.ndimage.median_filter(values, size)``, without importing scipy.ndimage)."""
    half = size // 2
    padded = np.pad(values, half, mode="symmetric")
    return np.median(np.lib.stride_tricks.sliding_window_view(padded, size), axis=1)


def sliding_max(values: np.ndarray, width: int) -> np.ndarray:
    """The maximum of every ``width`` consecutive values of a 1-D array
    (``sliding_window_view(values, width).max(axis=1)``, the same values) in three passes
    whatever the width (van Herk / Gil-Werman): a window spans at most two of the
    ``width``-long runs the array is cut into, so its maximum is the larger of the first
    run's maximum from the window's start and the second run's up to the window's end."""
    count = values.size - width + 1
    if width <= 1 or count <= 0:
        return np.lib.stride_tricks.sliding_window_view(values, max(width, 1)).max(axis=1)
    runs = np.empty(-(-values.size // width) * width, dtype=values.dtype)
    runs[: values.size] = values
    runs[values.size :] = values[-1]
    runs = runs.reshape(-1, width)
    ahead = np.maximum.accumulate(runs, axis=1).ravel()
    behind = np.maximum.accumulate(runs[:, ::-1], axis=1)[:, ::-1].ravel()
    return np.maximum(behind[:count], ahead[width - 1 : width - 1 + count])


def dilated(flags: np.ndarray, *, reach: int) -> np.ndarray:
    """Each flag set where any flag within ``reach`` on either side is set (the ends held):
    ``scipy.ndimage.maximum_filter1d(flags, 2 * reach + 1)``, without importing it."""
    flags = np.asarray(flags, dtype=bool)
    if reach <= 0 or flags.size == 0:
        return flags.copy()
    padded = np.pad(flags, reach, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1)
    return np.asarray(windows.any(axis=1))
