"""Masking between stems, on synthetic kick/bass and vocal/guitar pairs and on real stems."""

from __future__ import annotations

import json
import time

import numpy as np
import pedalboard
import pytest
from scipy.signal import butter, sawtooth, sosfilt

from mixchat.dsp.errors import StateError
from mixchat.dsp.masking import (
    MaskingConflict,
    band_energy_frames,
    bands_from_power,
    find_masking,
    masking_matrix,
    spectral_overlap,
    stem_bands,
)

SR = 44100
SECONDS = 16.0


def _time(seconds: float) -> np.ndarray:
    return np.arange(int(seconds * SR)) / SR


def _kick() -> np.ndarray:
    """Decaying 55 Hz sine bursts, two per second."""
    n = int(SECONDS * SR)
    hit_t = _time(0.4)
    hit = np.sin(2 * np.pi * 55.0 * hit_t) * np.exp(-hit_t / 0.12)
    audio = np.zeros(n)
    for start in range(0, n, SR // 2):
        audio[start : start + hit.size] += hit[: n - start]
    return (0.8 * audio).astype(np.float32)[np.newaxis]


def _bass() -> np.ndarray:
    """Sustained notes between 60 and 80 Hz, one every 2 s."""
    n = int(SECONDS * SR)
    audio = np.zeros(n)
    for index, freq in enumerate([60.0, 70.0, 80.0, 65.0] * 2):
        start, stop = int(index * 2 * SR), min(n, int((index * 2 + 1.9) * SR))
        t = np.arange(stop - start) / SR
        audio[start:stop] = 0.4 * np.sin(2 * np.pi * freq * t) * np.minimum(1.0, t / 0.01)
    return audio.astype(np.float32)[np.newaxis]


def _vocal_like() -> np.ndarray:
    """Band-limited noise at 2-4 kHz with a slow syllable-like envelope."""
    noise = np.random.default_rng(1).standard_normal(int(SECONDS * SR))
    sos = butter(4, [2000, 4000], btype="band", fs=SR, output="sos")
    voiced = sosfilt(sos, noise) * (0.5 + 0.5 * np.sin(2 * np.pi * 0.3 * _time(SECONDS)))
    return (0.1 * voiced / np.sqrt(np.mean(voiced**2))).astype(np.float32)[np.newaxis]


def _bright_guitar() -> np.ndarray:
    """Strummed sawtooth chords (rich in 2-5 kHz harmonics), louder than the vocal."""
    n = int(SECONDS * SR)
    audio = np.zeros(n)
    for index, start in enumerate(range(0, n, SR // 2)):
        stop = min(n, start + int(0.45 * SR))
        t = np.arange(stop - start) / SR
        freq = [196.0, 247.0, 294.0, 330.0][index % 4]
        audio[start:stop] = sawtooth(2 * np.pi * freq * t) * np.exp(-t / 0.6)
    audio = sosfilt(butter(1, 200, btype="high", fs=SR, output="sos"), audio)
    return (0.2 * audio / np.sqrt(np.mean(audio**2))).astype(np.float32)[np.newaxis]


def _well_formed(conflicts: list[MaskingConflict], names: set[str]) -> None:
    priorities = [conflict.priority for conflict in conflicts]
    assert priorities == sorted(priorities, reverse=True)
    for conflict in conflicts:
        assert {conflict.masker, conflict.masked} <= names
        assert conflict.masker != conflict.masked
        assert 20.0 <= conflict.low_hz < conflict.high_hz <= 20000.0
        assert 0.0 <= conflict.severity <= 1.0 and 0.0 < conflict.overlap_pct <= 100.0
        assert conflict.masker in conflict.summary and conflict.masked in conflict.summary
        json.loads(conflict.model_dump_json())


def test_band_energy_frames_measure_a_sine_in_its_band():
    sine = (np.sin(2 * np.pi * 1000.0 * _time(3.0))).astype(np.float32)[np.newaxis]
    edges, frames = band_energy_frames(sine, sample_rate=SR)
    assert edges.size == frames.shape[0] + 1 == 25
    band = int(np.searchsorted(edges, 1000.0)) - 1
    middle = frames.shape[1] // 2
    assert int(np.argmax(frames[:, middle])) == band
    assert frames[band, middle] == pytest.approx(-3.01, abs=0.3)  # mean square of a sine
    assert frames[0, middle] < frames[band, middle] - 60


def test_kick_and_bass_conflict_in_the_low_end():
    stems = {"kick": _kick(), "bass": _bass()}
    conflicts = find_masking(stems, sample_rate=SR, roles={"kick": "kick", "bass": "bass"})
    _well_formed(conflicts, set(stems))
    top = conflicts[0]
    assert {top.masker, top.masked} == {"kick", "bass"}
    assert 40.0 <= top.low_hz and top.high_hz <= 120.0


def test_vocal_is_the_masked_one_against_a_guitar_at_2_to_5_khz():
    stems = {"vocal": _vocal_like(), "guitar": _bright_guitar()}
    conflicts = find_masking(stems, sample_rate=SR, roles={"vocal": "vocal", "guitar": "guitar"})
    _well_formed(conflicts, set(stems))
    presence = [c for c in conflicts if c.low_hz < 5000.0 and c.high_hz > 2000.0]
    assert presence
    assert all(c.masked == "vocal" and c.masker == "guitar" for c in presence)


def test_cutting_the_guitar_where_they_overlap_lowers_the_overlap():
    vocal, guitar = _vocal_like(), _bright_guitar()
    cut = pedalboard.Pedalboard(
        [pedalboard.PeakFilter(cutoff_frequency_hz=3000.0, gain_db=-6.0, q=1.0)]
    )(guitar, SR)
    before = spectral_overlap(vocal, guitar, sample_rate=SR)
    after = spectral_overlap(vocal, cut, sample_rate=SR)
    assert 0.0 < after < before <= 1.0
    assert spectral_overlap(vocal, guitar * 0.1, sample_rate=SR) == pytest.approx(before, abs=1e-3)


def test_masking_matrix_and_precomputed_bands_agree():
    stems = {"kick": _kick(), "bass": _bass(), "vocal": _vocal_like()}
    measured = {name: stem_bands(audio, sample_rate=SR) for name, audio in stems.items()}
    assert find_masking(measured, sample_rate=SR) == find_masking(stems, sample_rate=SR)
    names, matrix = masking_matrix(measured, sample_rate=SR)
    assert names == list(stems)
    assert matrix.shape == (3, 3) and np.all(np.diag(matrix) == 0.0)
    assert matrix[:2, :2].max() > 0.0  # kick and bass
    assert matrix[2, :2].max() == matrix[:2, 2].max() == 0.0  # the vocal shares no band


def test_a_fader_applied_to_measured_bands_reads_as_the_scaled_stem():
    vocal = _vocal_like()
    bands = stem_bands(vocal, sample_rate=SR)
    for gain_db in (-7.5, 0.0, 4.0):
        scaled = stem_bands(vocal * np.float32(10 ** (gain_db / 20)), sample_rate=SR)
        shifted = bands_from_power(bands.power, gain_db=gain_db)
        np.testing.assert_allclose(shifted.power, scaled.power, rtol=1e-4, atol=1e-12)
        audible = scaled.levels_db > -80.0  # below, float32 FFT noise differs by ~0.01 dB
        np.testing.assert_allclose(shifted.levels_db[audible], scaled.levels_db[audible], atol=1e-3)
        assert np.mean(shifted.active != scaled.active) < 1e-3


def test_conflicts_are_the_same_whatever_the_threads_that_sum_the_pairs():
    from mixchat.dsp.masking import N_BANDS, BandPowers
    from mixchat.dsp.threads import limited_threads

    rng = np.random.default_rng(3)
    frames = 5000  # past one chunk of frames; 11 stems: past one batch of pairs
    common = rng.gamma(0.6, 1.0, size=(N_BANDS, frames))
    powers = [
        (common * rng.gamma(2.0, 0.5, size=(N_BANDS, frames)) * 10.0 ** -(k % 4)).astype(np.float32)
        for k in range(11)
    ]
    roles = ["vocal", "bass", "kick", "guitar", "keys", "pad", "synth", "snare", "hats"]
    stems = {f"s{k}": BandPowers(p) for k, p in enumerate(powers)}
    named = {f"s{k}": roles[k % len(roles)] for k in range(11)}
    with limited_threads(1):
        alone = find_masking(stems, sample_rate=SR, roles=named, max_conflicts=50)
    side_by_side = find_masking(stems, sample_rate=SR, roles=named, max_conflicts=50)
    assert len(alone) > 10
    assert side_by_side == alone


def test_find_masking_needs_two_stems():
    with pytest.raises(StateError, match="at least 2 stems"):
        find_masking({"kick": _kick()}, sample_rate=SR)


def test_real_song_conflicts_are_well_formed_and_ranked(song_1, capsys):
    import soundfile as sf

    truth = json.loads((song_1 / "truth.json").read_text())
    stems, roles = {}, {}
    for path in sorted(song_1.glob("*.flac")):
        data, rate = sf.read(path, dtype="float32", always_2d=True)
        stems[path.stem], roles[path.stem] = data.T, truth["stems"][f"{path.stem}.wav"]
    started = time.perf_counter()
    conflicts = find_masking(stems, sample_rate=rate, roles=roles, max_conflicts=8)
    elapsed = time.perf_counter() - started
    _well_formed(conflicts, set(stems))
    assert 0 < len(conflicts) <= 8
    with capsys.disabled():
        print(f"\nsong_1, {len(stems)} stems, {elapsed:.2f} s:")
        for conflict in conflicts:
            print(f"  {conflict.summary}  severity {conflict.severity:.2f}")
