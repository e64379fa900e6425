"""Mains hum: found as steady, isolated lines at a 50 or 60 Hz fundamental and its harmonics,
removed by following each harmonic and subtracting it (``hum_removal``).

Detection reads the stem's channel mean decimated to ``DETECT_RATE_HZ`` twice: as one long
spectrum (a steady tone adds up coherently over the whole length, music that moves does not)
and as 1 s frames. A line at harmonic ``k`` counts when, in the long spectrum, it stands
``LINE_PROMINENCE_DB`` over the median of its neighbourhood and ``ISOLATION_DB`` over the
loudest line on at least one side (a loop repeated at the tempo has a comb of lines close
together; hum's are ``f0`` apart), and when its level holds in the frames: in four frames out of five
it keeps at least ``STEADINESS`` of the line's long-term amplitude (a note comes and goes;
hum stays, and music only adds to it). The fundamental is anchored on one of the first four
harmonics within ``MAINS_TOLERANCE_HZ`` of 50 or 60 Hz (mains wanders, a recording's clock
too) and the others must sit at its multiples; hum is found when two lines agree (one of them
among the first four) or one stands out alone by ``LONE_LINE_DB``, and when the lines
together come within ``MIN_AGAINST_STEM_DB`` of the stem (fainter hum is inaudible).


The removal is ``hum_removal``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import scipy.fft
import soxr
from pydantic import BaseModel, ConfigDict, Field
from scipy.ndimage import maximum_filter1d

DETECT_RATE_HZ = 4000
HIGHEST_HARMONIC_HZ = 1800.0
MAINS_HZ = (50.0, 60.0)
MAINS_TOLERANCE_HZ = 0.3
FRAME = 4096  # samples at DETECT_RATE_HZ: about 1 s, 1 Hz apart
ANCHOR_HARMONICS = 4
ANCHOR_PEAKS = 3  # the loudest peaks tried as the anchor in each anchor window
HARMONIC_REACH_HZ = 0.03  # per harmonic number: how far a harmonic may sit off k * f0
RING_HZ = 8.0  # the neighbourhood a line is judged against, beyond ...
RING_INNER_HZ = 1.5  # ... this (and beyond 0.06 Hz per harmonic number: a wandering line)
LINE_PROMINENCE_DB = 12.0
ISOLATION_DB = 3.0
COMB_HZ = 3.0  # a tempo loop's lines are closer than this beyond the inner ring
STEADINESS = 0.7
LONE_STEADINESS = 0.8
STEADY_PERCENTILE = 20.0
LONE_LINE_DB = 20.0
FAINT_LINE_DB = 6.0  # once hum is found, its fainter harmonics: how far the removal goes
FAINT_STEADINESS = 0.5
MIN_AUDIBLE_DB = -70.0  # A-weighted hum against the A-weighted stem where it plays
LOW_HARMONICS = 2  # mains hum has its fundamental or a rectifier's second harmonic
MAX_SECONDS = 300.0


class HumFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    found: bool
    fundamental_hz: float | None = None
    harmonics: list[int] = Field(default_factory=list, description="steady harmonic numbers")
    prominence_db: list[float] = Field(
        default_factory=list, description="each line over its neighbourhood's median"
    )
    steadiness: list[float] = Field(
        default_factory=list,
        description="each line's level in its quieter frames against its long-term level",
    )
    level_dbfs: float = -120.0
    against_stem_db: float = Field(
        default=-120.0, description="hum power against the stem's where it plays"
    )
    heard_against_stem_db: float = Field(
        default=-120.0, description="the same, both A-weighted (how loud it is heard)"
    )
    faint_harmonics: list[int] = Field(
        default_factory=list,
        description="harmonics whose lines stand out a little (over 6 dB) and hold: where the "
        "hum still shows over the music, so where its removal reaches",
    )

    @property
    def mains_hz(self) -> float:
        """The mains this hum comes from (50 or 60 Hz), the nearer to the fundamental."""
        f0 = self.fundamental_hz if self.fundamental_hz is not None else MAINS_HZ[0]
        return min(MAINS_HZ, key=lambda nominal: abs(nominal - f0))


@dataclass(frozen=True)
class _Line:
    harmonic: int
    freq_hz: float
    amplitude: float
    prominence_db: float
    isolation_db: float
    steadiness: float

    @property
    def faint(self) -> bool:
        return self.prominence_db >= FAINT_LINE_DB and self.steadiness >= FAINT_STEADINESS

    @property
    def passes(self) -> bool:
        return (
            self.prominence_db >= LINE_PROMINENCE_DB
            and self.isolation_db >= ISOLATION_DB
            and self.steadiness >= STEADINESS
        )


class _Spectra:
    """The long spectrum and the frames' quieter levels of the decimated channel mean, in
    amplitude (a sinusoid of amplitude a reads a at its peak)."""

    def __init__(self, low: np.ndarray) -> None:
        size = scipy.fft.next_fast_len(2 * low.size, real=True)
        window = np.hanning(low.size)
        top = int(HIGHEST_HARMONIC_HZ * 1.1 * size / DETECT_RATE_HZ) + 2
        spectrum = scipy.fft.rfft(low * window, n=size)[:top]
        self.amplitude = np.abs(spectrum) / (window.sum() / 2.0)
        self.level = 20.0 * np.log10(self.amplitude + 1e-15)
        self.bin_hz = DETECT_RATE_HZ / size
        frame = min(FRAME, low.size)
        frames = np.lib.stride_tricks.sliding_window_view(low, frame)[:: frame // 2]
        frame_window = np.hanning(frame)
        frame_top = int(HIGHEST_HARMONIC_HZ * 1.1 * frame / DETECT_RATE_HZ) + 2
        framed = np.abs(scipy.fft.rfft(frames * frame_window, axis=-1)[:, :frame_top])
        framed /= frame_window.sum() / 2.0
        # a line between two bins, or wandering, still reads its level in one of three
        widened = maximum_filter1d(framed, 3, axis=1)
        self.quiet = np.percentile(widened, STEADY_PERCENTILE, axis=0)
        self.frame_bin_hz = DETECT_RATE_HZ / frame

    def peaks(self, lo_hz: float, hi_hz: float, count: int) -> list[int]:
        lo = max(int(lo_hz / self.bin_hz), 1)
        hi = min(int(math.ceil(hi_hz / self.bin_hz)) + 1, self.level.size - 1)
        if hi - lo < 3:
            return []
        part = self.level[lo:hi]
        local = np.flatnonzero((part[1:-1] >= part[:-2]) & (part[1:-1] > part[2:])) + 1
        if local.size == 0:
            local = np.array([int(np.argmax(part))])
        best = local[np.argsort(part[local])[::-1][:count]]
        return [lo + int(i) for i in best]

    def refined_hz(self, index: int) -> float:
        """The peak's frequency from a parabola through its log level and its neighbours'."""
        a, b, c = self.level[index - 1], self.level[index], self.level[index + 1]
        curve = a - 2.0 * b + c
        shift = 0.5 * (a - c) / curve if curve < 0 else 0.0
        return (index + float(np.clip(shift, -0.5, 0.5))) * self.bin_hz

    def line(self, harmonic: int, index: int) -> _Line:
        inner = max(RING_INNER_HZ, 0.06 * harmonic)
        lo = max(int((inner) / self.bin_hz), 1)
        hi = int((inner + RING_HZ) / self.bin_hz)
        left = self.level[max(index - hi, 0) : max(index - lo, 0)]
        right = self.level[index + lo : index + hi]
        ring = np.concatenate([left, right])
        # a loop repeated at the tempo has lines on both sides close by, as strong as this one
        near = int((inner + COMB_HZ) / self.bin_hz) - lo
        sides = min(left[-near:].max(), right[:near].max()) if left.size and right.size else -np.inf
        level = float(self.level[index])
        frame_index = min(int(round(index * self.bin_hz / self.frame_bin_hz)), self.quiet.size - 1)
        amplitude = float(self.amplitude[index])
        return _Line(
            harmonic=harmonic,
            freq_hz=self.refined_hz(index),
            amplitude=amplitude,
            prominence_db=level - float(np.median(ring)) if ring.size else 0.0,
            isolation_db=level - float(sides),
            steadiness=float(self.quiet[frame_index]) / max(amplitude, 1e-15),
        )

    def harmonics_of(self, f0: float, *, faint: bool = False) -> list[_Line]:
        """The passing line nearest each harmonic of ``f0``, up to HIGHEST_HARMONIC_HZ
        (``faint``: lines that only stand FAINT_LINE_DB out and hold FAINT_STEADINESS)."""
        lines = []
        for k in range(1, int(HIGHEST_HARMONIC_HZ // f0) + 1):
            reach = HARMONIC_REACH_HZ * k + 2.0 * self.bin_hz
            candidates = [self.line(k, i) for i in self.peaks(k * f0 - reach, k * f0 + reach, 2)]
            passing = [c for c in candidates if (c.faint if faint else c.passes)]
            if passing:
                lines.append(max(passing, key=lambda c: c.prominence_db))
        return lines


def _decimated(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    mono = np.asarray(audio, dtype=np.float32).mean(axis=0)[: int(MAX_SECONDS * sample_rate)]
    return soxr.resample(mono, sample_rate, DETECT_RATE_HZ, quality="MQ").astype(np.float64)


def _best_lines(spectra: _Spectra) -> list[_Line]:
    """The harmonics of the best-supported fundamental: each passing peak near one of the first
    ANCHOR_HARMONICS harmonics of 50 or 60 Hz proposes one; the most prominent set wins."""
    best: list[_Line] = []
    best_score = 0.0
    for nominal in MAINS_HZ:
        for k in range(1, ANCHOR_HARMONICS + 1):
            lo, hi = k * (nominal - MAINS_TOLERANCE_HZ), k * (nominal + MAINS_TOLERANCE_HZ)
            for index in spectra.peaks(lo, hi, ANCHOR_PEAKS):
                anchor = spectra.line(k, index)
                if not anchor.passes:
                    continue
                lines = spectra.harmonics_of(anchor.freq_hz / k)
                # a set with the mains' own lines beats any set without them
                low = any(line.harmonic <= LOW_HARMONICS for line in lines)
                score = sum(line.prominence_db for line in lines) + (1e6 if low else 0.0)
                if score > best_score:
                    best, best_score = lines, score
    return best


def _fundamental(lines: list[_Line]) -> float:
    """Each line's frequency over its harmonic number, weighted by the number (the higher,
    the finer the estimate) and by the line's amplitude."""
    weights = [line.harmonic * line.amplitude for line in lines]
    return float(np.average([line.freq_hz / line.harmonic for line in lines], weights=weights))


