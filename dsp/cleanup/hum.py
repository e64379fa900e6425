"""Mains hum: found as stationary lines at a 50 or 60 Hz fundamental and its harmonics,
removed by a notch comb on that fundamental.

Detection reads one spectrum of the whole stem (decimated to ``DETECT_RATE_HZ``): a steady
tone adds up coherently over the whole length while music, which moves, does not, so the
hum's lines stand far above their neighbourhood (``prominence_db``). A fundamental within
``MAINS_TOLERANCE_HZ`` of 50 or 60 Hz with at least ``MIN_HARMONICS`` prominent lines is hum.

The comb ``(1 + a)/2 (1 - z^-P)/(1 - a z^-P)`` has a notch at every multiple of fs/P (the
period P is the nearest whole number of samples); each notch is ``width_hz`` wide at -3 dB,
so a 1 Hz notch every 60 Hz removes under 0.2 dB from any third-octave band without a
harmonic. It runs vectorised: the recursion only looks P samples back, so the signal is laid
out in rows of P samples and filtered down the rows.
"""

from __future__ import annotations

import math

import numpy as np
import scipy.fft
import soxr
from pydantic import BaseModel, ConfigDict, Field

from mixchat.dsp.cleanup.spec import HumRemoval

DETECT_RATE_HZ = 4000
HIGHEST_HARMONIC_HZ = 1800.0
MAINS_HZ = (50.0, 60.0)
MAINS_TOLERANCE_HZ = 0.3
NEIGHBOURHOOD_HZ = 6.0
SEGMENT = 8192  # samples at DETECT_RATE_HZ: 2 s, 0.5 Hz resolution
COHERENT_DB = 25.0  # a line this far over its neighbourhood in the whole-stem spectrum ...
SEGMENT_DB = 6.0  # ... that stands this far out in ...
STEADY_SHARE = 0.8  # ... this share of the 2 s segments is a steady line
LONE_LINE_DB = 30.0  # one steady line alone counts as hum when this prominent
MIN_AGAINST_STEM_DB = -75.0
MAX_SECONDS = 300.0


class HumFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    found: bool
    fundamental_hz: float | None = None
    harmonics: list[int] = Field(default_factory=list, description="steady harmonic numbers")
    prominence_db: list[float] = Field(default_factory=list)
    steady_share: list[float] = Field(default_factory=list)
    level_dbfs: float = -120.0
    against_stem_db: float = Field(default=-120.0, description="hum power against the stem's")


def _power(frames: np.ndarray, size: int) -> tuple[np.ndarray, float]:
    window = np.hanning(frames.shape[-1])
    spectrum = scipy.fft.rfft(frames * window, n=size, axis=-1)
    return spectrum.real**2 + spectrum.imag**2, float(np.sum(window**2))


def _prominence(power: np.ndarray, bin_hz: float) -> np.ndarray:
    """Each bin's level over the mean level (dB) of its +-NEIGHBOURHOOD_HZ surroundings."""
    level = 10.0 * np.log10(power + 1e-30)
    span = max(3, int(round(2 * NEIGHBOURHOOD_HZ / bin_hz)) | 1)
    from scipy.ndimage import uniform_filter1d  # slow to import: only when detecting

    return level - uniform_filter1d(level, span, axis=-1, mode="nearest")


def _peak_near(prom: np.ndarray, bin_hz: float, freq_hz: float, reach_hz: float) -> np.ndarray:
    centre = freq_hz / bin_hz
    reach = max(1.0, reach_hz / bin_hz)
    lo, hi = int(math.floor(centre - reach)), int(math.ceil(centre + reach)) + 1
    return prom[..., max(lo, 0) : min(hi, prom.shape[-1])].max(axis=-1)


