"""DC offset: found as the mean of each channel where the stem plays, removed by a
2nd-order high-pass far below the music (5 Hz), which also takes out slow drift and, unlike
subtracting a constant, leaves the silent parts of a stem at zero."""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mixchat.dsp.cleanup.frames import FrameStream
from mixchat.dsp.cleanup.spec import DcRemoval
from mixchat.dsp.iir import butter2_highpass, sosfilt
from mixchat.dsp.spill import Parts, Spill

BLOCK_S = 0.05
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


class DcStage:
    latency = 0

    def __init__(self, spec: DcRemoval, *, sample_rate: int) -> None:
        self.sos = butter2_highpass(cutoff_hz=spec.cutoff_hz, sample_rate=sample_rate)
        self.reset()

    def reset(self) -> None:
        self._zi: np.ndarray | None = None

    def process(self, block: np.ndarray) -> np.ndarray:
        if block.shape[1] == 0:
            return block
        if self._zi is None:
            self._zi = np.zeros((self.sos.shape[0], block.shape[0], 2))
        out, self._zi = sosfilt(self.sos, block, axis=-1, zi=self._zi)
        return out.astype(np.float32, copy=False)
