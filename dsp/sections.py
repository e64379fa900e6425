"""Song sections (intro, verse, pre_chorus, chorus, bridge, outro) from the audio.

Boundaries come from a beat-synchronous novelty curve: the mix's chroma, MFCC and loudness,
plus, when stems are given, each stem's level (a stem entering or leaving is strong evidence).
Labels come from loudness, density and repetition: the louder repeated group is the chorus.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import soxr

from mixchat.dsp import fft
from mixchat.dsp.clustering import average_linkage, clusters_within
from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.section_features import (
    ANALYSIS_RATE,
    HOP,
    SpectralFeatures,
    levelled_sum,
    spectral_features,
)
from mixchat.dsp.state import Section

BEATS_PER_BAR = 4
MIN_SECTIONED_S = 1.0  # shorter: one section (beat tracking needs a few bars anyway)
STEM_FLOOR_DB = -45.0
SILENCE_DB = -45.0
CHROMA_WEIGHT = 0.5
LEVEL_UNIT_DB = 6.0
PEAK_OVER_MEDIAN = 0.6
SPLIT_GAP_DB = 2.5
ROLE_WEIGHTS = {"fx": 0.3, "other": 0.6, "drums": 0.7, "percussion": 0.6, "overheads": 0.6}


@dataclass(frozen=True)
class _Segment:
    start: int  # beat index
    stop: int
    energy_db: float
    features: np.ndarray


def detect_sections(
    mix: np.ndarray,
    *,
    sample_rate: int,
    stems: Mapping[str, np.ndarray] | None = None,
    roles: Mapping[str, str] | None = None,
    tempo_bpm: float | None = None,
) -> list[Section]:
    """Contiguous labelled sections covering 0..duration of ``mix`` (channels, samples);
    material shorter than four bars is one section."""
    mono = _mono(mix, "mix")
    duration_s = mono.size / sample_rate
    if duration_s < MIN_SECTIONED_S:
        return [Section(label="verse", start_s=0.0, end_s=duration_s)]
    y = soxr.resample(mono, sample_rate, ANALYSIS_RATE).astype(np.float32)
    block = stem_power_block(sample_rate)
    powers = {
        name: _block_power(audio, block, f"stem {name!r}") for name, audio in (stems or {}).items()
    }
    return sections_from_features(
        spectral_features(y),
        duration_s=duration_s,
        sample_rate=sample_rate,
        stem_powers=powers,
        roles=roles,
        tempo_bpm=tempo_bpm,
    )


def detect_stem_sections(
    stems: Mapping[str, np.ndarray], *, sample_rate: int, roles: Mapping[str, str] | None = None
) -> tuple[float | None, list[Section]]:
    """Tempo and sections of a song given as stems (each (channels, samples)), read from
    their sum with every stem at the same loudness: the levels the stems were exported at
    change neither (what ``mixchat new`` stores, from its streaming pass)."""
    block = stem_power_block(sample_rate)
    powers = {name: _block_power(audio, block, f"stem {name!r}") for name, audio in stems.items()}
    features = levelled_sum(
        (
            spectral_features(
                soxr.resample(_mono(audio, f"stem {name!r}"), sample_rate, ANALYSIS_RATE).astype(
                    np.float32
                )
            ),
            integrated_lufs(np.asarray(audio, np.float32), sample_rate=sample_rate),
        )
        for name, audio in stems.items()
    )
    duration_s = max((np.shape(a)[-1] for a in stems.values()), default=0) / sample_rate
    tempo = tempo_from_features(features, duration_s=duration_s)
    sections = sections_from_features(
        features,
        duration_s=duration_s,
        sample_rate=sample_rate,
        stem_powers=powers,
        roles=roles,
        tempo_bpm=tempo,
    )
    return tempo, sections


def stem_power_block(sample_rate: int) -> int:
    """Samples per stem level block: one spectrogram hop at the stem's rate."""
    return max(1, int(round(sample_rate * HOP / ANALYSIS_RATE)))