def _playing_power(audio: np.ndarray, sample_rate: int) -> float:
    """Mean power over the 50 ms blocks where the stem plays (above -90 dBFS)."""
    size = max(1, int(0.05 * sample_rate))
    count = audio.shape[1] // size
    if count == 0:
        return float(np.mean(np.square(audio, dtype=np.float64)))
    framed = audio[:, : count * size].reshape(audio.shape[0], count, size)
    power = np.einsum("cbs,cbs->b", framed, framed, dtype=np.float64) / (audio.shape[0] * size)
    playing = power[power > 1e-9]
    return float(playing.mean()) if playing.size else 0.0


def a_weighting_db(freq_hz: np.ndarray) -> np.ndarray:
    """IEC 61672 A-weighting (0 dB at 1 kHz)."""
    f2 = np.square(np.maximum(np.asarray(freq_hz, dtype=np.float64), 1e-3))
    gain = (12194.0**2 * f2**2) / (
        (f2 + 20.6**2) * np.sqrt((f2 + 107.7**2) * (f2 + 737.9**2)) * (f2 + 12194.0**2)
    )
    return 20.0 * np.log10(gain) + 2.0


def _a_weighted_share(audio: np.ndarray, sample_rate: int) -> float:
    """The share of the stem's power that A-weighting keeps (from at most 64 frames)."""
    size = 4096
    mono = np.asarray(audio, dtype=np.float32).mean(axis=0)
    if mono.size < size:
        return 1.0
    hop = max(size, (mono.size - size) // 63)
    frames = np.lib.stride_tricks.sliding_window_view(mono, size)[::hop]
    power = np.square(np.abs(scipy.fft.rfft(frames * np.hanning(size), axis=-1))).sum(axis=0)
    weights = 10.0 ** (a_weighting_db(np.fft.rfftfreq(size, 1.0 / sample_rate)) / 10.0)
    return float((power * weights).sum() / max(float(power.sum()), 1e-30))


def detect_hum(audio: np.ndarray, *, sample_rate: int) -> HumFinding:
    if audio.shape[1] < 2 * sample_rate:  # too short to tell a steady line from a note
        return HumFinding(found=False)
    spectra = _Spectra(_decimated(audio, sample_rate))
    lines = _best_lines(spectra)
    if not lines:
        return HumFinding(found=False)
    f0 = _fundamental(lines)
    faint = [line.harmonic for line in spectra.harmonics_of(f0, faint=True)]
    powers = np.array([line.amplitude**2 / 2.0 for line in lines])
    level = 10.0 * math.log10(max(float(powers.sum()), 1e-20))
    stem = max(_playing_power(audio, sample_rate), 1e-20)
    against = level - 10.0 * math.log10(stem)
    weights = 10.0 ** (a_weighting_db(np.array([line.freq_hz for line in lines])) / 10.0)
    heard = float((powers * weights).sum()) / (stem * _a_weighted_share(audio, sample_rate))
    heard_db = 10.0 * math.log10(max(heard, 1e-20))
    audible = heard_db >= MIN_AUDIBLE_DB
    low_line = any(line.harmonic <= LOW_HARMONICS for line in lines)
    lone = lines[0].prominence_db >= LONE_LINE_DB and lines[0].steadiness >= LONE_STEADINESS
    found = low_line and audible and (len(lines) >= 2 or lone)
    return HumFinding(
        found=bool(found),
        fundamental_hz=round(f0, 3),
        harmonics=[line.harmonic for line in lines],
        prominence_db=[round(line.prominence_db, 1) for line in lines],
        steadiness=[round(line.steadiness, 2) for line in lines],
        level_dbfs=round(level, 2),
        against_stem_db=round(against, 2),
        heard_against_stem_db=round(heard_db, 2),
        faint_harmonics=faint,
    )


def highest_to_remove_hz(fundamental_hz: float, harmonics: list[int]) -> float:
    """Half again over the highest harmonic of the run the found lines make from the
    fundamental up (every harmonic up to it, at least half of them found: a lone high line
    can be the music's), at least the fourth: above the lines that stand out, a notch would
    take more music than hum."""
    found = set(harmonics)
    run = max([k for k in sorted(found) if 2 * sum(1 for j in found if j <= k) >= k], default=1)
    top = max(ANCHOR_HARMONICS, math.ceil(1.5 * run))
    return float(min(max(top * fundamental_hz + 0.5 * fundamental_hz, 100.0), 4000.0))
