"""DC offset: found as the mean of each channel where the stem plays, removed by taking away
the stem's own slow part: the means of short blocks (``LOW_RATE_HZ`` of them a second, on a
grid fixed to the stem's start) through a 2nd-order Butterworth low-pass at ``cutoff_hz``,
read linearly in between and subtracted. That takes out the offset whole and slow drift
too (10 dB down at a fifth of the cutoff), and unlike subtracting a constant it leaves the
silent parts of a stem at zero. Worked at the block rate, it costs a few passes over the
samples where a recursive high-pass at the stem's rate cost a filter per sample. Above the
music's lowest band it is flat: the low-pass holds (cutoff/f)^2 of a frequency f, +0.3 dB
at 5x the cutoff (25 Hz for the default), +0.04 dB at 10x; at the cutoff, far under any
music, the complement lifts 2 dB.

The subtracted part at a sample is read between the low-pass outputs of the two blocks
before its own, so the stage needs no look-ahead (no latency) and gives the same samples
whatever the block size."""

from __future__ import annotations

import math

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mixchat.dsp.cleanup.frames import FrameStream
from mixchat.dsp.cleanup.spec import DcRemoval
from mixchat.dsp.iir import sosfilt
from mixchat.dsp.spill import Parts, Spill

BLOCK_S = 0.05
LOW_RATE_HZ = 400.0  # the removal's block means, a second (20x the highest cutoff)
FOUND_ABOVE = 0.003  # |offset| in full scale (-50 dBFS) ...
FOUND_AGAINST_RMS_DB = -30.0  # ... and no more than 30 dB under the stem's level


class DcFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    found: bool
    offset: float = Field(description="the largest per-channel mean where the stem plays")
    offset_dbfs: float
    against_rms_db: float = Field(description="offset level relative to the stem's RMS")


_NONE = DcFinding(found=False, offset=0.0, offset_dbfs=-120.0, against_rms_db=-120.0)


class DcMeter:
    """``detect_dc`` fed block by block: each BLOCK_S block's channel means and power."""

    def __init__(self, *, sample_rate: int, spill: Spill | None = None) -> None:
        self._frames = FrameStream(max(1, int(BLOCK_S * sample_rate)))
        self.block_powers = Parts(spill=spill)
        self._means = Parts(axis=1, spill=spill)

    def feed(self, audio: np.ndarray) -> None:
        framed = self._frames.push(audio)
        if framed.shape[1]:
            channels, _, size = framed.shape
            power = np.einsum("cbs,cbs->b", framed, framed, dtype=np.float64)
            self.block_powers.append(power / (channels * size))
            self._means.append(framed.mean(axis=2, dtype=np.float64))

    def settle(self, spill: Spill | None = None) -> None:
        """Fed to the end: each measure joined into one array (parked in ``spill``, if
        given), the partial block let go."""
        self._frames.end()
        self.block_powers.park(spill)
        self._means.park(spill)

    def result(self) -> DcFinding:
        """The channel means over the blocks where the stem is not silent (a stem that is
        off half the time still carries its offset while it plays)."""
        if not self.block_powers:
            return _NONE
        power = self.block_powers.joined()
        playing = power > 1e-9  # above -90 dBFS
        if not playing.any():
            return _NONE
        means = self._means.joined()[:, playing].mean(axis=1)
        offset = float(means[np.argmax(np.abs(means))])
        rms = float(np.sqrt(power[playing].mean()))
        level = 20.0 * np.log10(max(abs(offset), 1e-6))
        against = level - 20.0 * np.log10(max(rms, 1e-9))
        found = abs(offset) >= FOUND_ABOVE and against >= FOUND_AGAINST_RMS_DB
        return DcFinding(
            found=bool(found),
            offset=round(offset, 5),
            offset_dbfs=round(level, 2),
            against_rms_db=round(against, 2),
        )


def detect_dc(audio: np.ndarray, *, sample_rate: int) -> DcFinding:
    meter = DcMeter(sample_rate=sample_rate)
    meter.feed(audio)
    return meter.result()


def butter2_lowpass(*, cutoff_hz: float, sample_rate: float) -> np.ndarray:
    """A 2nd-order Butterworth low-pass (bilinear, prewarped) as one second-order section."""
    if not 0.0 < cutoff_hz < sample_rate / 2:
        raise ValueError(f"cutoff_hz={cutoff_hz} must be in (0, {sample_rate / 2:g})")
    k = math.tan(math.pi * cutoff_hz / sample_rate)
    norm = 1.0 / (1.0 + math.sqrt(2.0) * k + k * k)
    b0 = k * k * norm
    a1 = 2.0 * (k * k - 1.0) * norm
    a2 = (1.0 - math.sqrt(2.0) * k + k * k) * norm
    return np.array([[b0, 2.0 * b0, b0, 1.0, a1, a2]])


class DcStage:
    """Subtracts the stem's slow part: each ``block``-sample mean through the low-pass,
    read linearly between the outputs of the two blocks before a sample's own."""

    latency = 0

    def __init__(self, spec: DcRemoval, *, sample_rate: int) -> None:
        self.block = max(1, int(sample_rate // LOW_RATE_HZ))
        self.sos = butter2_lowpass(cutoff_hz=spec.cutoff_hz, sample_rate=sample_rate / self.block)
        self.ramp = (np.arange(self.block) / self.block).astype(np.float32)
        self.reset()

    def reset(self) -> None:
        self._position = 0
        self._zi: np.ndarray | None = None
        self._partial: np.ndarray | None = None  # the sum so far of the block under way
        self._last = np.zeros((0, 2))  # low-pass outputs of the two blocks before it

    def process(self, block: np.ndarray) -> np.ndarray:
        channels, frames = block.shape
        if frames == 0:
            return block
        if self._zi is None:
            self._zi = np.zeros((1, channels, 2))
            self._partial = np.zeros(channels)
            self._last = np.zeros((channels, 2))
        size, start = self.block, self._position
        lead = start % size  # the first block began this far before ``start``
        cuts = np.arange(-lead, frames, size)
        cuts[0] = 0
        sums = np.add.reduceat(block, cuts, axis=1, dtype=np.float64)
        sums[:, 0] += self._partial
        ends = (lead + frames) % size  # samples into the last block (0: it is complete)
        complete = sums.shape[1] - (1 if ends else 0)
        self._partial = sums[:, -1].copy() if ends else np.zeros(channels)
        smooth = np.zeros((channels, 0))
        if complete:
            smooth, self._zi = sosfilt(self.sos, sums[:, :complete] / size, axis=-1, zi=self._zi)
        known = np.concatenate([self._last, smooth], axis=1)  # from two blocks before the first
        self._last = known[:, -2:]
        base = known[:, : len(cuts)].astype(np.float32)
        rise = known[:, 1 : len(cuts) + 1].astype(np.float32) - base
        slow = rise[:, :, None] * self.ramp
        slow += base[:, :, None]
        out = slow.reshape(channels, -1)[:, lead : lead + frames]
        self._position = start + frames
        return np.subtract(block, out, out=out)