def _best_fundamental(prom: np.ndarray, bin_hz: float) -> float:
    """The fundamental near 50 or 60 Hz whose first harmonics stand out most."""
    best, best_score = MAINS_HZ[0], -math.inf
    for nominal in MAINS_HZ:
        grid = np.arange(nominal - MAINS_TOLERANCE_HZ, nominal + MAINS_TOLERANCE_HZ, bin_hz / 2)
        for f0 in grid:
            idx = np.round(np.arange(1, 9) * f0 / bin_hz).astype(int)
            score = float(np.clip(prom[idx[idx < prom.size]], 0.0, None).sum())
            if score > best_score:
                best, best_score = float(f0), score
    return best


def _refined(power: np.ndarray, bin_hz: float, f0: float, harmonics: list[int]) -> float:
    """The fundamental from the interpolated peaks of the found harmonics (a parabola through
    each peak's log power), weighted by harmonic number: the higher, the finer."""
    level = np.log(power + 1e-30)
    estimates, weights = [], []
    for k in harmonics:
        centre = int(round(k * f0 / bin_hz))
        reach = max(2, int(math.ceil((0.005 * k) / bin_hz)) + 1)
        lo = max(centre - reach, 1)
        peak = lo + int(np.argmax(level[lo : centre + reach + 1]))
        if peak <= 0 or peak >= level.size - 1:
            continue
        a, b, c = level[peak - 1], level[peak], level[peak + 1]
        shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) < 0 else 0.0
        estimates.append((peak + shift) * bin_hz / k)
        weights.append(k)
    return float(np.average(estimates, weights=weights)) if estimates else f0


def _line_power(power: np.ndarray, bin_hz: float, freq_hz: float, window_energy: float) -> float:
    """Mean power of a sinusoid at ``freq_hz`` from its main lobe (Parseval, Hann window)."""
    size = 2 * (power.size - 1)
    centre = int(round(freq_hz / bin_hz))
    lobe = power[max(centre - 3, 0) : centre + 4]
    return 2.0 * float(lobe.sum()) / (size * window_energy)


