"""Long-term spectrum measures: band energies and shares, spectral centroid and tilt.

Everything is measured on the mono sum (mean of the channels) so a mono file and the same
file copied to two channels read the same. Powers are mean-square values (a full-scale sine
is -3.01 dB); dB values are floored at ``FLOOR_DB`` so silence stays finite and JSON-safe.

The public measures take audio; the ``*_from_spectrum`` twins take ``(freqs_hz, psd)`` from
``power_spectrum`` so a caller that needs several measures computes the spectrum once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from typing import overload

import numpy as np

from mixchat.dsp import fft
from mixchat.dsp.errors import StateError

BANDS_HZ: dict[str, tuple[float, float]] = {
    "sub": (20.0, 60.0),
    "low": (60.0, 250.0),
    "low_mid": (250.0, 500.0),
    "mid": (500.0, 2000.0),
    "presence": (2000.0, 6000.0),
    "air": (6000.0, 20000.0),
}
FLOOR_DB = -120.0
_FLOOR_POWER = 10.0 ** (FLOOR_DB / 10.0)
_FRAMES_PER_CHUNK = 64
_OVERLAP_BELOW_S = 30.0  # shorter signals get 50 % overlapping frames, longer ones none
THIRD_OCTAVE_FLOOR_DB = -300.0  # third_octave_spectrum's floor (a power of 1e-30)


@overload
def power_db(power: float) -> float: ...
@overload
def power_db(power: np.ndarray) -> np.ndarray: ...
def power_db(power: float | np.ndarray) -> float | np.ndarray:
    """10*log10(power), floored at FLOOR_DB."""
    value = 10.0 * np.log10(np.maximum(power, _FLOOR_POWER))
    return float(value) if np.ndim(value) == 0 else value


def as_channels(audio: np.ndarray) -> np.ndarray:
    """Audio as a 2-D (channels, samples) array; a 1-D array is read as mono."""
    array = np.asarray(audio)
    if array.ndim == 1:
        array = array[np.newaxis, :]
    if array.ndim != 2 or array.shape[0] < 1:
        raise StateError(f"audio shape={array.shape} must be (channels, samples)")
    return array


def mono_sum(audio: np.ndarray) -> np.ndarray:
    """Mean of the channels, float32, shape (samples,); for mono input this is a view of the
    input (read it, do not write to it)."""
    channels = as_channels(audio).astype(np.float32, copy=False)
    if channels.shape[0] == 1:
        return channels[0]
    if channels.shape[0] == 2:
        return (channels[0] + channels[1]) * np.float32(0.5)
    return channels.mean(axis=0, dtype=np.float32)


def _check_rate(sample_rate: float) -> None:
    if not sample_rate or sample_rate <= 0:
        raise StateError(f"sample_rate={sample_rate!r} must be > 0 Hz")


def power_spectrum(
    signals: np.ndarray, *, sample_rate: float, n_fft: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """Welch power spectral density of each row of ``signals`` (1-D or (rows, samples)).

    Hann frames; 50 % overlap for short signals, none for long ones (the long-term average is
    stable either way and this halves the cost). Returns ``(freqs_hz, psd)`` with ``psd`` in
    power per Hz, shaped like the input's leading axes, so that ``psd.sum() * df`` is the mean
    square of the signal.
    """
    rows = np.atleast_2d(np.asarray(signals, dtype=np.float32))
    freqs, psd = _welch(rows, None, sample_rate=sample_rate, n_fft=n_fft)
    return freqs, psd[0] if np.ndim(signals) == 1 else psd


def mono_power_spectrum(
    audio: np.ndarray, *, sample_rate: float, n_fft: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """``power_spectrum(mono_sum(audio))``, the mono sum made frame by frame (no copy)."""
    return _squeezed(_welch(as_channels(audio), _mono_rows, sample_rate=sample_rate, n_fft=n_fft))


def mid_side_power_spectra(
    audio: np.ndarray, *, sample_rate: float, n_fft: int = 4096
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(freqs_hz, mid_psd, side_psd)`` of the first two channels (mid = (L + R) / 2, the
    mono sum; side = (L - R) / 2), made frame by frame; the side is zeros for mono input."""
    channels = as_channels(audio)
    if channels.shape[0] < 2:
        freqs, mid = mono_power_spectrum(channels, sample_rate=sample_rate, n_fft=n_fft)
        return freqs, mid, np.zeros_like(mid)
    freqs, psd = _welch(channels[:2], _mid_side_rows, sample_rate=sample_rate, n_fft=n_fft)
    return freqs, psd[0], psd[1]


def mono_rows(frames: np.ndarray) -> np.ndarray:
    """The mono sum of (channels, frames, n) frames as ``mono_sum`` makes it, (1, frames, n)."""
    return _mono_rows(frames)


def mid_side_rows(frames: np.ndarray) -> np.ndarray:
    """Mid and side ((L + R) / 2, (L - R) / 2) of (2+, frames, n) frames, (2, frames, n)."""
    return _mid_side_rows(frames)


