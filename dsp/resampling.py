"""A soxr resampling stream fed in bounded pieces.

soxr keeps the buffers it grew for the largest chunk it was given until the stream ends: fed
a render block (2**18 frames) it holds about 1.5 MB more per stream, and render, ingest and
the detectors keep one stream per track alive at once, so resident memory grew with the
number of stems. Its output does not depend on how the input is cut (checked in the tests),
so pieces of ``PIECE_FRAMES`` give the same samples. The meters a new session keeps per stem
(three streams each, every stem's side by side) and a render per track take
``METER_PIECE_FRAMES``: 2048 frames hold about 0.4 MB less a stem than 16384 (0.17 MB less
than 8192) for the same CPU (1.4-1.6 ms a 2**18-frame block and stream, either way).
"""

from __future__ import annotations

import numpy as np
import soxr

PIECE_FRAMES = 1 << 14
METER_PIECE_FRAMES = 1 << 11


class PiecewiseResampler:
    """``soxr.ResampleStream(in_rate_hz, out_rate_hz, channels, ...)`` whose ``resample`` takes
    any length (frames first, like soxr) and hands it to soxr ``piece_frames`` at a time."""

    def __init__(
        self,
        in_rate_hz: float,
        out_rate_hz: float,
        channels: int,
        *,
        dtype: str,
        quality: str,
        piece_frames: int = PIECE_FRAMES,
    ) -> None:
        self._stream = soxr.ResampleStream(
            in_rate_hz, out_rate_hz, channels, dtype=dtype, quality=quality
        )
        self._piece = piece_frames

    def resample(self, audio: np.ndarray, *, last: bool = False) -> np.ndarray:
        piece = self._piece
        if audio.shape[0] <= piece:
            return self._stream.resample_chunk(audio, last=last)
        parts = [
            self._stream.resample_chunk(
                audio[lo : lo + piece], last=last and lo + piece >= audio.shape[0]
            )
            for lo in range(0, audio.shape[0], piece)
        ]
        return np.concatenate(parts, axis=0)
