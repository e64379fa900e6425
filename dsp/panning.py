"""Pan and stereo width.

Pan law (one law everywhere, the common DAW default):

* mono source: constant-power sin/cos pan, -3 dB per side at centre
  (left = cos(theta), right = sin(theta), theta = (pan + 1) * pi / 4), so a centred mono
  stem sounds as loud as it does hard-panned; hard left gives 0 dB left, silence right;
* stereo source: width on mid/side (0 = mono, 1 = unchanged, 2 = side doubled), then a
  balance control: the far channel is attenuated with a quarter-cosine, the near channel
  stays at 0 dB. Pan 0 and width 1 return the stereo stem bit-for-bit unchanged.

Pan and width place a track on the stereo mix bus only: a mono send (the reverb's) is taken
before them (``pre_pan_matrix``), so moving a track in the stereo field leaves that bus alone.
"""

from __future__ import annotations

import math

import numpy as np

MONO_CENTRE_GAIN = math.sqrt(0.5)


def pan_gains(*, pan: float, channels: int) -> tuple[float, float]:
    """(left, right) gains applied after width: pan law for mono, balance for stereo."""
    if channels == 1:
        theta = (pan + 1.0) * math.pi / 4.0
        return math.cos(theta), math.sin(theta)
    left = math.cos(pan * math.pi / 2.0) if pan > 0 else 1.0
    right = math.cos(-pan * math.pi / 2.0) if pan < 0 else 1.0
    return left, right


def stereo_width(audio: np.ndarray, *, width: float) -> np.ndarray:
    """Scale the side signal of a (2, n) block: 0 folds to mono, 2 doubles the side."""
    if width == 1.0:
        return audio
    mid = 0.5 * (audio[0] + audio[1])
    side = (0.5 * width) * (audio[0] - audio[1])
    return np.stack([mid + side, mid - side]).astype(np.float32, copy=False)


def pan_and_width(audio: np.ndarray, *, pan: float, width: float = 1.0) -> np.ndarray:
    """Place a (1, n) or (2, n) block in the stereo field; returns (2, n) float32."""
    audio = np.atleast_2d(audio)
    channels = audio.shape[0]
    left, right = pan_gains(pan=pan, channels=channels)
    if channels == 1:
        return np.stack([audio[0] * np.float32(left), audio[0] * np.float32(right)])
    placed = stereo_width(audio, width=width)
    if left == 1.0 and right == 1.0:
        return placed if placed is not audio else audio.astype(np.float32, copy=True)
    return np.stack([placed[0] * np.float32(left), placed[1] * np.float32(right)])


def place(audio: np.ndarray, *, pan: float, width: float, gain: np.ndarray | float) -> np.ndarray:
    """Fader gain (a float or a per-sample array) then pan/width in one pass: (ch, n) -> (2, n).

    Equal to ``pan_and_width(audio * gain, ...)``, with fewer passes over the samples."""
    channels = audio.shape[0]
    left, right = pan_gains(pan=pan, channels=channels)
    if channels == 2:
        audio = stereo_width(audio, width=width)
    src_left, src_right = (audio[0], audio[0]) if channels == 1 else (audio[0], audio[1])
    out = np.empty((2, audio.shape[1]), dtype=np.float32)
    for row, source, side in ((0, src_left, left), (1, src_right, right)):
        scale = (
            np.float32(gain) * np.float32(side)
            if isinstance(gain, float)
            else (gain * np.float32(side))
        )
        np.multiply(source, scale, out=out[row])
    return out


def placement_matrix(*, pan: float, width: float, channels: int) -> np.ndarray:
    """The (2, channels) float64 matrix of ``pan_and_width``: output = matrix @ input."""
    left, right = pan_gains(pan=pan, channels=channels)
    if channels == 1:
        return np.array([[left], [right]])
    same, other = 0.5 + 0.5 * width, 0.5 - 0.5 * width
    return np.array([[same * left, other * left], [other * right, same * right]])


def pre_pan_matrix(*, channels: int) -> np.ndarray:
    """The matrix a mono send (the reverb's) is taken with: the channel before its pan and
    width, as a console's aux send before the pan pot. It is the centred placement at width 1,
    so the send's level is the one a centred track always had (a mono stem at -3 dB per side,
    a stereo one as it is) and the mono sum of its rows, the mid that M/S width leaves alone,
    does not move with pan or width."""
    return placement_matrix(pan=0.0, width=1.0, channels=channels)


MIX_CHUNK = 1 << 16  # samples per pass: small enough to stay in the CPU cache


class Placer:
    """``matrix @ (source * gain)`` for chunks of at most MIX_CHUNK frames, into reused
    scratch buffers (the result is valid until the next call)."""

    def __init__(self) -> None:
        self._out = np.empty((2, MIX_CHUNK), dtype=np.float32)
        self._row = np.empty(MIX_CHUNK, dtype=np.float32)
        self._spare = np.empty((2, MIX_CHUNK), dtype=np.float32)
        self._mono = np.empty((1, MIX_CHUNK), dtype=np.float32)

    def place(
        self, source: np.ndarray, matrix: np.ndarray, gain: np.ndarray | None = None
    ) -> np.ndarray:
        frames = source.shape[1]
        if frames > MIX_CHUNK:
            raise ValueError(f"chunk of {frames} frames; at most MIX_CHUNK={MIX_CHUNK}")
        out, row = self._out[:, :frames], self._row[:frames]
        if gain is not None:
            source = source * gain
        for out_row in range(2):
            np.multiply(source[0], matrix[out_row, 0], out=out[out_row])
            for in_row in range(1, source.shape[0]):
                if matrix[out_row, in_row] != 0.0:  # zero unless width != 1
                    np.multiply(source[in_row], matrix[out_row, in_row], out=row)
                    out[out_row] += row
        return out

    def scaled(self, placed: np.ndarray, gain: np.ndarray | float) -> np.ndarray:
        """``placed * gain`` in the second scratch buffer (``placed`` must not be it)."""
        out = self._spare[:, : placed.shape[1]]
        np.multiply(placed, gain, out=out)
        return out

    def summed(self, placed: np.ndarray, gain: np.ndarray | float) -> np.ndarray:
        """``(left + right) * gain`` of ``placed``, (1, n), in its own scratch buffer."""
        out = self._mono[:, : placed.shape[1]]
        np.add(placed[0], placed[1], out=out[0])
        out *= gain
        return out
