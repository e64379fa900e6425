"""Rumble: energy under the range a role uses (traffic, handling noise, stand thumps), and on
vocals plosive thumps ("p", "b" popping the mic). Steady rumble is a job for the track's
high-pass at the role's floor; plosives get the plosive control, a dynamic low cut keyed on
the lows (see ``sidechain``) that leaves the voice's body alone between them.

Detection measures the share of the stem's energy under the role's floor (``ROLE_FLOOR_HZ``)
and, on vocals, finds 20 ms frames where the lows under ``PLOSIVE_HZ`` jump ``JUMP_DB`` over
their running level, carry most of the frame and come within ``LOUD_BELOW_DB`` of the loud
frames: a thump, not a note.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mixchat.dsp import fft
from mixchat.dsp.cleanup.frames import FrameStream, dilated, hann, running_median
from mixchat.dsp.cleanup.sidechain import (
    DynamicBandStage,
    EnvelopePeaks,
    NativeBand,
    lowpass_sos,
)
from mixchat.dsp.cleanup.spec import DePlosive
from mixchat.dsp.spill import Parked, Spill

ROLE_FLOOR_HZ = {
    "vocal": 70.0, "lead_vocal": 70.0, "backing_vocal": 90.0, "guitar": 60.0, "hats": 150.0,
    "snare": 50.0, "toms": 40.0, "overheads": 60.0, "percussion": 80.0, "lead": 70.0,
    "brass": 50.0, "strings": 35.0, "keys": 30.0, "pad": 30.0, "synth": 30.0, "kick": 25.0,
    "bass": 25.0, "drums": 25.0, "fx": 20.0, "other": 25.0,
}  # fmt: skip
RUMBLE_SHARE_DB = -20.0  # energy under the floor against the whole stem
SUBSONIC_HZ = 10.0  # under this it is offset and drift: the DC stage's job
VOCAL_ROLES = ("vocal", "lead_vocal", "backing_vocal")
PLOSIVE_HZ = 150.0
FRAME_S = 0.02
JUMP_DB = 15.0
LOW_SHARE = 0.5
LOUD_BELOW_DB = 12.0
RUNNING_S = 0.5
THRESHOLD_BELOW_THUMPS_DB = 8.0
THUMP_REACH_S = 0.1  # a thump's onset and decay reach this far from the frames flagged


class RumbleFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    found: bool
    floor_hz: float
    below_floor_db: float = Field(description="energy under the role's floor against the stem")
    steady: bool = Field(default=False, description="a steady rumble: high-pass at floor_hz")
    plosives: int = 0
    plosive_times_s: list[float] = Field(default_factory=list)
    threshold_db: float | None = Field(default=None, description="suggested plosive threshold")


def floor_hz(role: str) -> float:
    return ROLE_FLOOR_HZ.get(role, ROLE_FLOOR_HZ["other"])


def _frame_power(frames: np.ndarray) -> np.ndarray:
    return np.abs(fft.rfft(frames * hann(frames.shape[-1], "float32"), axis=1)) ** 2


def share_size(frames: int) -> int:
    """The frame of the long-term spectrum: 2**15 samples, or the stem's length if shorter."""
    return min(1 << 15, 1 << int(np.log2(max(frames, 2))))


def plosive_size(sample_rate: int) -> int:
    return int(2 ** round(np.log2(FRAME_S * sample_rate)))


