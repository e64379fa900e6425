"""The clean-up stages' fast paths against the plain computation they stand for (within a
stated tolerance), and the full chain on planted faults still meeting issue 18's aims."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.ndimage import maximum_filter1d, uniform_filter
from scipy.signal import butter, sosfilt

from mixchat.dsp.cleanup.chain import clean_audio
from mixchat.dsp.cleanup.dc import dc_stage
from mixchat.dsp.cleanup.detect import detect_faults
from mixchat.dsp.cleanup.frames import sliding_max
from mixchat.dsp.cleanup.hum_removal import (
    LINE_READS_PER_HZ,
    _interpolated,
    _smoothed,
    _smoothed_every,
    notch_kernel,
)
from mixchat.dsp.cleanup.noise import box_sum, hold_after
from mixchat.dsp.cleanup.sidechain import (
    DynamicBandStage,
    NativeBand,
    band_envelope,
    band_envelope_over,
    bandpass_sos,
    lowpass_sos,
)
from mixchat.dsp.cleanup.spec import DcRemoval, DeEsser
from mixchat.dsp.cleanup.stream import whole
from mixchat.dsp.state import MixState, TrackState
from mixchat.tools.catalog import ToolCall, ToolContext, apply_calls
from tests.test_cleanup import _stem

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from cleanup_faults import plant_hum, plant_noise  # noqa: E402

LOW_RATE = 44100 / 12  # hum removal's low rate for harmonics up to 1200 Hz


def test_a_line_smoothed_on_a_coarse_grid_is_the_full_smoothing() -> None:
    """A hum line (0.03 Hz off, at baseband) comes back within 1e-5 of its level; loud
    music around it (broadband, 23 dB over the line, and a partial 3 Hz off) leaves an
    error under 1 % of the line (what the notch's skirt lets through, misplaced: 60 dB
    under the music), from any start on the grid."""
    rng = np.random.default_rng(0)
    samples = int(20 * LOW_RATE)
    t = np.arange(samples) / LOW_RATE
    line = 0.01 * np.exp(2j * np.pi * 0.03 * t)
    music = 0.1 * (rng.standard_normal(samples) + 1j * rng.standard_normal(samples))
    music += 0.2 * np.exp(2j * np.pi * 3.0 * t)
    for width_hz in (1.0, 4.0):
        kernel = notch_kernel(width_hz=width_hz, rate_hz=LOW_RATE)
        every = int(LOW_RATE / (LINE_READS_PER_HZ * width_hz))
        inside = slice(kernel.size, -kernel.size)
        for values, tolerance in ((line, 1e-5), (line + music, 1e-2)):
            values = values.astype(np.complex64)[None]
            full = _smoothed(values, kernel)
            for first in (0, 5, every - 1):
                grid = {"every": every, "first": first}
                coarse = _smoothed_every(values, kernel, **grid)
                read = _interpolated(coarse, samples=samples, **grid)
                assert read.shape == full.shape
                assert np.abs(read - full)[0, inside].max() <= tolerance * 0.01


def test_dc_removal_takes_the_offset_and_drift_and_leaves_the_music_flat() -> None:
    """Worked on block means, the removal still takes a constant offset whole and slow
    drift well down, and passes every frequency from 25 Hz up within 0.05 dB."""
    rate = 44100
    t = np.arange(6 * rate) / rate
    settled = slice(2 * rate, 4 * rate)  # clear of the ends (the removal reads 0.2 s ahead)

    def gain_db(freq_hz: float) -> float:
        tone = np.stack([np.sin(2 * np.pi * freq_hz * t), np.cos(2 * np.pi * freq_hz * t)])
        out = whole([dc_stage(DcRemoval(), sample_rate=rate)], tone.astype(np.float32))
        return 10 * math.log10(np.mean(out[:, settled] ** 2) / np.mean(tone[:, settled] ** 2))

    assert gain_db(0.5) < -25.0 and gain_db(1.0) < -15.0
    for freq_hz in (25.0, 31.5, 50.0, 100.0, 401.0, 1000.0, 15000.0):
        assert abs(gain_db(freq_hz)) < 0.05, freq_hz
    music = 0.3 * np.sin(2 * np.pi * 220 * t) + 0.02
    out = whole([dc_stage(DcRemoval(), sample_rate=rate)], music[None].astype(np.float32))
    assert abs(float(out[0, settled].mean())) < 1e-5


def test_the_sliding_maximum_is_the_windows_maximum() -> None:
    rng = np.random.default_rng(3)
    for size in (5, 48, 97, 1000):
        values = rng.standard_normal(size).astype(np.float32)
        for width in (1, 2, 48, 50):
            if width <= size:
                windows = np.lib.stride_tricks.sliding_window_view(values, width)
                assert np.array_equal(sliding_max(values, width), windows.max(axis=1))


def test_the_noise_gates_box_sums_are_scipys_filters() -> None:
    rng = np.random.default_rng(1)
    power = rng.random((60, 33)).astype(np.float32)
    mean = box_sum(box_sum(power, 3, axis=0), 5, axis=1) / np.float32(15)
    np.testing.assert_allclose(mean, uniform_filter(power, (3, 5), mode="nearest"), rtol=1e-6)
    on = rng.random((60, 33)) > 0.85
    # the gate holds HOLD frames after a sound: scipy's window shifted back by its origin
    held = maximum_filter1d(on.astype(np.uint8), 3, axis=0, origin=1, mode="nearest")
    assert np.array_equal(hold_after(on, 2), held.astype(bool))


def _envelope_case(seed: int) -> tuple[np.ndarray, float]:
    """Two channels of quiet noise with a few loud bursts, and a threshold between."""
    rng = np.random.default_rng(seed)
    band = 0.003 * rng.standard_normal((2, 40000)).astype(np.float32)
    for start in rng.integers(0, 39000, 6):
        band[:, start : start + 400] *= 80.0
    return band, 10.0 ** (-40.0 / 10.0)


@pytest.mark.parametrize("attack_ms", [0.1, 1.0, 20.0])
def test_the_envelope_is_worked_out_near_the_threshold_as_the_full_one(attack_ms: float) -> None:
    """Over the threshold the envelope is the full one-pole's within float32 precision;
    elsewhere it is zero only where the full one stays under the threshold; fed in blocks
    (of any length against its groups), its state carries as the full one's does."""
    for seed in range(4):
        band, threshold = _envelope_case(seed)
        full, full_state = band_envelope(band, attack_ms=attack_ms, sample_rate=44100)
        fast, fast_state = band_envelope_over(
            band, threshold=threshold, attack_ms=attack_ms, sample_rate=44100
        )
        over = full > threshold
        assert over.any() and (~over).any()
        np.testing.assert_allclose(fast[over], full[over], rtol=1e-5)
        assert np.all(fast[~over] <= threshold)
        np.testing.assert_allclose(fast_state, full_state, rtol=1e-5, atol=1e-12)
        state, parts = None, []
        for start in range(0, band.shape[1], 7001):
            part, state = band_envelope_over(
                band[:, start : start + 7001],
                threshold=threshold,
                attack_ms=attack_ms,
                sample_rate=44100,
                zi=state,
            )
            parts.append(part)
        np.testing.assert_allclose(np.concatenate(parts)[over], full[over], rtol=1e-5)


