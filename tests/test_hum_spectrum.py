"""The hum detector's long spectrum: its stretches windowed as a whole-array Hann would."""

from __future__ import annotations

import numpy as np

from mixchat.dsp import fft
from mixchat.dsp.cleanup.hum import _LongSpectrum, _top_bin


def test_the_long_spectrum_is_the_mean_of_its_hann_stretches_and_lets_the_window_go() -> None:
    """Stretches of 4096 samples, half overlapping, the last one ending at the signal's end:
    their mean power spectrum, each made from np.hanning and zero-padded to twice its length,
    is what the stream gives, fed in blocks of any size; the window is not kept after."""
    segment = 4096
    rng = np.random.default_rng(7)
    t = np.arange(5 * segment + 1000) / 4000.0
    low = (np.sin(2 * np.pi * 60.0 * t) + 0.3 * rng.standard_normal(t.size)).astype(np.float32)
    starts = [*range(0, low.size - segment + 1, segment // 2), low.size - segment]
    window = np.hanning(segment)
    size = fft.next_fast_len(2 * segment, real=True)
    powers = [
        np.square(
            np.abs(np.fft.rfft(low[s : s + segment] * window, n=size)[: _top_bin(size)])
            / (window.sum() / 2.0)
        )
        for s in starts
    ]
    expected = np.sqrt(np.mean(powers, axis=0))
    for block in (333, segment, low.size):
        spectrum = _LongSpectrum(segment)
        for lo in range(0, low.size, block):
            spectrum.push(low[lo : lo + block])
        amplitude = spectrum.amplitude()
        np.testing.assert_allclose(amplitude, expected, rtol=1e-9, atol=1e-12)
        assert spectrum._window is None