def sections_from_features(
    features: SpectralFeatures,
    *,
    duration_s: float,
    sample_rate: int,
    stem_powers: Mapping[str, np.ndarray] | None = None,
    roles: Mapping[str, str] | None = None,
    tempo_bpm: float | None = None,
) -> list[Section]:
    """``detect_sections`` from the mix's spectral features and each stem's block powers
    (``stem_power_block`` samples per block, summed over channels)."""
    if duration_s < MIN_SECTIONED_S:
        return [Section(label="verse", start_s=0.0, end_s=duration_s)]
    beat_times, mix_features, beat_energy_db = _beats_and_features(features, tempo_bpm=tempo_bpm)
    if beat_times.size < 4 * BEATS_PER_BAR:
        return [Section(label="verse", start_s=0.0, end_s=duration_s)]
    stem_levels = _stem_levels(stem_powers, roles, beat_times)
    first, last = _active_range(beat_energy_db)
    audible = slice(first, last + 1)
    novelty = np.zeros(beat_times.size)
    novelty[audible] = _novelty(
        mix_features[:, audible], None if stem_levels is None else stem_levels[:, audible]
    )
    mix_features = _clamp_to(mix_features, (first, last))
    stem_levels = None if stem_levels is None else _clamp_to(stem_levels, (first, last))
    bounds = _pick_boundaries(novelty, audible_beats=(first, last))
    features_all = mix_features if stem_levels is None else np.vstack([mix_features, stem_levels])
    segments = _segments(bounds, features_all, beat_energy_db)
    labels = _label(segments)
    edges_s = [0.0, *[float(beat_times[b]) for b in bounds[1:-1]], duration_s]
    return [
        Section(label=label, start_s=round(edges_s[i], 3), end_s=round(edges_s[i + 1], 3))
        for i, label in enumerate(labels)
    ]


def _active_range(energy_db: np.ndarray) -> tuple[int, int]:
    """First and last beat that is not (near) silence."""
    audible = np.flatnonzero(energy_db > SILENCE_DB)
    if audible.size == 0:
        return 0, energy_db.size - 1
    return int(audible[0]), int(audible[-1])


def _clamp_to(features: np.ndarray, active: tuple[int, int]) -> np.ndarray:
    """Leading and trailing silence take the features of the nearest audible beat."""
    idx = np.clip(np.arange(features.shape[1]), active[0], active[1])
    return features[:, idx]


def _mono(audio: np.ndarray, what: str) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        return audio
    if audio.ndim != 2:
        raise AudioFileError(f"{what} shape={audio.shape} must be (channels, samples)")
    return audio.mean(axis=0)


def _onset_envelope(log_bands: np.ndarray) -> np.ndarray:
    flux = np.maximum(0.0, np.diff(log_bands, axis=1)).sum(axis=0)
    return np.concatenate([[0.0], flux - np.median(flux)]).clip(min=0.0)


def _beat_frames(onset: np.ndarray, *, tempo_bpm: float | None) -> np.ndarray:
    """A steady beat grid (frame indices): tempo by autocorrelation, period and phase by fit."""
    fps = ANALYSIS_RATE / HOP
    if tempo_bpm is not None and tempo_bpm > 0:
        period = 60.0 * fps / tempo_bpm
    else:
        period = _autocorrelation_period(onset, fps)
    best, best_score = (period, 0.0), -1.0
    for candidate in period * np.linspace(0.98, 1.02, 41):
        for phase in np.arange(0.0, candidate, 1.0):
            idx = np.round(np.arange(phase, onset.size, candidate)).astype(int)
            idx = idx[idx < onset.size]
            score = float(onset[idx].mean())
            if score > best_score:
                best, best_score = (candidate, phase), score
    period, phase = best
    return np.round(np.arange(phase, onset.size, period)).astype(int)


def _autocorrelation_period(onset: np.ndarray, fps: float) -> float:
    """Beat period in frames from the onset autocorrelation, weighted towards ~110 BPM."""
    centred = onset - onset.mean()
    spectrum = fft.rfft(centred, n=2 * onset.size)
    autocorr = fft.irfft(np.abs(spectrum) ** 2)[: onset.size]
    lags = np.arange(autocorr.size, dtype=float)
    bpm = 60.0 * fps / np.maximum(lags, 1e-9)
    prior = np.exp(-0.5 * (np.log2(np.maximum(bpm, 1e-9) / 110.0) / 0.9) ** 2)
    prior[(bpm < 55.0) | (bpm > 210.0)] = 0.0
    lag = int(np.argmax(autocorr * prior))
    if 0 < lag < autocorr.size - 1:
        a, b, c = autocorr[lag - 1 : lag + 2]
        offset = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
        return lag + float(np.clip(offset, -0.5, 0.5))
    return float(max(lag, 1))


def _beat_sync(features: np.ndarray, beat_frames: np.ndarray) -> np.ndarray:
    """Mean of ``features`` (dims, frames) over each beat; one column per beat."""
    n = features.shape[1]
    edges = np.append(np.clip(beat_frames, 0, n - 1), n)
    cumulative = np.concatenate([np.zeros((features.shape[0], 1)), np.cumsum(features, 1)], 1)
    counts = np.maximum(np.diff(edges), 1)
    return (cumulative[:, edges[1:]] - cumulative[:, edges[:-1]]) / counts


