"""Mains hum: found as steady, isolated lines at a 50 or 60 Hz fundamental and its harmonics,
removed by following each harmonic and subtracting it (``hum_removal``).

Detection streams the stem's channel mean, decimated to ``DETECT_RATE_HZ``, into a long
spectrum (a steady tone adds up coherently over a long stretch, music that moves does not;
stretches of ``LONG_SEGMENT`` are averaged, so memory holds one whatever the stem's length)
and into 1 s frames (at most ``MAX_STEADY_FRAMES``, spread over the stem). A line at harmonic
``k`` counts when, in the long spectrum, it stands ``LINE_PROMINENCE_DB`` over the median of
its neighbourhood, ``ISOLATION_DB`` over the loudest line on at least one side and
``COMB_CLEAR_DB`` over an evenly spaced comb through it (a loop repeated at the tempo has a
comb of lines close together; hum's are ``f0`` apart), and when its level holds in the
frames: in four frames out of five it keeps at least ``STEADINESS`` of the line's long-term
amplitude (a note comes and goes; hum stays, and music only adds to it). A steady line also
counts when it stands ``FLOOR_LINE_DB`` over its neighbourhood in those quieter frames (where
the music leaves it bare: between phrases, under a held note) and shows a little in the long
spectrum; the mains' own line (the fundamental or the second) must stand out in the long
spectrum, or be bare in the quiet frames and coherent over the stem (``_Line.bare``: a line of
one unbroken phase reads in the long spectrum what it reads in a frame). A stem longer than
``DRIFT_SEGMENT`` is also read in the average of shorter stretches, over which a wandering
mains line holds still (the long spectrum's fine bins smear it into small peaks).
The fundamental is anchored on one of the first four harmonics within ``MAINS_TOLERANCE_HZ``
of 50 or 60 Hz (mains wanders, a recording's clock too) and the others must sit at its
multiples; hum is found when two lines agree (one of them among the first four) or one stands
out alone by ``LONE_LINE_DB`` (or ``LONE_FLOOR_DB`` in the quieter frames). A line that stands
out but for a louder line beside it (``_Line.flanked``: a bass playing the semitones either
side of the mains) counts only in a comb, where ``COMB_SUPPORT`` harmonics of the same
fundamental pass (mains hum is a comb, steady all along; a played note is one line), unless
it is held (``_Line.held``): far over its neighbourhood, kept in the stem's quieter ~4 s
frames (``FINE_FRAME``: their bins part it from the notes a semitone away, which the 1 s
frames' skirts mix in) and over its ring in the quieter 1 s frames. Over a bass that hides
the mains' own lines, ``MAINS_FREE_COMB`` passing harmonics with no common factor are hum
too (lines 2, 4, 6 are a note at twice the mains). A line bare in the quiet frames where the
part also plays on it (``_Line.bare_under_notes``: the long spectrum reads the notes with it,
so the quiet frames keep less of it) counts in such a comb too. Found hum must also be heard: the lines together, A-weighted, come within ``MIN_AUDIBLE_DB`` of the A-weighted stem where it plays, or
within ``EXPOSED_AUDIBLE_DB`` when the hum is most of what is left, under 2 kHz, in the
stem's quietest blocks (in the gaps it is heard bare, and a hi-hat's or a hiss's highs do not
mask it; fainter hum is inaudible).

The removal is ``hum_removal``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mixchat.dsp import fft
from mixchat.dsp.cleanup.dc import BLOCK_S as DC_BLOCK_S
from mixchat.dsp.cleanup.frames import FrameStream, hann
from mixchat.dsp.resampling import METER_PIECE_FRAMES, PiecewiseResampler
from mixchat.dsp.spill import Parked, Parts, Spill

DETECT_RATE_HZ = 4000
HIGHEST_HARMONIC_HZ = 1800.0
MAINS_HZ = (50.0, 60.0)
MAINS_TOLERANCE_HZ = 0.2  # the grids' steady-state limit (a recording's clock adds ppm)
FRAME = 4096  # samples at DETECT_RATE_HZ: about 1 s, 1 Hz apart
ANCHOR_HARMONICS = 4
ANCHOR_PEAKS = 3  # the loudest peaks tried as the anchor in each anchor window
HARMONIC_REACH_HZ = 0.03  # per harmonic number: how far a harmonic may sit off k * f0
RING_HZ = 8.0  # the neighbourhood a line is judged against, beyond ...
RING_INNER_HZ = 1.5  # ... this (and beyond 0.06 Hz per harmonic number: a wandering line)
LINE_PROMINENCE_DB = 12.0
ISOLATION_DB = 3.0
COMB_HZ = 3.0  # a tempo loop's lines are closer than this beyond the inner ring
COMB_SKIRT_HZ = 0.3  # a line's own skirt (and 0.06 Hz per harmonic number): no comb tooth
COMB_TEETH = 3
COMB_CLEAR_DB = 8.0  # a line stands this far over the comb through it
COMB_CANDIDATES = 3  # the spacings tried on each side
SKIRT_BINS = 16  # a strong line's window skirt reaches this far (8 bins unpadded: -70 dB)
STEADINESS = 0.7
LONE_STEADINESS = 0.8
STEADY_PERCENTILE = 20.0
LONE_LINE_DB = 20.0
FLOOR_RING_INNER_HZ = 3.0  # the quiet frames' bins are 1 Hz wide: the ring starts further out
FLOOR_LINE_DB = 12.0  # a line this far over its ring in the quiet frames is there all along ...
FLOOR_LINE_MIN_DB = 3.0  # ... so it need stand out only this far in the long spectrum
LONE_FLOOR_DB = 20.0
COHERENT_MAX = 1.15  # a line steady over the stem reads in the long spectrum what a frame reads
EXPOSED_AUDIBLE_DB = -85.0  # hum that makes up the stem's quiet passages is heard from here
EXPOSED_SHARE_DB = -3.0  # the hum against the stem's quietest blocks
QUIET_BLOCKS_PERCENTILE = 10.0
FAINT_LINE_DB = 6.0  # once hum is found, its fainter harmonics: how far the removal goes
FAINT_STEADINESS = 0.5
CRITICAL_BAND_HZ = 100.0  # the ear's band around a low line (a fifth of its frequency higher up)
QUIET_FRAME_ENBW = 1.5  # a Hann frame's bins: a noise's power reads 1.5 bins' worth in each
BARE_LINE_DB = -3.0  # a tone within 4 dB of its critical band's noise is heard (critical ratio)
MIN_AUDIBLE_DB = -70.0  # A-weighted hum against the A-weighted stem where it plays
LOW_HARMONICS = 2  # mains hum has its fundamental or a rectifier's second harmonic
COMB_SUPPORT = 2  # harmonics that pass: a comb, in which a flanked line counts too
MAX_SECONDS = 300.0
LONG_SEGMENT = 1 << 19  # samples at DETECT_RATE_HZ (131 s): a stretch of the long spectrum
DRIFT_SEGMENT = 1 << 16  # (16 s) the shorter stretches a wandering line holds still over
MAX_STEADY_FRAMES = 256  # the 1 s frames a line's steadiness is read in
FINE_FRAME = 1 << 14  # samples at DETECT_RATE_HZ: about 4 s, 0.24 Hz apart
FINE_TOP_HZ = 260.0  # the lines a bass's notes sit beside: read in the fine frames too
MAX_FINE_FRAMES = 64
MIN_FINE_FRAMES = 5
HELD_FLOOR_DB = 6.0  # a flanked line held in the fine frames: over its ring in the quiet ones
MAINS_FREE_COMB = 3  # lines that pass without the mains' own: hum whose low lines a bass hides
UNDER_NOTES_STEADINESS = 0.3  # a bare line the part also plays on: its share of the long line
PLAYING_BLOCK_S = DC_BLOCK_S  # the DC meter's blocks: a FaultMeter measures their powers once
A_WEIGHT_FRAME = 4096
A_WEIGHT_FRAMES = 64


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
    against_quiet_db: float = Field(
        default=-120.0,
        description="hum power against the stem's quiet passages (its quietest tenth) in the "
        "hum's band (under 2 kHz): near 0 dB, the hum is what is left in the gaps",
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
    comb_db: float
    floor_db: float
    bare_db: float
    fine_steadiness: float | None = None

    @property
    def faint(self) -> bool:
        return self.prominence_db >= FAINT_LINE_DB and self.steadiness >= FAINT_STEADINESS

    @property
    def stands_out(self) -> bool:
        """Steady and standing out in the long spectrum, clear of a tempo loop's comb."""
        return (
            self.steadiness >= STEADINESS
            and self.prominence_db >= LINE_PROMINENCE_DB
            and self.isolation_db >= ISOLATION_DB
            and self.comb_db >= COMB_CLEAR_DB
        )

    @property
    def passes(self) -> bool:
        """Stands out, or stands out in the quiet frames (in the stem's gaps, where the music
        leaves it bare), steady, and still shows a little in the long spectrum, or is held
        beside louder notes (``held``)."""
        return (
            self.stands_out
            or (
                self.steadiness >= STEADINESS
                and self.floor_db >= FLOOR_LINE_DB
                and self.prominence_db >= FLOOR_LINE_MIN_DB
            )
            or self.held
        )

    @property
    def held(self) -> bool:
        """Flanked by louder notes (a bass's semitones either side of the mains) yet held:
        LONE_LINE_DB over its neighbourhood in the long spectrum, kept in the quieter ~4 s
        frames (whose bins part it from the notes a semitone away, where the 1 s frames'
        skirts mix them in) and over its ring in the quieter 1 s frames (HELD_FLOOR_DB: a
        bass's own held note, with its neighbours' skirts, is not)."""
        return (
            self.flanked
            and self.prominence_db >= LONE_LINE_DB
            and self.fine_steadiness is not None
            and self.fine_steadiness >= LONE_STEADINESS
            and self.floor_db >= HELD_FLOOR_DB
        )

    @property
    def flanked(self) -> bool:
        """Stands out but for a louder line beside it (a bass playing the semitones either
        side of the mains): steady, far over its neighbourhood, clear of a tempo comb and over
        its ring in the quiet frames too. It counts only in a comb (``_in_comb``)."""
        return (
            self.steadiness >= STEADINESS
            and self.prominence_db >= LINE_PROMINENCE_DB
            and self.comb_db >= COMB_CLEAR_DB
            and self.floor_db >= FLOOR_LINE_MIN_DB
        )

    @property
    def bare_under_notes(self) -> bool:
        """Bare in the quiet frames (FLOOR_LINE_DB over its ring there) and showing a little
        in the long spectrum, clear of its neighbours, where the part also plays on the line
        (a bass's notes at the mains' multiples): the long spectrum reads the notes with it,
        so the quiet frames keep a smaller share of it (UNDER_NOTES_STEADINESS, not
        STEADINESS). Such a line counts only in a mains comb of them (``_in_comb``)."""
        return (
            not self.passes
            and self.steadiness >= UNDER_NOTES_STEADINESS
            and self.floor_db >= FLOOR_LINE_DB
            and self.prominence_db >= FLOOR_LINE_MIN_DB
            and self.isolation_db >= ISOLATION_DB
        )

    @property
    def lone(self) -> bool:
        """Stands out enough to be hum without a second line: far over its neighbourhood, or
        bare in the gaps (``bare``)."""
        return (
            self.bare
            or self.held
            or (
                self.steadiness >= LONE_STEADINESS
                and (self.prominence_db >= LONE_LINE_DB or self.floor_db >= LONE_FLOOR_DB)
            )
        )

    @property
    def bare(self) -> bool:
        """Bare in the quiet frames (FLOOR_LINE_DB over its ring there), showing in the long
        spectrum (FAINT_LINE_DB, clear of its neighbours) and coherent over the whole stem: it
        reads there what it reads in the frames, as a line of one unbroken phase does (a note
        played again and again starts each time with a new phase and reads less there)."""
        return (
            LONE_STEADINESS <= self.steadiness <= COHERENT_MAX
            and self.floor_db >= FLOOR_LINE_DB
            and self.prominence_db >= FAINT_LINE_DB
            and self.isolation_db >= ISOLATION_DB
        )


