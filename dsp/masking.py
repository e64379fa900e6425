"""Who masks whom, where: pairwise band-by-band masking between stems.

Each stem is measured once (``stem_bands``): the power of its mono sum in 24 log-spaced
bands from 30 Hz to 16 kHz, every ~23 ms. Bands under 900 Hz come from a signal decimated
8 times (overlapping 93 ms Hann windows, 10.8 Hz resolution at 44.1 kHz), the rest from
back-to-back 23 ms Tukey windows at the full rate, on one shared frame grid. Pairwise comparisons then work on these small arrays.

Two stems conflict in a band at a moment when both are active there, their levels are within
``CLOSE_DB`` of each other and together they carry a real share of the mix in that band.
Adjacent conflicting bands merge into a range; the masker is the louder stem in the range,
except that a lead vocal is always the masked one (the part the listener follows).
"""

from __future__ import annotations

from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import soxr
from pydantic import BaseModel, ConfigDict, Field

from mixchat.dsp import fft
from mixchat.dsp.audio_io import NpyReader
from mixchat.dsp.errors import StateError
from mixchat.dsp.iir import tukey
from mixchat.dsp.spectrum import FLOOR_DB, mono_sum, power_db
from mixchat.dsp.threads import pool_size

N_BANDS = 24
LOW_HZ, HIGH_HZ = 30.0, 16000.0
SPLIT_HZ = 900.0  # bands centred below this use the decimated, finer-resolution path
DECIMATE = 8
BASE_HOP_S = 1024 / 44100
TUKEY_ALPHA = 0.5  # full-rate frames do not overlap: a flat-topped window covers the hop
ACTIVE_BELOW_LOUD_DB = 35.0  # a band is active within this many dB of the stem's loud level
ACTIVE_FLOOR_DB = -80.0
CLOSE_DB = 6.0
RELEVANT_BELOW_MIX_DB = 10.0  # the pair must carry at least 10 % of the mix power in the band
MIN_OVERLAP = 0.10  # a band joins a conflict when the pair conflicts there 10 % of the time
MAX_RANGE_OCTAVES = 2.0
_FRAMES_PER_CHUNK = 1024
_PAIR_CHUNK = 2048  # frames compared at a time (about 47 s): memory does not grow with length
_PAIR_BATCH = 8  # stems one stem is compared with at a time

ROLE_IMPORTANCE = {  # roles as mixchat.dsp.roles.ROLES names them
    "vocal": 1.0,
    "kick": 0.9,
    "snare": 0.85,
    "bass": 0.85,
    "drums": 0.75,
    "backing_vocal": 0.7,
    "lead": 0.7,
    "guitar": 0.6,
    "keys": 0.6,
    "brass": 0.6,
    "toms": 0.6,
    "synth": 0.55,
    "strings": 0.55,
    "hats": 0.5,
    "percussion": 0.5,
    "overheads": 0.5,
    "pad": 0.4,
    "fx": 0.3,
}
DEFAULT_IMPORTANCE = 0.5


