"""The clean-up detectors' cheaper paths against the plain computation they stand for: the
noise meter's frame powers by Parseval against the summed spectrum, the running median and
dilation against scipy.ndimage's filters (no longer imported when detecting), and a
FaultMeter's hum meter reading the DC meter's block powers against one measuring its own."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import maximum_filter1d, median_filter

from mixchat.dsp.cleanup.detect import detect_faults
from mixchat.dsp.cleanup.frames import FrameStream, dilated, running_median
from mixchat.dsp.cleanup.hum import detect_hum
from mixchat.dsp.cleanup.noise import _broadband_powers, _powers, frame_size
from tests.test_cleanup import _stem


def test_the_noise_frames_power_by_parseval_is_the_summed_spectrum() -> None:
    rate = 44100
    size = frame_size(rate)
    rng = np.random.default_rng(3)
    mono = (0.1 * rng.standard_normal(rate * 3)).astype(np.float32)
    mono[: rate // 2] += 0.3  # an offset: the DC bin holds much of those frames' power
    mono[rate : rate + size] = np.float32(0.2) * (-1.0) ** np.arange(size)  # Nyquist's
    mono[2 * rate :] *= np.float32(1e-4)  # a quiet floor
    frames = FrameStream(size, size // 2).push(mono)
    plain = _powers(frames, size).sum(axis=1)
    np.testing.assert_allclose(_broadband_powers(frames, size), plain, rtol=2e-6)


def test_the_running_median_and_dilation_are_scipys_filters() -> None:
    rng = np.random.default_rng(4)
    for count in (4, 30, 1000):
        values = rng.standard_normal(count) * 20.0
        for size in (s for s in (3, 25, 51) if s <= count):  # scipy's reads garbage past that
            np.testing.assert_array_equal(
                running_median(values, size=size), median_filter(values, size=size)
            )
        flags = rng.random(count) < 0.05
        for reach in (0, 1, 5, 40):
            expected = maximum_filter1d(flags.astype(np.int8), 2 * reach + 1).astype(bool)
            np.testing.assert_array_equal(dilated(flags, reach=reach), expected)


def test_a_fault_meters_hum_reading_the_dc_blocks_finds_what_it_finds_alone() -> None:
    audio, rate = _stem("songs", "song_1", "Keys_Piano.flac", seconds=20.0)
    t = np.arange(audio.shape[1]) / rate
    hum = 0.003 * np.sin(2 * np.pi * 60.02 * t) + 0.002 * np.sin(2 * np.pi * 120.04 * t + 1.0)
    faulty = (audio + hum).astype(np.float32)
    alone = detect_hum(faulty, sample_rate=rate)
    assert alone.found, alone
    assert detect_faults(faulty, sample_rate=rate, role="keys").hum == alone