def test_the_native_band_filters_are_the_sections_in_any_block_size() -> None:
    """pedalboard's low-pass, and the band-pass read from its peak filter, give the float32
    sections' samples within rounding, fed whole or in blocks of any size."""
    rate = 44100
    audio = 0.3 * np.random.default_rng(4).standard_normal((2, 30000)).astype(np.float32)
    for native, sos in (
        (NativeBand.lowpass(150.0, sample_rate=rate), lowpass_sos(150.0, rate)),
        (NativeBand.bandpass(7000.0, 1.4, sample_rate=rate), bandpass_sos(7000.0, 1.4, rate)),
    ):
        expected = sosfilt(sos.astype(np.float32), audio, axis=-1)  # what the stage ran
        whole = native.process(audio)
        assert np.abs(whole - expected).max() < 1e-5 * np.abs(expected).max()
        for block in (1, 7, 4410):
            native.reset()
            parts = [native.process(audio[:, s : s + block]) for s in range(0, 30000, block)]
            np.testing.assert_allclose(np.concatenate(parts, axis=1), whole, rtol=0, atol=1e-7)
        native.reset()  # a block longer than the ones before it (pedalboard prepares again)
        parts = [native.process(audio[:, a:b]) for a, b in ((0, 10), (10, 5000), (5000, 30000))]
        np.testing.assert_allclose(np.concatenate(parts, axis=1), whole, rtol=0, atol=1e-7)