class RumbleMeter:
    """``detect_rumble`` fed block by block: the long-term spectrum of the channel mean and,
    on vocals, each 20 ms frame's low and total power and the plosive control's detector
    peaks (a threshold for the thumps, found only at the end)."""

    def __init__(self, *, sample_rate: int, frames: int, role: str) -> None:
        self.sample_rate, self.role = sample_rate, role
        self._long = FrameStream(share_size(frames))
        self._psd = np.zeros(self._long.size // 2 + 1, dtype=np.float64)
        self._long_count = 0
        self._parked_psd: tuple[Spill, Parked] | None = None
        self.vocal = role in VOCAL_ROLES
        self.size = plosive_size(sample_rate)
        self.restart_plosives()

    def restart_plosives(self) -> None:
        """Forget the plosives' frames and detector fed so far (``feed_plosives`` starts
        again from the stem's first sample)."""
        self._short = FrameStream(self.size)
        self._low: list[np.ndarray] = []
        self._total: list[np.ndarray] = []
        spec = DePlosive(threshold_db=0.0)
        self._envelope = EnvelopePeaks(
            lowpass_sos(spec.cutoff_hz, self.sample_rate),
            attack_ms=spec.attack_ms,
            sample_rate=self.sample_rate,
            size=self.size,
        )

    def feed(self, audio: np.ndarray, mono: np.ndarray) -> None:
        """``audio`` (channels, n) and its channel mean."""
        frames = self._long.push(mono)
        if frames.shape[0]:
            self._psd += _frame_power(frames).sum(axis=0, dtype=np.float64)
            self._long_count += frames.shape[0]
        if self.vocal:
            self.feed_plosives(audio, mono)

    def settle(self, spill: Spill | None = None) -> None:
        """Fed to the end: the long frames' partial frame is let go and their spectrum
        parked in ``spill``, if given (a vocal's plosives are fed again from the stem's
        start, ``feed_plosives``)."""
        self._long.end()
        if spill is not None:
            self._parked_psd = (spill, spill.put(self._psd))
            self._psd = np.zeros(0)

    def assign(self, role: str) -> bool:
        """The role, for a meter fed before it was known (as ``other``, so without the
        plosives' frames); True when they are still to be fed (``feed_plosives``, from the
        stem's start)."""
        self.role, self.vocal = role, role in VOCAL_ROLES
        return self.vocal

    def feed_plosives(self, audio: np.ndarray, mono: np.ndarray) -> None:
        """A vocal's 20 ms frames and the plosive control's detector: ``feed``'s second part."""
        frames = self._short.push(mono)
        if frames.shape[0]:
            power = _frame_power(frames)
            freqs = np.fft.rfftfreq(self.size, 1.0 / self.sample_rate)
            self._low.append(power[:, freqs < PLOSIVE_HZ].sum(axis=1))
            self._total.append(power.sum(axis=1) + 1e-30)
        self._envelope.feed(audio)

    def _share_below(self, cutoff_hz: float) -> float:
        if self._long_count == 0:
            return -120.0
        if self._parked_psd is not None:
            spill, parked = self._parked_psd
            self._psd, self._parked_psd = spill.get(parked), None
        psd = self._psd / self._long_count
        freqs = np.fft.rfftfreq(self._long.size, 1.0 / self.sample_rate)
        total = float(psd[freqs >= SUBSONIC_HZ].sum()) + 1e-30
        below = float(psd[(freqs >= SUBSONIC_HZ) & (freqs < cutoff_hz)].sum())
        return 10.0 * np.log10(max(below, 1e-30) / total)

    def _thumps(self) -> np.ndarray:
        """The 20 ms frames that hold a plosive thump."""
        if sum(len(low) for low in self._low) < 10:
            return np.zeros(0, dtype=bool)
        low, total = np.concatenate(self._low), np.concatenate(self._total)
        low_db = 10.0 * np.log10(low + 1e-30)
        total_db = 10.0 * np.log10(total)
        hop_s = self.size / self.sample_rate
        running = running_median(low_db, size=max(3, int(RUNNING_S / hop_s)) | 1)
        loud = float(np.percentile(total_db, 95))
        return (
            (low_db - running >= JUMP_DB)
            & (low / total >= LOW_SHARE)
            & (low_db >= loud - LOUD_BELOW_DB)
        )

    def _threshold(self, thump: np.ndarray) -> float:
        """THRESHOLD_BELOW_THUMPS_DB under the thumps' median peak on the stage's own
        detector, never under the loudest the lows reach elsewhere: away from the thumps
        by THUMP_REACH_S (the frames beside a flagged one hold its onset or its decay, and
        on a short stem they are the loudest left: the threshold sat on the thumps)."""
        peaks = self._envelope.peaks(thump.size)
        hits = float(np.median(peaks[thump]))
        reach = int(round(THUMP_REACH_S * self.sample_rate / self.size))
        near = dilated(thump, reach=reach)
        others = peaks[~near & (peaks > hits - 40.0)]
        ceiling = float(np.percentile(others, 99)) if others.size else -90.0
        return round(
            float(np.clip(max(hits - THRESHOLD_BELOW_THUMPS_DB, ceiling + 1.0), -90.0, 0.0)), 1
        )

    def result(self) -> RumbleFinding:
        cutoff = floor_hz(self.role)
        share = self._share_below(cutoff)
        steady = share >= RUMBLE_SHARE_DB
        plosives: list[float] = []
        threshold = None
        if self.vocal:
            thump = self._thumps()
            edges = np.diff(np.concatenate([[0], thump.astype(np.int8), [0]]))
            starts = np.flatnonzero(edges == 1)
            plosives = [round(float(s * self.size / self.sample_rate), 3) for s in starts]
            if plosives:
                threshold = self._threshold(thump)
        return RumbleFinding(
            found=bool(steady or plosives),
            floor_hz=cutoff,
            below_floor_db=round(share, 2),
            steady=bool(steady),
            plosives=len(plosives),
            plosive_times_s=plosives[:100],
            threshold_db=threshold,
        )


def detect_rumble(audio: np.ndarray, *, sample_rate: int, role: str) -> RumbleFinding:
    meter = RumbleMeter(sample_rate=sample_rate, frames=audio.shape[1], role=role)
    meter.feed(audio, np.asarray(audio, dtype=np.float32).mean(axis=0))
    return meter.result()


def deplosive_stage(spec: DePlosive, *, sample_rate: int) -> DynamicBandStage:
    band = NativeBand.lowpass(spec.cutoff_hz, sample_rate=sample_rate)
    return DynamicBandStage(spec, band, sample_rate=sample_rate)