class HumMeter:
    """``detect_hum`` fed block by block: the channel mean decimated to DETECT_RATE_HZ as a
    stream (the same samples as one resample of the whole) and the stem's power."""

    def __init__(self, *, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self._limit = int(MAX_SECONDS * sample_rate)
        self._stream = soxr.ResampleStream(
            sample_rate, DETECT_RATE_HZ, 1, dtype="float32", quality="MQ"
        )
        self._low: list[np.ndarray] = []
        self._frames = 0
        self._squares = 0.0
        self._values = 0

    def feed(self, audio: np.ndarray, mono: np.ndarray) -> None:
        """``audio`` (channels, n) and its channel mean."""
        self._squares += float(np.einsum("cs,cs->", audio, audio, dtype=np.float64))
        self._values += audio.size
        part = mono[: max(self._limit - self._frames, 0)]
        self._frames += mono.size
        if part.size:
            self._low.append(self._stream.resample_chunk(part))

    def result(self) -> HumFinding:
        if self._frames < 2 * self.sample_rate:  # too short to tell a steady line from a note
            return HumFinding(found=False)
        self._low.append(self._stream.resample_chunk(np.zeros(0, np.float32), last=True))
        low = np.concatenate(self._low).astype(np.float64)
        return _hum_finding(low, stem_power=self._squares / max(self._values, 1))


def detect_hum(audio: np.ndarray, *, sample_rate: int) -> HumFinding:
    meter = HumMeter(sample_rate=sample_rate)
    meter.feed(audio, np.asarray(audio, dtype=np.float32).mean(axis=0))
    return meter.result()


def _hum_finding(low: np.ndarray, *, stem_power: float) -> HumFinding:
    """The finding from the decimated channel mean ``low`` and the stem's mean power."""
    size = scipy.fft.next_fast_len(low.size, real=True)
    power, window_energy = _power(low, size)
    bin_hz = DETECT_RATE_HZ / size
    prom = _prominence(power, bin_hz)
    f0 = _best_fundamental(prom, bin_hz)
    count = max(1, low.size // SEGMENT)
    segments = low[: count * SEGMENT].reshape(count, SEGMENT) if low.size >= SEGMENT else low[None]
    seg_power, _ = _power(segments, SEGMENT)
    seg_bin = DETECT_RATE_HZ / SEGMENT
    seg_prom = _prominence(seg_power, seg_bin)
    harmonics, values, shares = [], [], []
    for k in range(1, int(HIGHEST_HARMONIC_HZ // f0) + 1):
        coherent = float(_peak_near(prom, bin_hz, k * f0, 0.005 * k + 2 * bin_hz))
        share = float(np.mean(_peak_near(seg_prom, seg_bin, k * f0, seg_bin) >= SEGMENT_DB))
        if coherent >= COHERENT_DB and share >= STEADY_SHARE:
            harmonics.append(k)
            values.append(round(coherent, 1))
            shares.append(round(share, 2))
    if harmonics:
        f0 = _refined(power, bin_hz, f0, harmonics)
    lines = sum(_line_power(power, bin_hz, k * f0, window_energy) for k in harmonics)
    level = 10.0 * math.log10(max(lines, 1e-20))
    against = level - 10.0 * math.log10(max(stem_power, 1e-20))
    low_line = any(k <= 3 for k in harmonics)
    enough = len(harmonics) >= 2 or (len(harmonics) == 1 and values[0] >= LONE_LINE_DB)
    found = low_line and enough and against >= MIN_AGAINST_STEM_DB
    return HumFinding(
        found=bool(found),
        fundamental_hz=round(f0, 3),
        harmonics=harmonics,
        prominence_db=values,
        steady_share=shares,
        level_dbfs=round(level, 2),
        against_stem_db=round(against, 2),
    )


def comb_period(fundamental_hz: float, sample_rate: int) -> int:
    return max(2, int(round(sample_rate / fundamental_hz)))


class HumStage:
    """Notch comb, streaming: keeps the last period of input and output between blocks."""

    latency = 0

    def __init__(self, spec: HumRemoval, *, sample_rate: int) -> None:
        self.period = comb_period(spec.fundamental_hz, sample_rate)
        half_width = math.pi * (spec.width_hz / 2.0) * self.period / sample_rate
        t = math.tan(half_width)
        self.alpha = (1.0 - t) / (1.0 + t)
        self.gain = (1.0 + self.alpha) / 2.0
        self.depth = 1.0 - 10.0 ** (-spec.reduction_db / 20.0)
        self.reset()

    def reset(self) -> None:
        self._x: np.ndarray | None = None
        self._y: np.ndarray | None = None

    def process(self, block: np.ndarray) -> np.ndarray:
        channels, frames = block.shape
        if frames == 0:
            return block
        p = self.period
        if self._x is None or self._y is None:
            self._x = np.zeros((channels, p), dtype=np.float32)
            self._y = np.zeros((channels, p), dtype=np.float32)
        rows = -(-(frames + p) // p)
        laid = np.zeros((channels, rows * p), dtype=np.float32)
        laid[:, :p] = self._x
        laid[:, p : p + frames] = block
        laid = laid.reshape(channels, rows, p)
        drive = np.float32(self.gain) * (laid[:, 1:] - laid[:, :-1])
        start = np.float32(self.alpha) * self._y[:, None, :]
        from scipy.signal import lfilter  # slow to import: only when hum is removed

        notched, _ = lfilter(
            np.array([1.0], dtype=np.float32),
            np.array([1.0, -self.alpha], dtype=np.float32),
            drive,
            axis=1,
            zi=start,
        )
        notched = notched.reshape(channels, -1)[:, :frames]
        flat = laid.reshape(channels, -1)
        self._x = flat[:, frames : frames + p].copy()
        self._y = np.concatenate([self._y, notched], axis=1)[:, -p:]
        out = block + np.float32(self.depth) * (notched - block)
        return out.astype(np.float32, copy=False)