class MaskingConflict(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    masker: str
    masked: str
    low_hz: float
    high_hz: float
    severity: float = Field(ge=0.0, le=1.0)
    overlap_pct: float = Field(ge=0.0, le=100.0)
    masker_excess_db: float = Field(description="masker level minus masked level in the range")
    priority: float = Field(ge=0.0, description="severity weighted by the masked part's role")
    summary: str


@dataclass(frozen=True)
class StemBands:
    """One stem's band levels on the shared grid: ``levels_db`` is (bands, frames)."""

    edges_hz: np.ndarray
    power: np.ndarray
    levels_db: np.ndarray
    active: np.ndarray


def range_weights(edges_hz: np.ndarray, *, low_hz: float, high_hz: float) -> np.ndarray:
    """Each band's share (in octaves) inside ``low_hz`` .. ``high_hz``."""
    edges = np.log2(edges_hz)
    lo, hi = np.log2(max(low_hz, 1.0)), np.log2(max(high_hz, 1.0))
    inside = np.clip(np.minimum(edges[1:], hi) - np.maximum(edges[:-1], lo), 0.0, None)
    return inside / np.diff(edges)


def range_level_db(bands: StemBands, *, low_hz: float, high_hz: float) -> float:
    """Mean power (dB) of a stem between ``low_hz`` and ``high_hz`` over its frames, each
    band counted by the part of it (in octaves) inside the range."""
    weights = range_weights(bands.edges_hz, low_hz=low_hz, high_hz=high_hz)
    if not bands.power.shape[1] or not weights.any():
        return FLOOR_DB
    power = float(weights @ bands.power.mean(axis=1, dtype=np.float64))
    return float(power_db(power)) if power > 0 else FLOOR_DB


def band_edges_hz() -> np.ndarray:
    return np.geomspace(LOW_HZ, HIGH_HZ, N_BANDS + 1)


def frame_hop(sample_rate: float) -> int:
    """Samples per band frame (1024 at 44.1 and 48 kHz)."""
    return _frame_grid(sample_rate)[0]


def _frame_grid(sample_rate: float) -> tuple[int, int]:
    """(hop, decimated FFT size): the hop is a power of two (1024 at 44.1 and 48 kHz) and
    is also the full-rate FFT size; decimated frames span 4 hops (93 ms at 44.1 kHz)."""
    hop = 1 << max(DECIMATE.bit_length(), int(np.round(np.log2(BASE_HOP_S * sample_rate))))
    return hop, hop // 2


@lru_cache(maxsize=16)
def _pooling(n_fft: int, sample_rate: float, low_path: bool) -> tuple[np.ndarray, np.ndarray]:
    """(band indices, reduceat indices) of the bands this path measures; every band gets
    at least one bin, bands above Nyquist none (they read as silence)."""
    edges = band_edges_hz()
    centres = np.sqrt(edges[:-1] * edges[1:])
    bands = np.flatnonzero(centres < SPLIT_HZ) if low_path else np.flatnonzero(centres >= SPLIT_HZ)
    freqs = np.fft.rfftfreq(n_fft, d=1.0 / sample_rate)
    bands = bands[edges[bands] < freqs[-1]]
    starts = np.searchsorted(freqs, edges[bands])
    stops = np.maximum(np.searchsorted(freqs, edges[bands + 1]), starts + 1)
    starts = np.minimum(starts, stops - 1)
    if np.any(starts[1:] < stops[:-1]):
        starts[1:] = np.maximum(starts[1:], stops[:-1])
        stops = np.maximum(stops, starts + 1)
    indices = np.concatenate([starts, stops[-1:]]) if stops[-1] < freqs.size else starts
    return bands, indices


@lru_cache(maxsize=8)
def _frame_window(n_fft: int, hop: int) -> tuple[np.ndarray, np.float32]:
    window = (np.hanning(n_fft) if n_fft > hop else tukey(n_fft, TUKEY_ALPHA)).astype(np.float32)
    return window, np.float32(2.0 / (n_fft * float(np.sum(window**2))))


def band_frame_powers(
    view: np.ndarray, *, n_fft: int, hop: int, pool: np.ndarray, bands: int
) -> np.ndarray:
    """Mean-square power (bands, frames) of (frames, n_fft) windows of a signal cut every
    ``hop``; ``pool`` holds the reduceat indices of the bands' FFT bins."""
    window, scale = _frame_window(n_fft, hop)
    out = np.empty((bands, view.shape[0]), dtype=np.float32)
    for start in range(0, view.shape[0], _FRAMES_PER_CHUNK):
        chunk = view[start : start + _FRAMES_PER_CHUNK] * window
        parts = fft.rfft(chunk, overwrite_x=True).view(np.float32)
        parts *= parts
        power = parts[:, 0::2] + parts[:, 1::2]
        pooled = np.add.reduceat(power, pool, axis=1)[:, :bands]
        out[:, start : start + chunk.shape[0]] = pooled.T * scale
    return out


def _band_powers(
    signal: np.ndarray, *, n_fft: int, hop: int, frames: int, pool: np.ndarray, bands: int
) -> np.ndarray:
    """Mean-square power (bands, frames), windows centred on ``(k + 0.5) * hop``; ``pool``
    holds the reduceat indices of the bands' FFT bins. Pads (copies) only when it must."""
    head = max(0, (n_fft - hop) // 2)
    tail = max(0, (frames - 1) * hop + n_fft - head - signal.size)
    padded = np.pad(signal, (head, tail)) if head or tail else signal
    view = np.lib.stride_tricks.sliding_window_view(padded, n_fft)[::hop][:frames]
    return band_frame_powers(view, n_fft=n_fft, hop=hop, pool=pool, bands=bands)


def band_energy_frames(audio: np.ndarray, *, sample_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """``(edges_hz, frames_db)``: band edges (25) and the mono sum's power in dB per band
    (24 rows) and frame (one every ~23 ms)."""
    bands = stem_bands(audio, sample_rate=sample_rate)
    return bands.edges_hz, bands.levels_db


def stem_bands(audio: np.ndarray, *, sample_rate: float) -> StemBands:
    """Measure one stem on the shared band/frame grid (see the module doc)."""
    if not sample_rate or sample_rate < 8000:
        raise StateError(f"sample_rate={sample_rate!r} must be >= 8000 Hz")
    mono = mono_sum(audio)
    hop, low_fft = _frame_grid(sample_rate)
    full_fft = hop
    frames = max(1, mono.size // hop)  # a last partial hop (< 23 ms) is left out
    power = np.zeros((N_BANDS, frames), dtype=np.float32)
    high_bands, high_pool = _pooling(full_fft, float(sample_rate), False)
    power[high_bands] = _band_powers(
        mono, n_fft=full_fft, hop=hop, frames=frames, pool=high_pool, bands=high_bands.size
    )
    low_rate = sample_rate / DECIMATE
    low_bands, low_pool = _pooling(low_fft, float(low_rate), True)
    decimated = soxr.resample(mono, sample_rate, low_rate, quality="HQ").astype(np.float32)
    power[low_bands] = _band_powers(
        decimated,
        n_fft=low_fft,
        hop=hop // DECIMATE,
        frames=frames,
        pool=low_pool,
        bands=low_bands.size,
    )
    return bands_from_power(power)


def bands_from_power(power: np.ndarray, *, gain_db: float = 0.0) -> StemBands:
    """A stem's ``StemBands`` from its (bands, frames) mean-square powers, optionally as the
    stem scaled by ``gain_db`` (a fader) measures: the powers times the squared float32 gain,
    like ``stem_bands(audio * np.float32(gain))``."""
    if gain_db != 0.0:
        gain = np.float32(10.0 ** (gain_db / 20.0))
        power = power * (gain * gain)
    levels = np.asarray(power_db(power)).astype(np.float32)
    loud = float(np.percentile(levels.max(axis=0), 95)) if power.shape[1] else FLOOR_DB
    active = levels >= max(ACTIVE_FLOOR_DB, loud - ACTIVE_BELOW_LOUD_DB)
    return StemBands(edges_hz=band_edges_hz(), power=power, levels_db=levels, active=active)


def _measure(audio: np.ndarray | StemBands, sample_rate: float) -> StemBands:
    return audio if isinstance(audio, StemBands) else stem_bands(audio, sample_rate=sample_rate)


def _measured(stems: Mapping[str, np.ndarray | StemBands], sample_rate: float):
    if len(stems) < 2:
        raise StateError(f"masking needs at least 2 stems, got {len(stems)}: {list(stems)}")
    # numpy, FFT and soxr drop the GIL
    with ThreadPoolExecutor(max_workers=pool_size(at_most=2)) as pool:
        measured = dict(
            zip(stems, pool.map(lambda item: _measure(item, sample_rate), stems.values()))
        )
    frames = min(bands.power.shape[1] for bands in measured.values())
    return {
        name: StemBands(
            b.edges_hz, b.power[:, :frames], b.levels_db[:, :frames], b.active[:, :frames]
        )
        for name, b in measured.items()
    }


# ---------------------------------------------------------------- roles


def _role_key(role: str | None) -> str:
    text = (role or "").lower().replace(" ", "_").replace("-", "_")
    if "backing" in text or text in {"bv", "bvs", "bgv", "choir"}:
        return "backing_vocal"
    if "vocal" in text or "vox" in text:
        return "vocal"
    return text


def importance(role: str | None) -> float:
    """How much it matters when this part is masked (1 = the lead vocal)."""
    return ROLE_IMPORTANCE.get(_role_key(role), DEFAULT_IMPORTANCE)


def _vocal_rank(role: str | None) -> int:
    return {"vocal": 2, "backing_vocal": 1}.get(_role_key(role), 0)


# ---------------------------------------------------------------- pairwise


class BandPowers:
    """A stem's band powers (bands, frames), read a chunk of frames at a time, times a fader
    gain (as ``bands_from_power`` applies it): pairs of many long stems compared without
    holding them. ``source`` is the (bands, frames) array or its .npy file."""

    def __init__(self, source: np.ndarray | StemBands | Path, *, gain_db: float = 0.0) -> None:
        if isinstance(source, StemBands):
            source = source.power
        self._reader: NpyReader | None = None
        self._array = np.zeros((N_BANDS, 0), np.float32)
        if isinstance(source, Path):
            self._reader = NpyReader(source)
            self.frames = self._reader.shape[1]
        else:
            self._array = np.asarray(source, np.float32)
            self.frames = int(self._array.shape[1])
        gain = np.float32(10.0 ** (gain_db / 20.0))
        self._scale = None if gain_db == 0.0 else gain * gain

    def read(self, start: int, stop: int) -> np.ndarray:
        power = (
            self._reader.read(start, stop)
            if self._reader is not None
            else self._array[:, start:stop]
        )
        return power if self._scale is None else power * self._scale


@dataclass
class _Pairs:
    """Per pair of stems and per band, sums over the frames: conflicting frames, their
    closeness weights, and the level difference where they conflict."""

    conflict: np.ndarray  # (pairs, bands)
    weight: np.ndarray
    difference: np.ndarray
    frames: int


def _chunks(frames: int) -> range:
    return range(0, frames, _PAIR_CHUNK)


def _levels(power: np.ndarray) -> np.ndarray:
    return np.asarray(power_db(power)).astype(np.float32)


def _thresholds(sources: list[BandPowers], frames: int) -> np.ndarray:
    """Each stem's activity threshold (dB): 35 dB under its loud level (the 95th percentile
    of its frames' loudest band), as ``bands_from_power`` sets it."""
    loudest = [np.empty(frames, np.float32) for _ in sources]
    for start in _chunks(frames):
        stop = min(start + _PAIR_CHUNK, frames)
        for source, out in zip(sources, loudest, strict=True):
            out[start:stop] = _levels(source.read(start, stop)).max(axis=0)
    return np.array(
        [max(ACTIVE_FLOOR_DB, float(np.percentile(m, 95)) - ACTIVE_BELOW_LOUD_DB) for m in loudest]
    )


def _chunk_state(sources: list[BandPowers], thresholds: np.ndarray, start: int, stop: int):  # noqa: ANN202
    """(powers, levels dB, active) stacked (stems, bands, frames), and the relevant power."""
    powers = np.stack([s.read(start, stop) for s in sources])
    levels = _levels(powers)
    active = levels >= thresholds.astype(np.float32)[:, None, None]
    relevant = powers.sum(axis=0) * np.float32(10.0 ** (-RELEVANT_BELOW_MIX_DB / 10.0))
    return powers, levels, active, relevant


def _against(state, i: int, others: slice | list[int]):  # noqa: ANN001, ANN202
    """Stem ``i`` against ``others``: (conflict, closeness, difference), each (k, bands, n)."""
    powers, levels, active, relevant = state
    difference = levels[i] - levels[others]
    closeness = np.abs(difference)
    conflict = (closeness <= CLOSE_DB) & active[others]
    conflict &= active[i]
    conflict &= (powers[i] + powers[others]) >= relevant
    return conflict, closeness, difference


def _pair_sums(sources: list[BandPowers], thresholds: np.ndarray, frames: int) -> _Pairs:
    """Every pair's sums over the frames, a chunk at a time; within a chunk the stems'
    rows (each stem against the later ones) on a pool: each row is summed chunk after
    chunk as on one thread, so the sums are the same whatever the threads."""
    count = len(sources)
    pairs = count * (count - 1) // 2
    sums = _Pairs(
        conflict=np.zeros((pairs, N_BANDS)),
        weight=np.zeros((pairs, N_BANDS)),
        difference=np.zeros((pairs, N_BANDS)),
        frames=frames,
    )
    first_rows = np.cumsum([0] + [count - 1 - i for i in range(count - 1)]).tolist()
    with ThreadPoolExecutor(max_workers=pool_size(at_most=count - 1)) as pool:
        for start in _chunks(frames):
            state = _chunk_state(sources, thresholds, start, min(start + _PAIR_CHUNK, frames))
            rows = [(sums, state, i, first_rows[i], count) for i in range(count - 1)]
            for _ in pool.map(lambda args: _add_rows(*args), rows):
                pass
    return sums


def _add_rows(sums: _Pairs, state, i: int, row: int, count: int) -> None:  # noqa: ANN001
    """Stem ``i`` against every later stem on one chunk, added to its pairs' rows."""
    for first in range(i + 1, count, _PAIR_BATCH):  # memory does not grow with stems
        others = slice(first, min(first + _PAIR_BATCH, count))
        conflict, closeness, difference = _against(state, i, others)
        rows = slice(row, row + others.stop - others.start)
        sums.conflict[rows] += conflict.sum(axis=2)
        near = np.sum(closeness, axis=2, where=conflict, dtype=np.float64)
        sums.weight[rows] += conflict.sum(axis=2) - near / (2 * CLOSE_DB)
        sums.difference[rows] += np.sum(difference, axis=2, where=conflict, dtype=np.float64)
        row = rows.stop


def _overlaps(sources, thresholds, frames: int, wanted) -> dict:  # noqa: ANN001
    """Share of frames where a pair conflicts in any band of a range: {(i, j, range): share}."""
    counts = dict.fromkeys(wanted, 0)
    for start in _chunks(frames):
        state = _chunk_state(sources, thresholds, start, min(start + _PAIR_CHUNK, frames))
        for i, j, first, last in wanted:
            conflict, _, _ = _against(state, i, [j])
            counts[(i, j, first, last)] += int(conflict[0, first : last + 1].any(axis=0).sum())
    return {key: count / max(frames, 1) for key, count in counts.items()}


def _ranges(selected: np.ndarray, louder_a: np.ndarray, edges: np.ndarray) -> list[list[int]]:
    """Runs of adjacent selected bands with the same louder stem, at most 2 octaves wide."""
    ranges: list[list[int]] = []
    for band in np.flatnonzero(selected).tolist():
        current = ranges[-1] if ranges else None
        if (
            current
            and current[-1] == band - 1
            and louder_a[current[0]] == louder_a[band]
            and np.log2(edges[band + 1] / edges[current[0]]) <= MAX_RANGE_OCTAVES
        ):
            current.append(band)
        else:
            ranges.append([band])
    return ranges


def _level_words(excess_db: float) -> str:
    if abs(excess_db) < 0.5:
        return "at the same level"
    return f"{abs(excess_db):.1f} dB {'louder' if excess_db > 0 else 'quieter'}"


def _format_range(low_hz: float, high_hz: float) -> str:
    if high_hz >= 1000:
        return f"{low_hz / 1000:.1f}–{high_hz / 1000:.1f} kHz"
    return f"{low_hz:.0f}–{high_hz:.0f} Hz"


def _masker_by_role(names: tuple[str, str], roles: Mapping[str, str] | None) -> bool | None:
    """True/False when roles decide that the first/second stem is the masker (a lead vocal
    is always the masked one), None when the louder one should be."""
    if roles is None:
        return None
    rank_a, rank_b = _vocal_rank(roles.get(names[0])), _vocal_rank(roles.get(names[1]))
    return None if rank_a == rank_b else rank_a < rank_b


def _pair_ranges(names: tuple[str, str], sums: _Pairs, index: int, edges, roles):  # noqa: ANN001, ANN202
    """(bands, masker is the first) of each conflicting range of one pair."""
    share = sums.conflict[index] / max(sums.frames, 1)
    by_role = _masker_by_role(names, roles)
    louder_a = sums.difference[index] >= 0.0 if by_role is None else np.full(share.shape, by_role)
    return [
        (bands, bool(louder_a[bands[0]]))
        for bands in _ranges(share >= MIN_OVERLAP, louder_a, edges)
    ]


def _conflict(names, sums: _Pairs, index: int, bands, masker_is_a: bool, overlap: float, roles):  # noqa: ANN001, ANN202
    masker, masked = names if masker_is_a else names[::-1]
    count = float(sums.conflict[index][bands].sum())
    excess = (
        float(sums.difference[index][bands].sum()) / max(count, 1.0) * (1 if masker_is_a else -1)
    )
    severity = float(np.clip((sums.weight[index][bands] / max(sums.frames, 1)).mean(), 0.0, 1.0))
    edges = band_edges_hz()
    low_hz, high_hz = float(edges[bands[0]]), float(edges[bands[-1] + 1])
    overlap_pct = 100.0 * overlap
    weight = importance(roles.get(masked)) if roles is not None else 1.0
    return MaskingConflict(
        masker=masker,
        masked=masked,
        low_hz=round(low_hz, 1),
        high_hz=round(high_hz, 1),
        severity=severity,
        overlap_pct=overlap_pct,
        masker_excess_db=excess,
        priority=severity * weight,
        summary=f"{masker} masks {masked} at {_format_range(low_hz, high_hz)} "
        f"({overlap_pct:.0f}% of the time, {_level_words(excess)})",
    )


def _sources(stems: Mapping[str, Any], sample_rate: float) -> dict[str, BandPowers]:
    if len(stems) < 2:
        raise StateError(f"masking needs at least 2 stems, got {len(stems)}: {list(stems)}")
    audio = {n: a for n, a in stems.items() if not isinstance(a, (StemBands, BandPowers))}
    with ThreadPoolExecutor(
        max_workers=pool_size(at_most=2)
    ) as pool:  # numpy, FFT and soxr drop the GIL
        measured = dict(
            zip(audio, pool.map(lambda a: stem_bands(a, sample_rate=sample_rate), audio.values()))
        )
    return {
        name: value if isinstance(value, BandPowers) else BandPowers(measured.get(name, value))
        for name, value in stems.items()
    }


def _all_conflicts(stems: Mapping[str, Any], sample_rate: float, roles) -> list[MaskingConflict]:  # noqa: ANN001
    found = _sources(stems, sample_rate)
    names, sources = list(found), list(found.values())
    frames = min(s.frames for s in sources)
    thresholds = _thresholds(sources, frames)
    sums = _pair_sums(sources, thresholds, frames)
    pairs = [(i, j) for i in range(len(names)) for j in range(i + 1, len(names))]
    edges = band_edges_hz()
    ranges = [
        (i, j, index, bands, first_masks)
        for index, (i, j) in enumerate(pairs)
        for bands, first_masks in _pair_ranges((names[i], names[j]), sums, index, edges, roles)
    ]
    overlaps = _overlaps(
        sources, thresholds, frames, [(i, j, b[0], b[-1]) for i, j, _, b, _ in ranges]
    )
    conflicts = [
        _conflict(
            (names[i], names[j]),
            sums,
            index,
            bands,
            first,
            overlaps[(i, j, bands[0], bands[-1])],
            roles,
        )
        for i, j, index, bands, first in ranges
    ]
    return sorted(conflicts, key=lambda conflict: (-conflict.priority, conflict.summary))


def find_masking(
    stems: Mapping[str, np.ndarray | StemBands | BandPowers],
    *,
    sample_rate: float,
    roles: Mapping[str, str] | None = None,
    max_conflicts: int = 10,
) -> list[MaskingConflict]:
    """The worst masking conflicts between pairs of stems, highest priority first.

    ``stems`` maps names to audio (channels, samples) at ``sample_rate`` (or to ``StemBands``
    already measured, or ``BandPowers`` read from a file); ``roles`` maps names to roles
    (vocal, kick, bass, guitar...). The frames are compared a chunk at a time."""
    if max_conflicts < 1:
        raise StateError(f"max_conflicts={max_conflicts} must be >= 1")
    return _all_conflicts(stems, sample_rate, roles)[:max_conflicts]


def masking_matrix(
    stems: Mapping[str, np.ndarray | StemBands],
    *,
    sample_rate: float,
    roles: Mapping[str, str] | None = None,
) -> tuple[list[str], np.ndarray]:
    """``(names, matrix)`` where ``matrix[i, j]`` is the worst severity of stem i masking
    stem j (0..1, zero diagonal): for a heat-map plot."""
    names = list(stems)
    index = {name: position for position, name in enumerate(names)}
    matrix = np.zeros((len(names), len(names)))
    for conflict in _all_conflicts(stems, sample_rate, roles):
        i, j = index[conflict.masker], index[conflict.masked]
        matrix[i, j] = max(matrix[i, j], conflict.severity)
    return names, matrix


def _frame_distribution(bands: StemBands) -> np.ndarray:
    total = bands.power.sum(axis=0, keepdims=True)
    return bands.power / np.maximum(total, 1e-30)


def spectral_overlap(
    a: np.ndarray | StemBands, b: np.ndarray | StemBands, *, sample_rate: float
) -> float:
    """How much two stems share the same bands at the same time, 0..1.

    Per frame where both are active, the Bhattacharyya coefficient of their band-power
    distributions (sum over bands of sqrt(pa * pb)), averaged over those frames. It does not
    depend on either stem's overall level, and it falls when either stem is cut where they
    overlap (a min/max level ratio would instead rise when the louder one is cut)."""
    measured = _measured({"a": a, "b": b}, sample_rate)
    first, second = measured["a"], measured["b"]
    both = first.active.any(axis=0) & second.active.any(axis=0)
    if not both.any():
        return 0.0
    coefficient = np.sqrt(_frame_distribution(first) * _frame_distribution(second)).sum(axis=0)
    return float(np.clip(coefficient[both].mean(), 0.0, 1.0))