def _beats_and_features(
    features: SpectralFeatures, *, tempo_bpm: float | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Beat times (s, from 0), standardised beat features, and loudness per beat (dB)."""
    log_bands = 10.0 * np.log10(features.bands + 1e-10)
    onset = _onset_envelope(log_bands)
    beat_frames = _beat_frames(onset, tempo_bpm=tempo_bpm)
    if beat_frames[0] > 0:
        beat_frames = np.concatenate([[0], beat_frames])
    chroma = features.chroma / (features.chroma.max(axis=0, keepdims=True) + 1e-10)
    mfcc = fft.dct(log_bands, axis=0, norm="ortho")[1:14]
    band_power = _beat_sync(features.broad, beat_frames)
    energy_db = _relative_db(band_power.sum(axis=0))
    band_db = np.array([_relative_db(row) for row in band_power])
    groups = [
        CHROMA_WEIGHT * _standardise(_beat_sync(chroma, beat_frames)) / np.sqrt(12),
        _standardise(_beat_sync(mfcc, beat_frames)) / np.sqrt(13),
        np.maximum(band_db, -60.0) / LEVEL_UNIT_DB,
        np.maximum(energy_db, -60.0)[None, :] / LEVEL_UNIT_DB,
    ]
    beat_times = beat_frames * HOP / ANALYSIS_RATE
    return beat_times, np.vstack(groups), energy_db


def _relative_db(power: np.ndarray) -> np.ndarray:
    level_db = 10.0 * np.log10(power + 1e-10)
    return level_db - level_db.max()


def _standardise(x: np.ndarray) -> np.ndarray:
    return (x - x.mean(axis=1, keepdims=True)) / (x.std(axis=1, keepdims=True) + 1e-6)


def _stem_levels(
    stem_powers: Mapping[str, np.ndarray] | None,
    roles: Mapping[str, str] | None,
    beat_times: np.ndarray,
) -> np.ndarray | None:
    """Per stem, per beat level relative to the stem's loud level, floored, in 10 dB units."""
    if not stem_powers:
        return None
    beat_frames = np.round(beat_times * ANALYSIS_RATE / HOP).astype(int)
    rows = []
    for name, power in stem_powers.items():
        if power.size < 2:
            continue
        level_db = 10.0 * np.log10(_beat_sync(power[None, :], beat_frames)[0] + 1e-12)
        loud = np.percentile(level_db, 90)
        if loud < -90:
            continue
        level = np.clip(level_db - loud, STEM_FLOOR_DB, 0.0) / 10.0
        rows.append(level * ROLE_WEIGHTS.get((roles or {}).get(name, ""), 1.0))
    return np.array(rows) if rows else None


def _block_power(audio: np.ndarray, block: int, what: str) -> np.ndarray:
    """Mean power (summed over channels) of consecutive blocks of ``block`` samples."""
    audio = np.asarray(audio, dtype=np.float32)
    if audio.ndim == 1:
        audio = audio[None, :]
    if audio.ndim != 2:
        raise AudioFileError(f"{what} shape={audio.shape} must be (channels, samples)")
    n_blocks = audio.shape[1] // block
    framed = audio[:, : n_blocks * block].reshape(audio.shape[0], n_blocks, block)
    return np.einsum("cnb,cnb->n", framed, framed) / block


def _mean_difference_novelty(features: np.ndarray, half_width: int) -> np.ndarray:
    """Distance between the mean feature of the beats before and after each beat.

    Near the ends the window shrinks to the beats available on both sides.
    """
    n = features.shape[1]
    cumulative = np.concatenate([np.zeros((features.shape[0], 1)), np.cumsum(features, 1)], 1)
    idx = np.arange(n)
    width = np.minimum(half_width, np.minimum(idx, n - idx))
    usable = width >= 2
    idx, width = idx[usable], width[usable]
    before = (cumulative[:, idx] - cumulative[:, idx - width]) / width
    after = (cumulative[:, idx + width] - cumulative[:, idx]) / width
    novelty = np.zeros(n)
    novelty[usable] = np.linalg.norm(after - before, axis=0)
    return novelty


def _novelty(mix_features: np.ndarray, stem_levels: np.ndarray | None) -> np.ndarray:
    curves = [_scaled(_multi_scale(mix_features))]
    if stem_levels is not None:
        curves.append(1.5 * _scaled(_multi_scale(stem_levels)))
    return np.sum(curves, axis=0) / (sum(float(c.max()) for c in curves) + 1e-9)


def _multi_scale(features: np.ndarray) -> np.ndarray:
    return _mean_difference_novelty(features, 4) + _mean_difference_novelty(features, 8)


def _scaled(curve: np.ndarray) -> np.ndarray:
    return curve / (curve.max() + 1e-9)


def running_max(curve: np.ndarray, *, reach: int) -> np.ndarray:
    """Each value's maximum over the ``reach`` values on either side, the ends held
    (``scipy.ndimage.maximum_filter1d(curve, 2 * reach + 1, mode="nearest")``, without
    importing scipy.ndimage)."""
    if reach <= 0 or curve.size == 0:
        return curve.copy()
    padded = np.pad(curve, reach, mode="edge")
    return np.lib.stride_tricks.sliding_window_view(padded, 2 * reach + 1).max(axis=1)


def _pick_boundaries(novelty: np.ndarray, *, audible_beats: tuple[int, int]) -> list[int]:
    """Beat indices of the boundaries, with 0 and len(beats) as the ends."""
    n = novelty.size
    min_gap = 2 * BEATS_PER_BAR
    first, last = audible_beats
    allowed = np.zeros(n)
    allowed[first + min_gap // 2 : max(last - min_gap // 2 + 1, 0)] = 1.0
    curve = novelty * allowed
    local_max = curve == running_max(curve, reach=min_gap - 1)
    baseline = float(np.median(novelty[first : last + 1]))
    threshold = baseline + min(0.25 * (curve.max() - baseline), PEAK_OVER_MEDIAN * baseline)
    peaks = _snap_to_bars(np.flatnonzero(local_max & (curve > threshold)), curve)
    chosen: list[int] = []
    for peak in sorted(peaks, key=lambda b: -curve[b]):
        if all(abs(peak - b) >= min_gap for b in chosen):
            chosen.append(peak)
    return [0, *sorted(chosen), n]


def _snap_to_bars(peaks: np.ndarray, curve: np.ndarray) -> list[int]:
    """Move a peak one beat onto the bar line most peaks agree on, if it is nearly as novel."""
    if peaks.size < 3:
        return [int(p) for p in peaks]
    votes = np.bincount(peaks % BEATS_PER_BAR, weights=curve[peaks], minlength=BEATS_PER_BAR)
    downbeat = int(np.argmax(votes))
    if votes[downbeat] < 0.5 * votes.sum():
        return [int(p) for p in peaks]
    snapped = []
    for peak in peaks:
        offset = (int(peak) - downbeat) % BEATS_PER_BAR
        target = {1: peak - 1, BEATS_PER_BAR - 1: peak + 1}.get(offset, peak)
        inside = 0 <= target < curve.size
        snapped.append(int(target) if inside and curve[target] >= 0.7 * curve[peak] else int(peak))
    return snapped


def _segments(bounds: list[int], features: np.ndarray, energy_db: np.ndarray) -> list[_Segment]:
    segments = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        power = np.mean(10 ** (energy_db[start:stop] / 10))
        segments.append(
            _Segment(
                start=start,
                stop=stop,
                energy_db=float(10 * np.log10(power + 1e-12)),
                features=features[:, start:stop].mean(axis=1),
            )
        )
    return segments


def _label(segments: list[_Segment]) -> list[str]:
    n = len(segments)
    if n == 1:
        return ["verse"]
    clusters = _cluster(segments)
    labels = [""] * n
    energies = np.array([s.energy_db for s in segments])
    core = range(1, n - 1) if n > 2 else range(n)
    repeated = {}
    for c in set(clusters[i] for i in core):
        members = [i for i in core if clusters[i] == c]
        if len(members) >= 2:
            repeated[c] = float(np.mean(energies[members]))
    ranked = sorted(repeated, key=lambda c: -repeated[c])
    chorus_c = ranked[0] if ranked else None
    verse_c = ranked[1] if len(ranked) > 1 else None
    for i in range(n):
        if clusters[i] == chorus_c:
            labels[i] = "chorus"
        elif clusters[i] == verse_c:
            labels[i] = "verse"
    distinct = verse_c is not None and repeated[chorus_c] - repeated[verse_c] >= SPLIT_GAP_DB
    if not distinct:
        _split_by_energy(labels, energies, core)
    labels = _fill_unlabelled(labels, segments, energies)
    return _mark_pre_choruses(labels, segments)


def _split_by_energy(labels: list[str], energies: np.ndarray, core: range) -> None:
    """When repetition does not tell verse from chorus, the louder group is the chorus."""
    members = [i for i in core if labels[i] in ("verse", "chorus")]
    if len(members) < 2:
        return
    values = energies[members]
    low, high = float(values.min()), float(values.max())
    for _ in range(10):  # two-means in one dimension
        middle = (low + high) / 2
        low, high = values[values <= middle].mean(), values[values > middle].mean()
    if high - low < SPLIT_GAP_DB:
        return
    for i in members:
        labels[i] = "chorus" if energies[i] > (low + high) / 2 else "verse"


def _cluster(segments: list[_Segment]) -> np.ndarray:
    feats = np.array([s.features for s in segments])
    if len(segments) < 2:
        return np.zeros(len(segments), dtype=int)
    tree = average_linkage(feats)
    distances = tree[:, 2]
    cut = 0.5 * float(np.median(distances) + distances.min()) if distances.size > 2 else 0.5
    cut = max(cut, 0.35 * float(distances.max()))
    return clusters_within(tree, distance=cut)


def _fill_unlabelled(
    labels: list[str], segments: list[_Segment], energies: np.ndarray
) -> list[str]:
    n = len(labels)
    chorus_e = _mean_of(energies, labels, "chorus")
    verse_e = _mean_of(energies, labels, "verse")
    if chorus_e is None:
        chorus_e = float(np.max(energies))
    if verse_e is None:
        verse_e = chorus_e - 4.0
    lengths = np.array([s.stop - s.start for s in segments])
    verse_len = _mean_of(lengths.astype(float), labels, "verse") or float(np.median(lengths))
    for i in range(n):
        if labels[i]:
            continue
        nearer_verse = abs(energies[i] - verse_e) <= abs(energies[i] - chorus_e)
        if i == 0 and energies[i] < verse_e + 1.0:
            labels[i] = "intro"
        elif i == n - 1 and energies[i] < chorus_e - 1.0:
            labels[i] = "outro"
        elif _is_bridge(i, labels):
            labels[i] = "bridge"
        elif _is_pre_chorus(i, labels, lengths, verse_len):
            labels[i] = "pre_chorus"
        else:
            labels[i] = "verse" if nearer_verse else "chorus"
    return labels


def _mark_pre_choruses(labels: list[str], segments: list[_Segment]) -> list[str]:
    """A shorter verse-like segment between a verse and a chorus that sounds like neither."""
    for i in range(1, len(labels) - 1):
        if labels[i - 1 : i + 2] != ["verse", "verse", "chorus"]:
            continue
        verse, middle, chorus = segments[i - 1], segments[i], segments[i + 1]
        shorter = (middle.stop - middle.start) < 0.75 * (verse.stop - verse.start)
        apart = _distance(middle, verse) >= 0.5 * _distance(verse, chorus)
        if shorter and apart:
            labels[i] = "pre_chorus"
    return labels


def _distance(a: _Segment, b: _Segment) -> float:
    return float(np.linalg.norm(a.features - b.features))


def _is_bridge(i: int, labels: list[str]) -> bool:
    before = labels[:i].count("chorus")
    after = "chorus" in labels[i + 1 :]
    return before >= 2 and after and labels[i - 1] == "chorus"


def _is_pre_chorus(i: int, labels: list[str], lengths: np.ndarray, verse_len: float) -> bool:
    nxt = labels[i + 1] if i + 1 < len(labels) else ""
    prev = labels[i - 1] if i > 0 else ""
    return nxt == "chorus" and prev == "verse" and lengths[i] < 0.75 * verse_len


def _mean_of(values: np.ndarray, labels: list[str], label: str) -> float | None:
    picked = [v for v, lab in zip(values, labels) if lab == label]
    return float(np.mean(picked)) if picked else None


def estimate_tempo_bpm(mix: np.ndarray, *, sample_rate: int) -> float | None:
    """Tempo from the onset autocorrelation (None when the audio has no steady pulse)."""
    mono = _mono(mix, "mix")
    if mono.size < 4 * sample_rate:
        return None
    y = soxr.resample(mono, sample_rate, ANALYSIS_RATE).astype(np.float32)
    return tempo_from_features(spectral_features(y), duration_s=mono.size / sample_rate)


def tempo_from_features(features: SpectralFeatures, *, duration_s: float) -> float | None:
    """``estimate_tempo_bpm`` from the mix's spectral features."""
    if duration_s < 4.0:
        return None
    onset = _onset_envelope(10.0 * np.log10(features.bands + 1e-10))
    if not np.any(onset > 0):
        return None
    period = _autocorrelation_period(onset, ANALYSIS_RATE / HOP)
    bpm = 60.0 * ANALYSIS_RATE / HOP / period
    return round(float(bpm), 1) if 40.0 <= bpm <= 220.0 else None
