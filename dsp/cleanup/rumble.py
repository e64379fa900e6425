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
import scipy.fft
from pydantic import BaseModel, ConfigDict, Field
from scipy.ndimage import median_filter
from scipy.signal import sosfilt

from mixchat.dsp.cleanup.sidechain import DynamicBandStage, band_envelope_db, lowpass_sos
from mixchat.dsp.cleanup.spec import DePlosive

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


def _share_below(audio: np.ndarray, sample_rate: int, cutoff_hz: float) -> float:
    mono = np.asarray(audio, dtype=np.float32).mean(axis=0)
    size = min(1 << 15, 1 << int(np.log2(max(mono.size, 2))))
    count = mono.size // size
    if count == 0:
        return -120.0
    frames = mono[: count * size].reshape(count, size) * np.hanning(size).astype(np.float32)
    power = np.abs(scipy.fft.rfft(frames, axis=1)) ** 2
    psd = power.mean(axis=0)
    freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
    total = float(psd[freqs >= SUBSONIC_HZ].sum()) + 1e-30
    below = float(psd[(freqs >= SUBSONIC_HZ) & (freqs < cutoff_hz)].sum())
    return 10.0 * np.log10(max(below, 1e-30) / total)


def _plosive_frames(audio: np.ndarray, sample_rate: int) -> tuple[np.ndarray, np.ndarray, int]:
    """(thump frames, low band level in dB per frame, frame size)."""
    size = int(2 ** round(np.log2(FRAME_S * sample_rate)))
    mono = np.asarray(audio, dtype=np.float32).mean(axis=0)
    count = mono.size // size
    if count < 10:
        return np.zeros(0, dtype=bool), np.zeros(0), size
    frames = mono[: count * size].reshape(count, size) * np.hanning(size).astype(np.float32)
    power = np.abs(scipy.fft.rfft(frames, axis=1)) ** 2
    freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
    low = power[:, freqs < PLOSIVE_HZ].sum(axis=1)
    total = power.sum(axis=1) + 1e-30
    low_db = 10.0 * np.log10(low + 1e-30)
    total_db = 10.0 * np.log10(total)
    running = median_filter(low_db, size=max(3, int(RUNNING_S / (size / sample_rate))) | 1)
    loud = float(np.percentile(total_db, 95))
    thump = (
        (low_db - running >= JUMP_DB)
        & (low / total >= LOW_SHARE)
        & (low_db >= loud - LOUD_BELOW_DB)
    )
    return thump, low_db, size


def detect_rumble(audio: np.ndarray, *, sample_rate: int, role: str) -> RumbleFinding:
    cutoff = floor_hz(role)
    share = _share_below(audio, sample_rate, cutoff)
    steady = share >= RUMBLE_SHARE_DB
    plosives: list[float] = []
    threshold = None
    if role in VOCAL_ROLES:
        thump, _, size = _plosive_frames(audio, sample_rate)
        edges = np.diff(np.concatenate([[0], thump.astype(np.int8), [0]]))
        starts = np.flatnonzero(edges == 1)
        plosives = [round(float(s * size / sample_rate), 3) for s in starts]
        if plosives:
            threshold = deplosive_threshold(audio, sample_rate=sample_rate, thump=thump, size=size)
    return RumbleFinding(
        found=bool(steady or plosives),
        floor_hz=cutoff,
        below_floor_db=round(share, 2),
        steady=bool(steady),
        plosives=len(plosives),
        plosive_times_s=plosives[:100],
        threshold_db=threshold,
    )


def deplosive_threshold(
    audio: np.ndarray, *, sample_rate: int, thump: np.ndarray, size: int
) -> float:
    """THRESHOLD_BELOW_THUMPS_DB under the thumps' median peak on the stage's own detector,
    never under the loudest the lows reach elsewhere."""
    spec = DePlosive(threshold_db=0.0)
    band = sosfilt(lowpass_sos(spec.cutoff_hz, sample_rate), np.asarray(audio, np.float64), axis=-1)
    level, _ = band_envelope_db(band, attack_ms=spec.attack_ms, sample_rate=sample_rate)
    count = thump.size
    peaks = level[: count * size].reshape(count, size).max(axis=1)
    hits = float(np.median(peaks[thump]))
    others = peaks[~thump & (peaks > hits - 40.0)]
    ceiling = float(np.percentile(others, 99)) if others.size else -90.0
    return round(
        float(np.clip(max(hits - THRESHOLD_BELOW_THUMPS_DB, ceiling + 1.0), -90.0, 0.0)), 1
    )


def deplosive_stage(spec: DePlosive, *, sample_rate: int) -> DynamicBandStage:
    return DynamicBandStage(spec, lowpass_sos(spec.cutoff_hz, sample_rate), sample_rate=sample_rate)
