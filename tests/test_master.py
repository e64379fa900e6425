"""Mastering lands on the loudness target under the true-peak ceiling, measured independently."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from scipy.signal import lfilter, resample_poly

from mixchat.dsp.errors import StateError
from mixchat.dsp.limiter import limit_true_peak, limit_true_peak_detailed
from mixchat.dsp.loudness import integrated_lufs, true_peak_dbtp
from mixchat.dsp.master import (
    PLATFORM_TARGETS_LUFS,
    apply_master_state,
    master_audio,
    parse_target,
)
from mixchat.dsp.reference import tonal_difference_db
from mixchat.dsp.state import Compressor, EqBand, MasterState

RATE = 44100


def dynamic_material(seconds: float = 8.0, seed: int = 3) -> np.ndarray:
    """Seeded noise bursts with sharp attacks over quiet sines: very peaky, wide dynamics."""
    rng = np.random.default_rng(seed)
    n = int(seconds * RATE)
    t = np.arange(n) / RATE
    bed = 0.05 * np.sin(2 * np.pi * 110 * t) + 0.03 * np.sin(2 * np.pi * 660 * t + 1.0)
    bursts = np.zeros(n)
    for start in rng.integers(0, n - RATE // 4, size=int(seconds * 3)):
        length = int(rng.integers(RATE // 50, RATE // 5))
        decay = np.exp(-np.arange(length) / (length / 4))
        bursts[start : start + length] += (
            rng.uniform(0.2, 0.9) * decay * rng.standard_normal(length)
        )
    left = bed + bursts
    right = bed + 0.8 * bursts + 0.01 * rng.standard_normal(n)
    return np.stack([left, right]).astype(np.float32) * 0.5


def stems_mix(folder, seconds: float = 15.0) -> tuple[np.ndarray, int]:
    parts, rate = [], RATE
    for path in sorted(folder.glob("*.flac")):
        audio, rate = sf.read(path, dtype="float32", always_2d=True, frames=int(seconds * 48000))
        parts.append(np.repeat(audio.T, 2, axis=0) if audio.shape[1] == 1 else audio.T)
    length = min(p.shape[1] for p in parts)
    return np.sum([p[:, :length] for p in parts], axis=0).astype(np.float32), rate


def assert_landed(audio: np.ndarray, rate: int, target: float, ceiling: float) -> None:
    assert abs(integrated_lufs(audio, sample_rate=rate) - target) <= 0.5
    assert true_peak_dbtp(audio, sample_rate=rate) <= ceiling + 1e-3
    assert audio.dtype == np.float32


@pytest.mark.parametrize("target", [-14.0, -16.0, -9.0, -23.0])
@pytest.mark.parametrize("ceiling", [-1.0, -2.0])
def test_master_lands_on_target_under_ceiling(target: float, ceiling: float) -> None:
    mix = dynamic_material()
    result = master_audio(mix, sample_rate=RATE, target_lufs=target, ceiling_dbtp=ceiling)
    assert_landed(result.audio, RATE, target, ceiling)
    assert result.output_lufs == pytest.approx(target, abs=0.2)
    assert result.true_peak_dbtp <= ceiling + 1e-3
    assert result.input_lufs == pytest.approx(integrated_lufs(mix, sample_rate=RATE))


@pytest.mark.parametrize("target", [-14.0, -9.0])
def test_master_of_the_song_stems(song_1, target: float) -> None:
    mix, rate = stems_mix(song_1)
    result = master_audio(mix, sample_rate=rate, target_lufs=target, ceiling_dbtp=-1.0)
    assert_landed(result.audio, rate, target, -1.0)


def test_master_with_eq_and_glue_still_lands() -> None:
    mix = dynamic_material(seconds=8.0)
    eq = (
        EqBand(kind="low_shelf", freq_hz=120, gain_db=3.0, q=0.7),
        EqBand(freq_hz=3000, gain_db=-2),
    )
    glue = Compressor(threshold_db=-20, ratio=2, attack_ms=30, release_ms=200, makeup_db=2)
    result = master_audio(mix, sample_rate=RATE, target_lufs=-12.0, eq=eq, glue=glue)
    assert_landed(result.audio, RATE, -12.0, -1.0)


def test_absurd_target_lands_with_a_note() -> None:
    mix = dynamic_material(seconds=5.0) * np.float32(0.05)
    result = master_audio(mix, sample_rate=RATE, target_lufs=-5.0, ceiling_dbtp=-1.0)
    assert_landed(result.audio, RATE, -5.0, -1.0)
    assert result.limiter_reduction_db > 12.0
    assert result.notes


def test_a_lone_click_stays_finite_under_the_ceiling_with_a_note() -> None:
    """Limiting makes a click's loudness all but deaf to gain: the search must not chase the
    target to infinite gain (it used to overflow float32 and warn about NaN)."""
    click = np.zeros((2, 3 * RATE), dtype=np.float32)
    click[:, RATE] = 1.0
    with np.errstate(over="raise", invalid="raise"):
        result = master_audio(click, sample_rate=RATE, target_lufs=-14.0, ceiling_dbtp=-1.0)
    assert np.all(np.isfinite(result.audio))
    assert true_peak_dbtp(result.audio, sample_rate=RATE) <= -1.0 + 1e-3
    assert any("off the -14.0 LUFS target" in note for note in result.notes)


def test_a_dc_offset_is_taken_out_so_the_target_is_reached() -> None:
    offset = dynamic_material(seconds=5.0) * np.float32(0.3) + np.float32(0.4)
    result = master_audio(offset, sample_rate=RATE, target_lufs=-9.0, ceiling_dbtp=-1.0)
    assert_landed(result.audio, RATE, -9.0, -1.0)
    assert np.max(np.abs(result.audio.mean(axis=1))) < 0.01  # from 0.4
    assert any("DC offset of +0.400" in note for note in result.notes)


def test_reference_match_moves_loudness_and_tone() -> None:
    mix = dynamic_material(seconds=8.0, seed=5)
    dark = lfilter([0.15], [1.0, -0.85], dynamic_material(seconds=8.0, seed=9), axis=-1)
    reference = master_audio(dark.astype(np.float32), sample_rate=RATE, target_lufs=-11.0).audio
    ref_lufs = integrated_lufs(reference, sample_rate=RATE)
    before = np.abs(tonal_difference_db(mix, reference, sample_rate=RATE)).mean()
    result = master_audio(mix, sample_rate=RATE, target_lufs=-20.0, reference=reference)
    after = np.abs(tonal_difference_db(result.audio, reference, sample_rate=RATE)).mean()
    assert abs(integrated_lufs(result.audio, sample_rate=RATE) - ref_lufs) <= 0.5
    assert after < 0.75 * before
    assert true_peak_dbtp(result.audio, sample_rate=RATE) <= -1.0 + 1e-3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("spotify", -14.0),
        ("Apple", -16.0),
        ("YOUTUBE", -14.0),
        ("club", -9.0),
        ("-14", -14.0),
        ("-14.5", -14.5),
        (" -23 ", -23.0),
        ("-9 LUFS", -9.0),
    ],
)
def test_parse_target_accepts_names_and_numbers(text: str, expected: float) -> None:
    assert parse_target(text) == expected


@pytest.mark.parametrize("text", ["loud", "", "14dB", "-100", "spotify2"])
def test_parse_target_refuses_the_rest(text: str) -> None:
    with pytest.raises(StateError, match="target="):
        parse_target(text)


def test_platform_targets() -> None:
    assert PLATFORM_TARGETS_LUFS == {
        "spotify": -14.0,
        "apple": -16.0,
        "youtube": -14.0,
        "club": -9.0,
    }


@pytest.mark.parametrize("ceiling", [-1.0, -2.0, -6.0])
def test_limiter_catches_intersample_peaks(ceiling: float) -> None:
    n = np.arange(RATE * 2)
    sine = 0.95 * np.sin(np.pi / 2 * n + np.pi / 4)  # samples at 0.67, true peak 0.95
    audio = np.stack([sine, sine]).astype(np.float32)
    assert true_peak_dbtp(audio, sample_rate=RATE) > ceiling
    limited = limit_true_peak(audio, sample_rate=RATE, ceiling_dbtp=ceiling)
    assert limited.shape == audio.shape and limited.dtype == np.float32
    assert true_peak_dbtp(limited, sample_rate=RATE) <= ceiling + 1e-3
    oversampled = np.abs(resample_poly(limited, 4, 1, axis=-1)).max()
    assert 20 * np.log10(oversampled) <= ceiling + 1e-3


def test_limiter_is_transparent_below_the_ceiling_and_linked() -> None:
    mix = dynamic_material(seconds=4.0)
    quiet = mix * np.float32(0.1)
    assert np.array_equal(limit_true_peak(quiet, sample_rate=RATE), quiet)
    result = limit_true_peak_detailed(mix * np.float32(4), sample_rate=RATE, ceiling_dbtp=-1.0)
    ratio = result.audio / np.where(mix == 0, 1, mix * 4)
    assert np.allclose(ratio[0][mix[0] != 0], (10 ** (result.gain_db / 20))[mix[0] != 0], rtol=1e-3)
    assert result.max_reduction_db > 0
    assert true_peak_dbtp(result.audio, sample_rate=RATE) <= -1.0 + 1e-3


def test_master_state_switches() -> None:
    mix = dynamic_material(seconds=6.0)
    off = apply_master_state(mix, sample_rate=RATE, master=MasterState(enabled=False))
    assert np.array_equal(off.audio, mix)
    assert off.output_lufs == pytest.approx(integrated_lufs(mix, sample_rate=RATE))
    ceiling_only = apply_master_state(
        mix * np.float32(3),
        sample_rate=RATE,
        master=MasterState(enabled=True, loudness_enabled=False, ceiling_dbtp=-2.0),
    )
    assert ceiling_only.gain_db == 0.0
    assert true_peak_dbtp(ceiling_only.audio, sample_rate=RATE) <= -2.0 + 1e-3
    on = apply_master_state(
        mix, sample_rate=RATE, master=MasterState(enabled=True, target_lufs=-16.0)
    )
    assert_landed(on.audio, RATE, -16.0, -1.0)


def test_silence_is_returned_with_a_note() -> None:
    quiet = np.zeros((2, RATE), dtype=np.float32)
    result = master_audio(quiet, sample_rate=RATE)
    assert np.array_equal(result.audio, quiet)
    assert result.notes
