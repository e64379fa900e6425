"""DC offset: found as the mean of each channel where the stem plays, removed by taking away
the stem's own slow part: the means of short blocks (``LOW_RATE_HZ`` of them a second, on a
grid fixed to the stem's start), smoothed by a centred Hann window whose response first
falls to zero at ``cutoff_hz`` (0.4 s for the 5 Hz default), read linearly between blocks
and subtracted. The offset goes whole and slow drift with it (20 dB down at a fifth of the
cutoff, 47 dB at a 25th), and unlike subtracting a constant it leaves the silent parts of a
stem at zero. The window is centred, so the part taken has no phase: from the cutoff up the
stem passes within 0.03 dB (0.001 dB at 25 Hz for the default). Worked at the block rate,
it costs a few passes over the samples where a recursive high-pass at the stem's rate cost
a filter per sample; it reads half its window ahead (a local stage: the same samples in any
block size).
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mixchat.dsp.cleanup.frames import FrameStream
from mixchat.dsp.cleanup.spec import DcRemoval
from mixchat.dsp.cleanup.stream import LocalStage
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


class SlowPart:
    """The removal as a local operation over a window that starts on the block grid: the
    blocks' means, smoothed by a Hann window (centred: no phase), read linearly between
    blocks and subtracted."""

    def __init__(self, spec: DcRemoval, *, sample_rate: int) -> None:
        self.block = max(1, int(sample_rate // LOW_RATE_HZ))
        low_rate = sample_rate / self.block
        taps = int(round(2.0 * low_rate / spec.cutoff_hz)) | 1  # its first null at the cutoff
        window = np.hanning(taps + 2)[1:-1]
        self.kernel = window / window.sum()
        self.ramp = (np.arange(self.block) / self.block).astype(np.float32)
        self.context = (taps // 2 + 2) * self.block

    def __call__(self, audio: np.ndarray, start: int) -> np.ndarray:
        del start  # windows start on the block grid; nothing else depends on the position
        channels, length = audio.shape
        size = self.block
        count = -(-length // size)
        padded = np.zeros((channels, count * size), dtype=np.float32)
        padded[:, :length] = audio
        means = padded.reshape(channels, count, size).mean(axis=2, dtype=np.float64)
        smooth = np.stack([np.convolve(row, self.kernel, mode="same") for row in means])
        smooth = np.concatenate([smooth, smooth[:, -1:]], axis=1).astype(np.float32)
        slow = (smooth[:, 1:] - smooth[:, :-1])[:, :, None] * self.ramp
        slow += smooth[:, :-1, None]
        out = slow.reshape(channels, -1)[:, :length]
        return np.subtract(audio, out, out=out)


def dc_stage(spec: DcRemoval, *, sample_rate: int) -> LocalStage:
    slow = SlowPart(spec, sample_rate=sample_rate)
    return LocalStage(slow, context=slow.context, grid=slow.block)