class _Spectra:
    """The long spectrum and the frames' quieter levels of the decimated channel mean, in
    amplitude (a sinusoid of amplitude a reads a at its peak)."""

    def __init__(
        self,
        amplitude: np.ndarray,
        bin_hz: float,
        quiet: np.ndarray,
        fine: np.ndarray | None = None,
    ) -> None:
        self.fine = fine
        self.amplitude = amplitude
        self.level = 20.0 * np.log10(self.amplitude + 1e-15)
        self.bin_hz = bin_hz
        self.quiet = quiet
        self.quiet_level = 20.0 * np.log10(quiet + 1e-7)  # -140 dB: digital silence
        self.quiet_power = np.square(quiet.astype(np.float64)) / 2.0
        self.frame_bin_hz = DETECT_RATE_HZ / FRAME

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
            comb_db=level - self._comb_level(harmonic, index),
            floor_db=self._floor_db(frame_index, inner),
            bare_db=self._bare_db(frame_index),
            fine_steadiness=self._fine_steadiness(index, amplitude),
        )

    def _fine_steadiness(self, index: int, amplitude: float) -> float | None:
        """The line's level in the quieter fine frames against its long-term amplitude, for a
        line low enough to be read there (None above FINE_TOP_HZ or on a short stem)."""
        freq_hz = index * self.bin_hz
        if self.fine is None or freq_hz >= FINE_TOP_HZ:
            return None
        fine_index = int(round(freq_hz * FINE_FRAME / DETECT_RATE_HZ))
        return float(self.fine[fine_index]) / max(amplitude, 1e-15)

    def _bare_db(self, frame_index: int) -> float:
        """The line's power in the quiet frames over the rest of its critical band's there:
        at 0 dB and over, nothing in the quiet passages masks it (a hi-hat's highs do not)."""
        freq_hz = frame_index * self.frame_bin_hz
        half = int(max(CRITICAL_BAND_HZ, 0.2 * freq_hz) / 2.0 / self.frame_bin_hz)
        own = int(FLOOR_RING_INNER_HZ / self.frame_bin_hz)
        power = self.quiet_power
        band = power[max(frame_index - half, 0) : frame_index + half + 1].sum()
        line = power[frame_index]
        rest = band - power[max(frame_index - own, 0) : frame_index + own + 1].sum()
        return 10.0 * math.log10(max(line, 1e-30) / max(rest / QUIET_FRAME_ENBW, 1e-30))

    def _floor_db(self, frame_index: int, inner_hz: float) -> float:
        """The line's level in the quiet frames over the median of their ring around it."""
        lo = max(int(max(inner_hz, FLOOR_RING_INNER_HZ) / self.frame_bin_hz), 1)
        hi = int((inner_hz + RING_HZ) / self.frame_bin_hz)
        left = self.quiet_level[max(frame_index - hi, 0) : max(frame_index - lo + 1, 0)]
        ring = np.concatenate([left, self.quiet_level[frame_index + lo : frame_index + hi]])
        return float(self.quiet_level[frame_index] - np.median(ring)) if ring.size else 0.0

    def _comb_level(self, harmonic: int, index: int) -> float:
        """The level of an evenly spaced comb through the line, if there is one: the median,
        at 1 to COMB_TEETH spacings either way, of the level there, for the spacing (to one of
        the COMB_CANDIDATES strongest peaks on either side within COMB_HZ beyond the line's own
        skirt) that makes the strongest comb. A loop repeated at the tempo has a line every
        beat, as strong as this one; hum's lines are f0 apart, and around them the spectrum
        is the music's."""
        skirt = max(COMB_SKIRT_HZ, 0.06 * harmonic, SKIRT_BINS * self.bin_hz)
        lo = max(int(skirt / self.bin_hz), 1)
        hi = int((skirt + COMB_HZ) / self.bin_hz)
        if index - hi < 0 or index + hi + 1 > self.level.size:
            return -np.inf
        spacings = []
        for side in (
            self.level[index - hi : index - lo + 1][::-1],
            self.level[index + lo : index + hi],
        ):
            peaks = np.flatnonzero((side[1:-1] >= side[:-2]) & (side[1:-1] > side[2:])) + 1
            strongest = peaks[np.argsort(side[peaks])[::-1][:COMB_CANDIDATES]]
            spacings += [lo + int(p) for p in strongest]
        best = -np.inf
        for spacing in spacings:
            teeth = []
            for j in range(1, COMB_TEETH + 1):
                reach = 2 + j
                for centre in (index - j * spacing, index + j * spacing):
                    part = self.level[max(centre - reach, 0) : centre + reach + 1]
                    if part.size:
                        teeth.append(float(part.max()))
            if teeth:
                best = max(best, float(np.median(teeth)))
        return best

    def harmonics_of(self, f0: float, *, faint: bool = False) -> list[_Line]:
        """The passing line nearest each harmonic of ``f0``, up to HIGHEST_HARMONIC_HZ, flanked
        ones too where they are in a comb (``_in_comb``) (``faint``: lines that only stand
        FAINT_LINE_DB out and hold FAINT_STEADINESS)."""
        lines = []
        for k in range(1, int(HIGHEST_HARMONIC_HZ // f0) + 1):
            reach = HARMONIC_REACH_HZ * k + 2.0 * self.bin_hz
            candidates = [self.line(k, i) for i in self.peaks(k * f0 - reach, k * f0 + reach, 2)]
            passing = [
                c
                for c in candidates
                if (c.faint if faint else c.passes or c.flanked or c.bare_under_notes)
            ]
            if passing:
                lines.append(max(passing, key=lambda c: (c.passes, c.prominence_db)))
        return lines if faint else _in_comb(lines)


def _in_comb(lines: list[_Line]) -> list[_Line]:
    """``lines`` without the flanked ones (``_Line.flanked``) unless COMB_SUPPORT lines pass
    at the same fundamental's multiples: mains hum is a comb of harmonics, steady all along;
    a played note is one line, and it comes and goes. Lines bare only under the part's notes
    (``_Line.bare_under_notes``) stay where they make, with the passing ones, a mains comb
    (``_is_mains_comb``): a bass's notes come and go on a line or two, hum is bare on many."""
    kept = [line for line in lines if not line.bare_under_notes]
    if sum(line.passes for line in kept) < COMB_SUPPORT:
        kept = [line for line in kept if line.passes]
    with_bare = [line for line in lines if line.passes or line.bare_under_notes]
    if len(with_bare) > sum(line.passes for line in lines) and _is_mains_comb(with_bare):
        return sorted({*kept, *with_bare}, key=lambda line: line.harmonic)
    return kept


def _is_mains_comb(lines: list[_Line]) -> bool:
    """MAINS_FREE_COMB lines or more whose harmonic numbers share no factor (lines 2, 4, 6
    are a note at twice the mains)."""
    numbers = [line.harmonic for line in lines]
    return len(numbers) >= MAINS_FREE_COMB and math.gcd(*numbers) == 1


def _mains_line(line: _Line) -> bool:
    """The mains' own line (the fundamental or the second) stands out in the long spectrum,
    or is bare in the quiet frames, or is flanked in a comb (``_in_comb`` kept it)."""
    return line.harmonic <= LOW_HARMONICS and (
        line.stands_out or line.bare or line.held or not line.passes
    )


def _mains_comb(lines: list[_Line]) -> bool:
    """MAINS_FREE_COMB passing lines (or lines bare under the part's notes that ``_in_comb``
    kept) whose harmonic numbers share no factor: hum whose own low lines a bass hides (its
    notes cover 50-120 Hz) still shows as the mains' comb above them; a note at a multiple
    of the mains (lines 2, 4, 6: a note at 100 Hz) does not make one."""
    return _is_mains_comb([line for line in lines if line.passes or line.bare_under_notes])


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
                if not (anchor.passes or anchor.flanked or anchor.bare_under_notes):
                    continue
                lines = spectra.harmonics_of(anchor.freq_hz / k)
                # a set with the mains' own lines beats any set without them
                low = any(_mains_line(line) for line in lines)
                score = sum(line.prominence_db for line in lines) + (1e6 if low else 0.0)
                if score > best_score:
                    best, best_score = lines, score
    return best


def _fundamental(lines: list[_Line]) -> float:
    """Each line's frequency over its harmonic number, weighted by the number (the higher,
    the finer the estimate) and by the line's amplitude; from the lines that stand out in
    the long spectrum (a faint one read only in the quiet frames is off by a music line's
    pull), if any do, else from the passing ones (a line bare only under the part's notes
    reads the notes' frequency with it there)."""
    lines = (
        [line for line in lines if line.stands_out]
        or [line for line in lines if line.passes]
        or lines
    )
    weights = [line.harmonic * line.amplitude for line in lines]
    return float(np.average([line.freq_hz / line.harmonic for line in lines], weights=weights))


def a_weighting_db(freq_hz: np.ndarray) -> np.ndarray:
    """IEC 61672 A-weighting (0 dB at 1 kHz)."""
    f2 = np.square(np.maximum(np.asarray(freq_hz, dtype=np.float64), 1e-3))
    gain = (12194.0**2 * f2**2) / (
        (f2 + 20.6**2) * np.sqrt((f2 + 107.7**2) * (f2 + 737.9**2)) * (f2 + 12194.0**2)
    )
    return 20.0 * np.log10(gain) + 2.0


@lru_cache(maxsize=4)
def _a_weights(sample_rate: int) -> np.ndarray:
    """The A-weighting's power gain at each bin of an A_WEIGHT_FRAME-point spectrum, made
    once per rate (read-only, as it is shared)."""
    freqs = np.fft.rfftfreq(A_WEIGHT_FRAME, 1.0 / sample_rate)
    weights = 10.0 ** (a_weighting_db(freqs) / 10.0)
    weights.flags.writeable = False
    return weights


def _top_bin(size: int) -> int:
    """The bins of a ``size``-point spectrum at DETECT_RATE_HZ that reach past the highest
    harmonic looked at."""
    return int(HIGHEST_HARMONIC_HZ * 1.1 * size / DETECT_RATE_HZ) + 2


class _LongSpectrum:
    """The long spectrum's power, fed the decimated channel mean a block at a time: averaged
    over stretches of ``segment`` samples, half overlapping, the last one ending where the
    stem ends (memory holds one stretch, whatever the stem's length). A stem shorter than a
    stretch is one stretch of its own length: one coherent spectrum of the whole."""

    def __init__(self, segment: int = LONG_SEGMENT) -> None:
        self.segment = segment
        self._chunks: list[np.ndarray] = []  # the pushed samples from ``_start`` on
        self._start = 0  # where the first chunk starts in the decimated stem
        self._length = 0
        self._next = 0  # where the next stretch starts
        self._taken_to = 0  # where the last stretch taken ends
        self._power: np.ndarray | None = None
        self._count = 0
        self.bin_hz = 1.0
        self._window: np.ndarray | None = None  # the stretches' Hann window, while they come

    def _window_of(self, length: int) -> np.ndarray:
        """``np.hanning(length)``, made once for the stretches of one stem (up to 4 MB: let go
        once the spectrum is read, so the stems measured one after another do not keep it)."""
        if self._window is None or self._window.size != length:
            self._window = np.hanning(length)
        return self._window

    def push(self, low: np.ndarray) -> None:
        self._chunks.append(low)
        self._length += low.size
        while self._next + self.segment <= self._length:
            self._take(self._next, self._next + self.segment)
            self._taken_to = self._next + self.segment
            self._next += self.segment // 2
        keep_from = max(self._length - self.segment, self._start)  # all a stretch still needs
        while self._chunks and self._start + self._chunks[0].size <= keep_from:
            self._start += self._chunks.pop(0).size

    def _take(self, start: int, stop: int) -> None:
        """Add the power spectrum of the samples ``start .. stop`` (within what is kept),
        Hann-windowed straight from the chunks and zero-padded to twice their length."""
        window = self._window_of(stop - start)
        size = fft.next_fast_len(2 * window.size, real=True)
        windowed = np.zeros(size)  # zero-padded here, as rfft(n=size) would pad a copy
        at = self._start
        for chunk in self._chunks:
            lo, hi = max(start, at), min(stop, at + chunk.size)
            if lo < hi:
                part = slice(lo - start, hi - start)
                np.multiply(chunk[lo - at : hi - at], window[part], out=windowed[part])
            at += chunk.size
        scale = window.sum() / 2.0
        del window
        spectrum = fft.rfft(windowed)
        del windowed
        power = np.abs(spectrum[: _top_bin(size)])
        del spectrum
        power /= scale
        np.square(power, out=power)
        if self._power is None:
            self._power = power
        else:
            self._power += power
        self._count += 1
        self.bin_hz = DETECT_RATE_HZ / size

    @property
    def length(self) -> int:
        return self._length

    def amplitude(self) -> np.ndarray:
        if self._count == 0:
            self._take(self._start, self._length)
        elif self._taken_to < self._length:
            self._take(self._length - self.segment, self._length)
        assert self._power is not None
        self._window = None
        return np.sqrt(self._power / self._count)


class _SteadyFrames:
    """Each ``frame``'s amplitude spectrum of the decimated channel mean (half overlapping, or
    spread further apart so at most ``most`` cover the stem), up to ``top_hz``, widened over
    three bins (a line between two bins, or wandering, still reads its level in one of them).
    1 s frames by default; FINE_FRAME's tell a low line from the notes a semitone beside it."""

    def __init__(
        self,
        expected: int,
        *,
        frame: int = FRAME,
        most: int = MAX_STEADY_FRAMES,
        top_hz: float = HIGHEST_HARMONIC_HZ * 1.1,
    ) -> None:
        hop = frame // 2
        stride = -(-max((expected - frame) // hop + 1, 1) // most)
        self._frames = FrameStream(frame, stride * hop)
        self._window = hann(frame)
        self._top = int(top_hz * frame / DETECT_RATE_HZ) + 2
        self._levels: list[np.ndarray] = []

    def push(self, low: np.ndarray) -> None:
        frames = self._frames.push(low)
        if frames.shape[0]:
            framed = np.abs(fft.rfft(frames * self._window, axis=-1)[:, : self._top])
            framed /= self._window.sum() / 2.0
            widened = framed.copy()  # each bin's level, or its neighbour's if louder
            np.maximum(widened[:, 1:], framed[:, :-1], out=widened[:, 1:])
            np.maximum(widened[:, :-1], framed[:, 1:], out=widened[:, :-1])
            self._levels.append(widened.astype(np.float32))

    def quiet(self, *, at_least: int = 1) -> np.ndarray | None:
        """Per bin, the level the frames keep in all but their quietest STEADY_PERCENTILE
        (None under ``at_least`` frames)."""
        if sum(len(levels) for levels in self._levels) < at_least:
            return None
        return np.percentile(np.concatenate(self._levels), STEADY_PERCENTILE, axis=0)


class _Audibility:
    """What the hum is heard against: the stem's mean power over the 50 ms blocks where it
    plays (above -90 dBFS), and the share of its power A-weighting keeps (from at most
    A_WEIGHT_FRAMES frames spread over the stem). ``block_powers``: those blocks' powers as
    another meter measures them from the same blocks (the DC meter's), not measured again."""

    def __init__(
        self,
        *,
        sample_rate: int,
        frames: int,
        spill: Spill | None = None,
        block_powers: Parts | None = None,
    ) -> None:
        self._blocks = (
            FrameStream(max(1, int(PLAYING_BLOCK_S * sample_rate)))
            if block_powers is None
            else None
        )
        self._block_powers = Parts(spill=spill) if block_powers is None else block_powers
        self._low_blocks = FrameStream(max(1, int(PLAYING_BLOCK_S * DETECT_RATE_HZ)))
        self._low_block_powers: list[np.ndarray] = []
        hop = max(A_WEIGHT_FRAME, (frames - A_WEIGHT_FRAME) // (A_WEIGHT_FRAMES - 1))
        self._spread = FrameStream(A_WEIGHT_FRAME, hop)
        self._window = hann(A_WEIGHT_FRAME)
        self._weights = _a_weights(sample_rate)
        self._weighted: list[np.ndarray] = []
        self._total: list[np.ndarray] = []

    def push(self, audio: np.ndarray, mono: np.ndarray) -> None:
        if self._blocks is not None:
            framed = self._blocks.push(audio)
            if framed.shape[1]:
                channels, _, size = framed.shape
                power = np.einsum("cbs,cbs->b", framed, framed, dtype=np.float64)
                self._block_powers.append(power / (channels * size))
        frames = self._spread.push(mono)
        if frames.shape[0]:
            spectrum = fft.rfft(frames * self._window, axis=-1)
            power = np.square(np.abs(spectrum))
            self._weighted.append(power @ self._weights)
            self._total.append(power.sum(axis=1))

    def settle(self, spill: Spill | None = None) -> None:
        """The stem has been fed to its end (``push_low`` may still come): each measure
        joined into one array (the block powers parked in ``spill``, if given), the partial
        blocks and frames let go."""
        if self._blocks is not None:  # else the meter that measures them parks them
            self._blocks.end()
            self._block_powers.park(spill)
        self._spread.end()
        for parts in (self._weighted, self._total):
            if len(parts) > 1:
                parts[:] = [np.concatenate(parts)]

    def push_low(self, low: np.ndarray) -> None:
        """The channel mean decimated to DETECT_RATE_HZ: the band the hum lives in."""
        framed = self._low_blocks.push(low)
        if framed.shape[0]:
            self._low_block_powers.append(np.mean(np.square(framed), axis=1))

    def _powers(self) -> np.ndarray:
        return self._block_powers.joined() if self._block_powers else np.zeros(0)

    def playing_power(self) -> float:
        powers = self._powers()
        playing = powers[powers > 1e-9]
        return float(playing.mean()) if playing.size else 0.0

    def quiet_power(self) -> float:
        """The power, in the hum's band (under DETECT_RATE_HZ / 2), of the stem's quiet
        passages: its quietest blocks' (silent ones too). What sounds there above the band
        (a hi-hat's, a noise floor's hiss) does not mask hum."""
        if not self._low_block_powers:
            return 0.0
        powers = np.concatenate(self._low_block_powers)
        return float(np.percentile(powers, QUIET_BLOCKS_PERCENTILE))

    def a_weighted_share(self) -> float:
        if not self._total:
            return 1.0
        total = float(np.concatenate(self._total).sum())
        return float(np.concatenate(self._weighted).sum()) / max(total, 1e-30)


class HumMeter:
    """Hum detection fed block by block: the channel mean decimated to DETECT_RATE_HZ as a
    stream (the same samples as one resample of the whole), its long spectrum and 1 s frames
    (``_LongSpectrum``, ``_SteadyFrames``) and what the hum is heard against. A ``spill``
    (many stems fed side by side) keeps the decimated stream in a temporary file and analyses
    it in ``result``: the long spectrum's stretch and sums (about 8 MB) are held only then,
    one stem at a time, not for every stem at once. ``block_powers``: the stem's 50 ms
    block powers as the DC meter measures them (``DcMeter.block_powers``), fed beside it."""

    def __init__(
        self,
        *,
        sample_rate: int,
        frames: int,
        spill: Spill | None = None,
        block_powers: Parts | None = None,
    ) -> None:
        self.sample_rate = sample_rate
        self._spill = spill
        self._spilled: list[Parked] = []  # the decimated stream's pieces, as they came
        self._limit = int(MAX_SECONDS * sample_rate)
        self._stream: PiecewiseResampler | None = PiecewiseResampler(
            sample_rate,
            DETECT_RATE_HZ,
            1,
            dtype="float32",
            quality="MQ",
            piece_frames=METER_PIECE_FRAMES,
        )
        self._frames = 0
        self._long = _LongSpectrum()
        self._drift = _LongSpectrum(DRIFT_SEGMENT)
        expected = int(min(frames, self._limit) * DETECT_RATE_HZ / sample_rate)
        self._steady = _SteadyFrames(expected)
        self._expected = expected
        self._fine: _SteadyFrames | None = None  # made once the decimated stream is read
        self._audibility = _Audibility(
            sample_rate=sample_rate, frames=frames, spill=spill, block_powers=block_powers
        )

    def feed(self, audio: np.ndarray, mono: np.ndarray) -> None:
        """``audio`` (channels, n) and its channel mean."""
        self._audibility.push(audio, mono)
        part = mono[: max(self._limit - self._frames, 0)]
        self._frames += mono.size
        if part.size:
            if self._stream is None:
                raise ValueError("HumMeter fed after settle(): the stem had ended")
            self._push_low(self._stream.resample(part))

    def settle(self) -> None:
        """Fed to the end: the resampler's last samples go where the stream went and the
        resampler is let go, with the partial blocks the measures wait on."""
        self._flush()
        self._audibility.settle(self._spill)

    def _flush(self) -> None:
        """The resampler's last samples go where the stream went; the resampler is let go."""
        if self._stream is not None:
            self._push_low(self._stream.resample(np.zeros(0, np.float32), last=True))
            self._stream = None

    def _push_low(self, low: np.ndarray) -> None:
        if self._spill is not None:
            self._spilled.append(self._spill.put(np.asarray(low, dtype=np.float32)))
        else:
            self._analyse_low(low)

    def _analyse_low(self, low32: np.ndarray) -> None:
        low = low32.astype(np.float64)
        self._audibility.push_low(low)
        self._long.push(low32)  # kept as it came (half the memory), windowed in float64
        self._drift.push(low32)
        self._steady.push(low)
        if self._fine is None:
            self._fine = _SteadyFrames(
                self._expected, frame=FINE_FRAME, most=MAX_FINE_FRAMES, top_hz=FINE_TOP_HZ
            )
        self._fine.push(low)

    def result(self) -> HumFinding:
        if self._frames < 2 * self.sample_rate:  # too short to tell a steady line from a note
            return HumFinding(found=False)
        self._flush()
        if self._spill is not None:
            for parked in self._spilled:
                self._analyse_low(self._spill.get(parked))
            self._spill, self._spilled = None, []
        return self._finding()

    def _finding(self) -> HumFinding:
        """The judgement on the whole stem's spectra, once all of it is fed: read in the long
        spectrum (a steady line gains most over the music there) and, on a stem longer than
        DRIFT_SEGMENT, in the average of shorter stretches (a wandering line, smeared over
        the long spectrum's fine bins, holds still over them); found in either."""
        quiet = self._steady.quiet()
        if quiet is None:
            return HumFinding(found=False)
        fine = None if self._fine is None else self._fine.quiet(at_least=MIN_FINE_FRAMES)
        long = self._judged(_Spectra(self._long.amplitude(), self._long.bin_hz, quiet, fine))
        if long.found or self._drift.length <= DRIFT_SEGMENT:
            return long
        drift = self._judged(_Spectra(self._drift.amplitude(), self._drift.bin_hz, quiet, fine))
        return drift if drift.found else long

    def _judged(self, spectra: _Spectra) -> HumFinding:
        lines = _best_lines(spectra)
        if not lines:
            return HumFinding(found=False)
        f0 = _fundamental(lines)
        faint = [line.harmonic for line in spectra.harmonics_of(f0, faint=True)]
        powers = np.array([line.amplitude**2 / 2.0 for line in lines])
        level = 10.0 * math.log10(max(float(powers.sum()), 1e-20))
        stem = max(self._audibility.playing_power(), 1e-20)
        against = level - 10.0 * math.log10(stem)
        weights = 10.0 ** (a_weighting_db(np.array([line.freq_hz for line in lines])) / 10.0)
        heard = float((powers * weights).sum()) / (stem * self._audibility.a_weighted_share())
        heard_db = 10.0 * math.log10(max(heard, 1e-20))
        # in the gaps the hum is bare: heard when it is most of what is left there
        gaps_db = 10.0 * math.log10(
            max(float(powers.sum()), 1e-30) / max(self._audibility.quiet_power(), 1e-30)
        )
        bare = gaps_db >= EXPOSED_SHARE_DB or any(line.bare_db >= BARE_LINE_DB for line in lines)
        exposed = heard_db >= EXPOSED_AUDIBLE_DB and bare
        audible = heard_db >= MIN_AUDIBLE_DB or exposed
        # the mains' own line must stand out in the long spectrum: the quiet frames confirm
        low_line = any(_mains_line(line) for line in lines)
        comb = _mains_comb(lines)
        found = (low_line or comb) and audible and (len(lines) >= 2 or lines[0].lone)
        return HumFinding(
            found=bool(found),
            fundamental_hz=round(f0, 3),
            harmonics=[line.harmonic for line in lines],
            prominence_db=[round(line.prominence_db, 1) for line in lines],
            steadiness=[round(line.steadiness, 2) for line in lines],
            level_dbfs=round(level, 2),
            against_stem_db=round(against, 2),
            heard_against_stem_db=round(heard_db, 2),
            against_quiet_db=round(gaps_db, 2),
            faint_harmonics=faint,
        )


def detect_hum(audio: np.ndarray, *, sample_rate: int) -> HumFinding:
    channels = np.atleast_2d(np.asarray(audio, dtype=np.float32))
    meter = HumMeter(sample_rate=sample_rate, frames=channels.shape[1])
    meter.feed(channels, channels.mean(axis=0))
    return meter.result()


def highest_to_remove_hz(
    fundamental_hz: float, harmonics: list[int], *, judged: list[int] | tuple[int, ...] = ()
) -> float:
    """Half again over the highest harmonic of the run the found lines make from the
    fundamental up (every harmonic up to it, at least half of them found: a lone high line
    can be the music's), at least the fourth, and at least the highest of the sparser run
    that ``judged`` makes (the lines the finding itself judged hum, on their own or in its
    comb, not the faint ones: at least a third of the harmonics up to it; a comb of lines
    3, 5 and 7 over a bass is hum up to the 7th): above the lines that stand out, a notch
    would take more music than hum."""
    found = set(harmonics)
    run = max([k for k in sorted(found) if 2 * sum(1 for j in found if j <= k) >= k], default=1)
    judged_run = max(
        [k for k in sorted(set(judged)) if 3 * sum(1 for j in set(judged) if j <= k) >= k],
        default=1,
    )
    top = max(ANCHOR_HARMONICS, math.ceil(1.5 * run), judged_run)
    return float(min(max(top * fundamental_hz + 0.5 * fundamental_hz, 100.0), 4000.0))
