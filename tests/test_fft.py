"""dsp.fft runs scipy's pocketfft without importing scipy.fft: the same values, bit for bit."""

import subprocess
import sys

import numpy as np
import pytest
import scipy.fft

from mixchat.dsp import fft

RNG = np.random.default_rng(7)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize(
    ("shape", "axis", "n"),
    [((4096,), -1, None), ((2, 37, 1024), -1, None), ((3, 5000), 1, 8192), ((64, 9), 0, 40)],
)
def test_real_transforms_match_scipy_bit_for_bit(dtype, shape, axis, n) -> None:
    signal = RNG.standard_normal(shape).astype(dtype)
    spectrum = fft.rfft(signal, n=n, axis=axis)
    assert np.array_equal(spectrum, scipy.fft.rfft(signal, n=n, axis=axis))
    assert spectrum.dtype == scipy.fft.rfft(signal, n=n, axis=axis).dtype
    assert np.array_equal(
        fft.irfft(spectrum, n=n, axis=axis), scipy.fft.irfft(spectrum, n=n, axis=axis)
    )
    assert np.array_equal(fft.irfft(spectrum, axis=axis), scipy.fft.irfft(spectrum, axis=axis))
    assert np.array_equal(
        fft.dct(signal, axis=axis, norm="ortho"), scipy.fft.dct(signal, axis=axis, norm="ortho")
    )


def test_complex_transforms_match_scipy_bit_for_bit() -> None:
    values = RNG.standard_normal((2, 3000)) + 1j * RNG.standard_normal((2, 3000))
    assert np.array_equal(fft.fft(values, n=4096), scipy.fft.fft(values, n=4096))
    spectrum = scipy.fft.fft(values, n=4096)
    expected = scipy.fft.ifft(spectrum.copy(), overwrite_x=True)
    assert np.array_equal(fft.ifft(spectrum.copy(), overwrite_x=True), expected)
    assert np.array_equal(fft.fft(values[0].real, n=5000), scipy.fft.fft(values[0].real, n=5000))
    for size in (1000, 4097, 96001):
        assert fft.next_fast_len(size, real=True) == scipy.fft.next_fast_len(size, real=True)
        assert fft.next_fast_len(size) == scipy.fft.next_fast_len(size)


def test_bad_sizes_quote_the_value() -> None:
    with pytest.raises(ValueError, match="n=0"):
        fft.rfft(np.ones(8), n=0)
    with pytest.raises(TypeError, match="complex"):
        fft.rfft(np.ones(8, dtype=complex))


def test_measuring_a_spectrum_does_not_import_scipy_fft() -> None:
    code = (
        "import sys, numpy as np\n"
        "from mixchat.dsp.spectrum import power_spectrum\n"
        "power_spectrum(np.ones((2, 44100), np.float32), sample_rate=44100)\n"
        "print('scipy.fft' in sys.modules, 'scipy.special' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_without_the_extension_scipy_fft_answers(monkeypatch) -> None:
    monkeypatch.setattr(fft, "_pocketfft", lambda: None)
    signal = RNG.standard_normal((2, 1000)).astype(np.float32)
    assert np.array_equal(fft.rfft(signal, n=1024), scipy.fft.rfft(signal, n=1024))
    assert np.array_equal(fft.irfft(fft.rfft(signal)), scipy.fft.irfft(scipy.fft.rfft(signal)))
    assert np.array_equal(fft.ifft(fft.fft(signal)), scipy.fft.ifft(scipy.fft.fft(signal)))
    assert np.array_equal(fft.dct(signal, norm="ortho"), scipy.fft.dct(signal, norm="ortho"))
    assert fft.next_fast_len(1001, real=True) == scipy.fft.next_fast_len(1001, real=True)