def test_the_release_spans_are_the_running_maximum_over_the_whole_block() -> None:
    """r[n] = max(g[n], r[n-1] - rate): the spans' reductions within 1e-3 dB of the formula
    run over every sample, zero outside them, and the release carried between blocks."""
    stage = DynamicBandStage(
        DeEsser(threshold_db=-30.0),
        NativeBand.bandpass(7000.0, 1.4, sample_rate=44100),
        sample_rate=44100,
    )
    rng = np.random.default_rng(2)
    threshold = 10.0 ** (-30.0 / 10.0)
    carried = 0.0
    for _ in range(30):
        power = (10 ** (rng.uniform(-60, -10, 20000) / 10)).astype(np.float32)
        power *= rng.random(20000) < rng.uniform(0.0, 0.005)
        level = 10 * np.log10(np.maximum(power, 1e-30))
        wanted = np.where(power > threshold, np.minimum((level + 30.0) * (1 - 1 / 6.0), 15.0), 0.0)
        expected = np.empty(power.size)
        for n, g in enumerate(wanted):
            carried = max(g, carried - stage.rate_db)
            expected[n] = carried
        got = stage.reduction_db(power)
        assert np.abs(got - expected).max() <= 1e-3


def test_the_full_chain_on_a_vocal_with_hum_and_noise_meets_the_aims() -> None:
    """The bench's chain (DC, hum, de-click, noise, plosives, de-esser) on a vocal with
    60 Hz hum (5 harmonics, -35 dB) and noise 40 dB under it: the hum on the lines where
    it is heard down 25 dB or more, the noise in the quiet passages (over the hum's band)
    10 dB or more."""
    clean, rate = _stem("songs", "song_1", "Lead_Vocal_Main.flac", seconds=30)
    noisy, info_noise = plant_noise(clean, rate, level_db=-40, rng=np.random.default_rng(0))
    faulty, info = plant_hum(
        noisy, rate, f0=60.0, harmonics=5, level_db=-35, rng=np.random.default_rng(1)
    )
    faults = detect_faults(faulty, sample_rate=rate, role="vocal")
    assert {"hum", "noise"} <= set(faults.found())
    calls = [
        ToolCall(tool=tool, args={"track": "vocal", **args})
        for tool, args in [
            ("remove_dc", {}),
            ("remove_hum", {"fundamental_hz": 60.0}),
            ("declick", {}),
            ("reduce_noise", {}),
            ("control_plosives", {"threshold_db": -20.0}),
            ("de_ess", {"threshold_db": -30.0}),
        ]
    ]
    state, _ = apply_calls(
        MixState(tracks=(TrackState(name="vocal", role="vocal"),)),
        calls,
        ToolContext(sample_rate=rate, faults=lambda name: faults),
    )
    cleanup = state.track("vocal").cleanup
    assert len(cleanup.stages()) == 6
    cleaned = clean_audio(faulty, cleanup, sample_rate=rate)
    # the hum's lines at its own wandering phase, the first and last second left out
    span = slice(rate, clean.shape[1] - rate)
    k = np.arange(1, info["harmonics"] + 1)
    phase = 2 * math.pi * np.outer(info["cycles"][span], k)
    basis = np.concatenate([np.cos(phase), np.sin(phase)], axis=1)

    def on_lines(audio: np.ndarray) -> np.ndarray:
        coeffs, *_ = np.linalg.lstsq(basis, audio.mean(axis=0)[span], rcond=None)
        return coeffs[: k.size] ** 2 + coeffs[k.size :] ** 2

    # the lines where the hum stands 10 dB over the voice's own content (the others are
    # the voice's to keep: no measure there tells hum from singing)
    hum = on_lines(faulty - noisy)
    heard = hum > 10 * on_lines(clean)
    assert heard.sum() >= 2
    left = on_lines(cleaned - noisy)[heard].sum()
    assert 10 * np.log10(hum[heard].sum() / left) >= 25.0
    # the noise left where the voice is silent (its first and last second left out, as
    # above), over 1 kHz: the hum's lines and what the notches take around them are below
    quiet = np.abs(clean).max(axis=0) == 0.0
    quiet[:rate] = quiet[-rate:] = False
    highs = butter(4, 1000.0, btype="highpass", fs=rate, output="sos")
    noise = sosfilt(highs, info_noise["noise"])[:, quiet]
    left = sosfilt(highs, cleaned - clean)[:, quiet]
    assert quiet.sum() >= 5 * rate
    assert 10 * np.log10(np.mean(noise**2) / np.mean(left**2)) >= 10.0