def frame_powers(
    frames: np.ndarray, rows_of: Callable[[np.ndarray], np.ndarray] | None, window: np.ndarray
) -> np.ndarray:
    """Summed |FFT|^2 (float64) of Hann-windowed frames, (rows, n_fft // 2 + 1): the sums
    ``power_spectrum`` averages (``rows_of`` makes the rows, e.g. ``mono_rows``)."""
    return _frame_powers(frames, rows_of, window)


def _squeezed(spectrum: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    return spectrum[0], spectrum[1][0]


def _mono_rows(frames: np.ndarray) -> np.ndarray:
    """The mono sum (as ``mono_sum`` makes it) of (channels, frames, n) frames, (1, frames, n)."""
    if frames.shape[0] == 1:
        return frames.astype(np.float32)
    if frames.shape[0] == 2:
        mono = np.add(frames[0], frames[1], dtype=np.float32)
        mono *= np.float32(0.5)
        return mono[np.newaxis]
    return frames.mean(axis=0, dtype=np.float32)[np.newaxis]


def _mid_side_rows(frames: np.ndarray) -> np.ndarray:
    out = np.empty((2, *frames.shape[1:]), dtype=np.float32)
    np.add(frames[0], frames[1], out=out[0], dtype=np.float32)
    np.subtract(frames[0], frames[1], out=out[1], dtype=np.float32)
    out *= np.float32(0.5)
    return out


def _welch(
    channels: np.ndarray,
    rows_of: Callable[[np.ndarray], np.ndarray] | None,
    *,
    sample_rate: float,
    n_fft: int,
) -> tuple[np.ndarray, np.ndarray]:
    """``power_spectrum`` of the rows ``rows_of`` makes from each chunk of ``channels``'
    frames (of the channels themselves when None), one chunk of frames at a time."""
    _check_rate(sample_rate)
    if n_fft < 16:
        raise StateError(f"n_fft={n_fft} must be >= 16")
    length = channels.shape[-1]
    if length < n_fft:
        channels = np.pad(channels, ((0, 0), (0, n_fft - length)))
    hop = n_fft // 2 if length < _OVERLAP_BELOW_S * sample_rate else n_fft
    window = np.hanning(n_fft).astype(np.float32)
    frames = np.lib.stride_tricks.sliding_window_view(channels, n_fft, axis=-1)[:, ::hop, :]
    chunks = range(0, frames.shape[1], _FRAMES_PER_CHUNK)
    total = reduce(
        np.add,
        (_frame_powers(frames[:, s : s + _FRAMES_PER_CHUNK], rows_of, window) for s in chunks),
    )
    psd = total / (frames.shape[1] * sample_rate * float(np.sum(window**2)))
    psd[:, 1:-1] *= 2.0  # one-sided
    if length < n_fft:
        psd *= n_fft / max(length, 1)
    return np.fft.rfftfreq(n_fft, d=1.0 / sample_rate), psd


def _frame_powers(
    frames: np.ndarray, rows_of: Callable[[np.ndarray], np.ndarray] | None, window: np.ndarray
) -> np.ndarray:
    """Summed |FFT|^2 (float64) of the windowed frames of each row, (rows, n_fft // 2 + 1)."""
    if rows_of is None:
        chunk = frames * window
    else:
        chunk = rows_of(frames)
        chunk *= window
    parts = fft.rfft(chunk, overwrite_x=True).view(np.float32)  # re, im interleaved
    parts *= parts
    summed = parts.sum(axis=1, dtype=np.float64)
    return summed[:, 0::2] + summed[:, 1::2]


def average_spectrum_db(
    audio: np.ndarray, *, sample_rate: float, n_fft: int = 4096
) -> tuple[np.ndarray, np.ndarray]:
    """Long-term power spectrum of the mono sum: ``(freqs_hz, power_db)`` (dB per bin)."""
    freqs, psd = power_spectrum(mono_sum(audio), sample_rate=sample_rate, n_fft=n_fft)
    return freqs, power_db(psd * (freqs[1] - freqs[0]))


def range_power(freqs: np.ndarray, psd: np.ndarray, low_hz: float, high_hz: float) -> float:
    """Mean-square power of the spectrum between ``low_hz`` and ``high_hz`` (linear)."""
    if high_hz <= low_hz:
        raise StateError(f"high_hz={high_hz} must be above low_hz={low_hz}")
    inside = (freqs >= low_hz) & (freqs < high_hz)
    return float(psd[..., inside].sum(axis=-1) * (freqs[1] - freqs[0]))


def band_energies_from_spectrum(freqs: np.ndarray, psd: np.ndarray) -> dict[str, float]:
    return {name: power_db(range_power(freqs, psd, lo, hi)) for name, (lo, hi) in BANDS_HZ.items()}


def band_shares_from_spectrum(freqs: np.ndarray, psd: np.ndarray) -> dict[str, float]:
    powers = {name: range_power(freqs, psd, lo, hi) for name, (lo, hi) in BANDS_HZ.items()}
    total = sum(powers.values())
    if total <= _FLOOR_POWER:
        return dict.fromkeys(BANDS_HZ, FLOOR_DB)
    return {name: power_db(power / total) for name, power in powers.items()}


def centroid_from_spectrum(freqs: np.ndarray, psd: np.ndarray) -> float:
    inside = (freqs >= 20.0) & (freqs <= 20000.0)
    weights = psd[inside]
    total = float(weights.sum())
    if total <= 0.0:
        return 0.0
    return float((freqs[inside] * weights).sum() / total)


def third_octave_levels_db(
    freqs: np.ndarray, psd: np.ndarray, *, low_hz: float = 50.0, high_hz: float = 16000.0
) -> tuple[np.ndarray, np.ndarray]:
    """1/3-octave-smoothed spectral density (dB per Hz) at centres from low_hz to high_hz.

    Bands with no FFT bin in them (only at the lowest centres with coarse resolution) take
    the nearest bin's value."""
    centres = low_hz * 2.0 ** (np.arange(int(np.floor(3 * np.log2(high_hz / low_hz))) + 1) / 3)
    centres = centres[centres < freqs[-1] / 2 ** (1 / 6)]
    cumulative = np.concatenate(([0.0], np.cumsum(psd)))
    lo = np.searchsorted(freqs, centres * 2 ** (-1 / 6))
    hi = np.searchsorted(freqs, centres * 2 ** (1 / 6))
    hi = np.maximum(hi, lo + 1)
    density = (cumulative[hi] - cumulative[lo]) / (hi - lo)
    return centres, power_db(density)


def third_octave_spectrum(freqs: np.ndarray, psd: np.ndarray) -> dict[str, list[float]]:
    """Third-octave band powers (dB, 3 decimals, floored at THIRD_OCTAVE_FLOOR_DB) at 31
    centres from 20 Hz to 20 kHz, as ``{"centres_hz": [...], "power_db": [...]}``: what a
    mix's stored spectrum holds."""
    centres = 20.0 * 2.0 ** (np.arange(31) / 3)
    lo, hi = centres * 2 ** (-1 / 6), centres * 2 ** (1 / 6)
    step = freqs[1] - freqs[0]
    cumulative = np.concatenate(([0.0], np.cumsum(psd)))
    a, b = np.searchsorted(freqs, lo), np.searchsorted(freqs, hi)
    power = (cumulative[b] - cumulative[a]) * step
    return {
        "centres_hz": [round(float(c), 1) for c in centres],
        "power_db": [round(float(10 * np.log10(max(p, 1e-30))), 3) for p in power],
    }


def tilt_from_spectrum(freqs: np.ndarray, psd: np.ndarray) -> float:
    centres, levels = third_octave_levels_db(freqs, psd)
    if centres.size < 2 or np.all(levels <= FLOOR_DB):
        return 0.0
    slope, _ = np.polyfit(np.log2(centres), levels, 1)
    return float(slope)


def _mono_psd(audio: np.ndarray, sample_rate: float) -> tuple[np.ndarray, np.ndarray]:
    return power_spectrum(mono_sum(audio), sample_rate=sample_rate)


def band_energies_db(audio: np.ndarray, *, sample_rate: float) -> dict[str, float]:
    """Absolute power of each band of BANDS_HZ in dB (mean square of the mono sum)."""
    return band_energies_from_spectrum(*_mono_psd(audio, sample_rate))


def band_shares_db(audio: np.ndarray, *, sample_rate: float) -> dict[str, float]:
    """Each band's power relative to the sum over all bands, in dB (level-independent)."""
    return band_shares_from_spectrum(*_mono_psd(audio, sample_rate))


def spectral_centroid_hz(audio: np.ndarray, *, sample_rate: float) -> float:
    """Power-weighted mean frequency of the long-term spectrum over 20 Hz-20 kHz."""
    return centroid_from_spectrum(*_mono_psd(audio, sample_rate))


def spectral_tilt_db_per_octave(audio: np.ndarray, *, sample_rate: float) -> float:
    """Slope of the 1/3-octave-smoothed spectral density (dB/Hz) against log2 frequency,
    50 Hz-16 kHz. White noise reads 0, pink noise about -3; darker mixes read lower."""
    return tilt_from_spectrum(*_mono_psd(audio, sample_rate))


def band_energy_db(
    audio: np.ndarray, *, sample_rate: float, low_hz: float, high_hz: float
) -> float:
    """Power between ``low_hz`` and ``high_hz`` in dB (e.g. 2-5 kHz for harshness)."""
    if low_hz < 0 or high_hz <= low_hz:
        raise StateError(f"low_hz={low_hz}, high_hz={high_hz}: need 0 <= low_hz < high_hz")
    freqs, psd = _mono_psd(audio, sample_rate)
    return power_db(range_power(freqs, psd, low_hz, high_hz))
