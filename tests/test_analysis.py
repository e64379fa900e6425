"""Mix and stem analysis, measured on synthetic signals with known answers."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest
from scipy.signal import butter, sosfilt

from mixchat.dsp.analysis import (
    MixMetrics,
    analyze_audio,
    analyze_mix,
    analyze_stem,
    loudness_curve,
    measure_mix,
    metric_deltas,
    section_loudness,
)
from mixchat.dsp.dynamics import crest_factor_db, plr_db, rms_dbfs
from mixchat.dsp.errors import StateError
from mixchat.dsp.loudness import (
    integrated_lufs,
    loudness_range_lu,
    momentary_lufs,
    short_term_lufs,
    true_peak_dbtp,
)
from mixchat.dsp.spectrum import (
    BANDS_HZ,
    average_spectrum_db,
    band_energy_db,
    band_shares_db,
    mid_side_power_spectra,
    mono_power_spectrum,
    mono_sum,
    power_spectrum,
    spectral_centroid_hz,
    spectral_tilt_db_per_octave,
)
from mixchat.dsp.state import Section
from mixchat.dsp.stereo import (
    correlation,
    low_end_width,
    mid_side_spectra,
    mono_compatibility_db,
    side_mid_ratio_db,
    stereo_width,
)

SR = 44100


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def _pink(seconds: float, *, seed: int = 0, channels: int = 1) -> np.ndarray:
    """Pink noise (1/f power) at about -20 dBFS RMS, shaped (channels, samples)."""
    n = int(seconds * SR)
    spectrum = np.fft.rfft(_rng(seed).standard_normal((channels, n)), axis=-1)
    freqs = np.fft.rfftfreq(n, 1 / SR)
    spectrum[:, 1:] /= np.sqrt(freqs[1:])
    spectrum[:, 0] = 0
    noise = np.fft.irfft(spectrum, n=n, axis=-1)
    return (0.1 * noise / np.sqrt(np.mean(noise**2))).astype(np.float32)


def _lowpass(audio: np.ndarray, cutoff_hz: float) -> np.ndarray:
    sos = butter(4, cutoff_hz, btype="low", fs=SR, output="sos")
    return sosfilt(sos, audio, axis=-1).astype(np.float32)


def _sine(freq_hz: float, seconds: float, amplitude: float = 0.5) -> np.ndarray:
    t = np.arange(int(seconds * SR)) / SR
    return (amplitude * np.sin(2 * np.pi * freq_hz * t)).astype(np.float32)[np.newaxis]


# ---------------------------------------------------------------- spectrum


def test_lowpassed_pink_noise_has_lower_centroid_and_tilt():
    pink = _pink(10.0)
    dark = _lowpass(pink, 2000.0)
    assert spectral_centroid_hz(dark, sample_rate=SR) < 0.5 * spectral_centroid_hz(
        pink, sample_rate=SR
    )
    assert spectral_tilt_db_per_octave(dark, sample_rate=SR) < spectral_tilt_db_per_octave(
        pink, sample_rate=SR
    )


def test_pink_noise_tilt_is_about_minus_3_db_per_octave():
    assert spectral_tilt_db_per_octave(_pink(10.0), sample_rate=SR) == pytest.approx(-3.0, abs=0.3)


def test_sine_centroid_is_its_frequency():
    assert spectral_centroid_hz(_sine(1000.0, 5.0), sample_rate=SR) == pytest.approx(
        1000.0, rel=0.01
    )


def test_band_shares_sum_to_the_whole():
    shares = band_shares_db(_pink(10.0), sample_rate=SR)
    assert list(shares) == list(BANDS_HZ)
    assert sum(10 ** (value / 10) for value in shares.values()) == pytest.approx(1.0, abs=1e-6)


def test_band_shares_do_not_depend_on_level():
    pink = _pink(5.0)
    quiet = band_shares_db(pink * 0.1, sample_rate=SR)
    loud = band_shares_db(pink, sample_rate=SR)
    for band in BANDS_HZ:
        assert quiet[band] == pytest.approx(loud[band], abs=0.01)


def test_band_energy_of_a_sine_is_its_power():
    sine = _sine(3000.0, 3.0, amplitude=1.0)
    assert band_energy_db(sine, sample_rate=SR, low_hz=2000, high_hz=5000) == pytest.approx(
        -3.01, abs=0.05
    )
    assert band_energy_db(sine, sample_rate=SR, low_hz=100, high_hz=1000) < -60


def test_average_spectrum_peaks_at_the_sine():
    freqs, power_db = average_spectrum_db(_sine(440.0, 2.0), sample_rate=SR)
    assert freqs[np.argmax(power_db)] == pytest.approx(440.0, abs=SR / 4096)


def test_band_energy_rejects_an_empty_range():
    with pytest.raises(StateError, match="high_hz"):
        band_energy_db(_sine(440.0, 1.0), sample_rate=SR, low_hz=500, high_hz=400)


# ---------------------------------------------------------------- stereo


def test_mono_has_no_width_and_full_correlation():
    mono = _pink(3.0)
    dual_mono = np.vstack([mono, mono])
    for audio in (mono, dual_mono):
        assert stereo_width(audio) == 0.0
        assert correlation(audio) == pytest.approx(1.0)
        assert mono_compatibility_db(audio) == pytest.approx(0.0, abs=1e-6)
        assert low_end_width(audio, sample_rate=SR) == 0.0
    assert side_mid_ratio_db(dual_mono) <= -100


def test_opposite_polarity_cancels_in_mono():
    mono = _pink(3.0)
    flipped = np.vstack([mono, -mono])
    assert correlation(flipped) == pytest.approx(-1.0)
    assert mono_compatibility_db(flipped) <= -40.0
    assert stereo_width(flipped) > 10.0


def test_unrelated_channels_are_wide_and_lose_3_db_in_mono():
    noise = _pink(10.0, channels=2)
    assert stereo_width(noise) == pytest.approx(1.0, abs=0.05)
    assert correlation(noise) == pytest.approx(0.0, abs=0.05)
    assert mono_compatibility_db(noise) == pytest.approx(-3.0, abs=0.3)


def test_low_end_width_sees_a_wide_bass_only():
    bass_left, bass_right = _lowpass(_pink(10.0, channels=2, seed=3), 120.0)
    highs = _pink(10.0, channels=2, seed=4) - _lowpass(_pink(10.0, channels=2, seed=4), 300.0)
    wide_bass = np.vstack([bass_left, bass_right]) * 3
    centred_bass = np.vstack([bass_left, bass_left]) * 3
    wide = low_end_width(wide_bass + highs, sample_rate=SR)
    centred = low_end_width(centred_bass + highs, sample_rate=SR)
    assert wide > 0.5
    assert centred < 0.05


# ---------------------------------------------------------------- dynamics


def test_crest_factor_of_a_sine_is_3_db():
    assert crest_factor_db(_sine(997.0, 2.0)) == pytest.approx(3.01, abs=0.02)
    assert rms_dbfs(_sine(997.0, 2.0, amplitude=1.0)) == pytest.approx(-3.01, abs=0.02)


def test_plr_of_a_sine_is_its_true_peak_over_loudness():
    sine = _sine(997.0, 5.0, amplitude=0.5)
    # A mono 1 kHz sine reads 3.01 dB below its peak in LUFS (K-weighting is ~0 dB there).
    assert plr_db(sine, sample_rate=SR) == pytest.approx(3.0, abs=0.3)


# ---------------------------------------------------------------- whole mix


def test_analyze_audio_is_json_ready_and_consistent():
    mix = _pink(8.0, channels=2)
    metrics = analyze_audio(mix, sample_rate=SR)
    restored = MixMetrics.model_validate(json.loads(metrics.model_dump_json()))
    assert restored == metrics
    assert metrics.duration_s == pytest.approx(8.0)
    assert metrics.plr_db == pytest.approx(metrics.true_peak_dbtp - metrics.integrated_lufs)
    assert metrics.momentary_max_lufs >= metrics.short_term_max_lufs - 0.5
    assert metrics.sample_peak_dbfs <= metrics.true_peak_dbtp + 1e-6
    assert metrics.stereo_width == pytest.approx(stereo_width(mix))


def test_one_pass_loudness_matches_the_loudness_meters():
    mix = np.concatenate([_pink(6.0, channels=2) * 0.2, _pink(6.0, channels=2, seed=2)], axis=1)
    metrics = analyze_audio(mix, sample_rate=SR)
    assert metrics.integrated_lufs == pytest.approx(integrated_lufs(mix, sample_rate=SR), abs=1e-6)
    assert metrics.loudness_range_lu == pytest.approx(
        loudness_range_lu(mix, sample_rate=SR), abs=1e-6
    )
    momentary = momentary_lufs(mix, sample_rate=SR)
    short_term = short_term_lufs(mix, sample_rate=SR)
    assert metrics.momentary_max_lufs == pytest.approx(float(np.max(momentary)), abs=1e-6)
    assert metrics.short_term_max_lufs == pytest.approx(float(np.max(short_term)), abs=1e-6)
    assert metrics.true_peak_dbtp == pytest.approx(true_peak_dbtp(mix, sample_rate=SR), abs=1e-6)


def test_frame_by_frame_spectra_equal_the_spectra_of_the_sums():
    for audio in (_pink(40.0, channels=2), _pink(3.0, channels=2), _pink(0.05, channels=1)):
        freqs, mid, side = mid_side_power_spectra(audio, sample_rate=SR)
        expected = mid_side_spectra(audio, sample_rate=SR)
        np.testing.assert_allclose(freqs, expected[0])
        np.testing.assert_allclose(mid, expected[1], rtol=1e-12)
        np.testing.assert_allclose(side, expected[2], rtol=1e-12)
        mono = power_spectrum(mono_sum(audio), sample_rate=SR)[1]
        np.testing.assert_allclose(mono_power_spectrum(audio, sample_rate=SR)[1], mono, rtol=1e-12)


def test_measure_mix_keeps_the_spectrum_it_measured():
    mix = _pink(5.0, channels=2)
    sections = [
        Section(label="a", start_s=0.0, end_s=2.5),
        Section(label="b", start_s=2.5, end_s=5.0),
    ]
    analysis = measure_mix(mix, sample_rate=SR, sections=sections)
    assert (analysis.metrics, analysis.sections) == analyze_mix(
        mix, sample_rate=SR, sections=sections
    )
    freqs, psd = power_spectrum(mono_sum(mix), sample_rate=SR)
    np.testing.assert_allclose(analysis.freqs_hz, freqs)
    np.testing.assert_allclose(analysis.mono_psd, psd, rtol=1e-12)


def test_analyze_audio_of_silence_stays_finite():
    metrics = analyze_audio(np.zeros((2, SR), dtype=np.float32), sample_rate=SR)
    assert all(np.isfinite(v) for v in metrics.model_dump().values() if isinstance(v, float))
    json.loads(metrics.model_dump_json())


def test_metric_deltas_report_what_changed():
    mix = _pink(6.0, channels=2)
    before = analyze_audio(mix, sample_rate=SR)
    after = analyze_audio(_lowpass(mix, 3000.0), sample_rate=SR)
    deltas = metric_deltas(before, after)
    assert deltas["spectral_centroid_hz"][1] < deltas["spectral_centroid_hz"][0]
    assert "band_shares_db.air" in deltas
    assert "stereo_width" not in metric_deltas(before, before)
    assert metric_deltas(before, before) == {}


def test_section_loudness_follows_the_level():
    quiet, loud = _pink(4.0, channels=2) * 0.25, _pink(4.0, channels=2, seed=1)
    audio = np.concatenate([quiet, loud], axis=1)
    sections = [
        Section(label="verse", start_s=0.0, end_s=4.0),
        Section(label="chorus", start_s=4.0, end_s=8.0),
    ]
    rows = section_loudness(audio, sample_rate=SR, sections=sections)
    assert [row["label"] for row in rows] == ["verse", "chorus"]
    assert rows[1]["lufs"] - rows[0]["lufs"] == pytest.approx(12.04, abs=0.3)
    as_dicts = [section.model_dump() for section in sections]
    assert section_loudness(audio, sample_rate=SR, sections=as_dicts) == rows
    times, lufs = loudness_curve(audio, sample_rate=SR, hop_s=0.5)
    assert times.shape == lufs.shape
    assert lufs[-1] > lufs[0] + 10


def test_analyze_audio_timing_on_four_minutes(capsys):
    mix = (0.05 * _rng(7).standard_normal((2, 240 * SR))).astype(np.float32)
    analyze_audio(mix[:, : SR * 5], sample_rate=SR)  # warm caches (filters, FFT plans)
    started, cpu = time.perf_counter(), time.process_time()
    analyze_audio(mix, sample_rate=SR)
    with capsys.disabled():
        print(
            f"\nanalyze_audio, 4 min stereo noise at 44.1 kHz: "
            f"{time.perf_counter() - started:.2f} s wall, {time.process_time() - cpu:.2f} s CPU"
        )


# ---------------------------------------------------------------- stems


def test_clean_stem_reads_clean():
    stem = analyze_stem(_pink(5.0, channels=2), sample_rate=SR, name="keys")
    assert stem.name == "keys"
    assert stem.clipped_samples == 0 and not stem.looks_limited and not stem.is_silent
    assert abs(stem.dc_offset) < 1e-3
    assert stem.active_pct > 95.0


def test_clipped_stem_is_detected():
    hot = np.clip(_sine(110.0, 3.0, amplitude=1.6), -1.0, 1.0)
    stem = analyze_stem(hot, sample_rate=SR, name="bass")
    assert stem.clipped_samples > 1000
    assert stem.clipped_runs >= 300  # two flat tops per cycle, 110 Hz, 3 s
    single_touch = _sine(110.0, 3.0, amplitude=1.0)
    assert analyze_stem(single_touch, sample_rate=SR, name="ok").clipped_samples == 0


def test_dc_offset_is_detected():
    stem = analyze_stem(_sine(220.0, 2.0, amplitude=0.3) + 0.05, sample_rate=SR, name="gtr")
    assert stem.dc_offset == pytest.approx(0.05, abs=1e-3)


def test_silent_stem():
    stem = analyze_stem(np.zeros((2, SR * 2), dtype=np.float32), sample_rate=SR, name="fx")
    assert stem.is_silent and stem.active_pct == 0.0
    json.loads(stem.model_dump_json())
    faint = analyze_stem(_pink(2.0) * 1e-5, sample_rate=SR, name="hiss")
    assert faint.is_silent


def _drum_hits(seconds: float) -> np.ndarray:
    rng = _rng(3)
    n, hit = int(seconds * SR), int(0.3 * SR)
    audio = np.zeros(n, dtype=np.float32)
    envelope = np.exp(-np.arange(hit) / SR / 0.05)
    for k in range(int(seconds * 4)):
        start = int(k * 0.25 * SR)
        burst = rng.uniform(0.2, 0.9) * rng.standard_normal(hit) * envelope
        audio[start : start + hit] += burst[: n - start].astype(np.float32)
    return (0.5 * audio / np.abs(audio).max())[np.newaxis]


def test_limited_stem_is_flagged_but_dynamic_and_steady_ones_are_not():
    import pedalboard

    drums = _drum_hits(12.0)
    limiter = pedalboard.Pedalboard(
        [pedalboard.Gain(gain_db=18.0), pedalboard.Limiter(threshold_db=-1.0, release_ms=50.0)]
    )
    limited = limiter(drums, SR)
    assert analyze_stem(limited, sample_rate=SR, name="drums").looks_limited
    assert not analyze_stem(drums, sample_rate=SR, name="drums").looks_limited
    steady_pad = _sine(220.0, 12.0, 0.3) + _sine(330.0, 12.0, 0.2)
    assert not analyze_stem(steady_pad, sample_rate=SR, name="pad").looks_limited


def test_real_stems_are_not_flagged(song_1):
    import soundfile as sf

    for path in sorted(song_1.glob("*.flac"))[:3]:
        data, rate = sf.read(path, dtype="float32", always_2d=True)
        stem = analyze_stem(data.T, sample_rate=rate, name=path.stem)
        assert not stem.is_silent and stem.clipped_samples == 0 and not stem.looks_limited
