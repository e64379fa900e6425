"""Stereo image measures: width, correlation, mono compatibility and low-end width.

Mid is (L + R) / 2 and side is (L - R) / 2, so a mono signal has no side and a signal with
independent, equally loud channels has side as loud as mid (width 1). Mono input (one
channel) reads width 0 and correlation 1. Powers are summed in float64.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from mixchat.dsp.spectrum import FLOOR_DB, as_channels, power_db, power_spectrum, range_power

MAX_WIDTH = 100.0  # side/mid ratio reported when the mid cancels (channels in opposite polarity)
MONO_LOSS_FLOOR_DB = -60.0  # "cancels completely" when folded to mono
LOW_END_FROM_HZ = 20.0
_TINY = 1e-20


_CHUNK = 1 << 16


def _left_right(audio: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Left and right channels, or None for mono input (or one channel)."""
    channels = as_channels(audio)
    if channels.shape[0] < 2:
        return None
    return channels[0], channels[1]


class ChannelEnergies(NamedTuple):
    """Sums of squares of left, right, mid and side (mid = (L+R)/2, side = (L-R)/2)."""

    left: float
    right: float
    mid: float
    side: float


def channel_energies(audio: np.ndarray) -> ChannelEnergies:
    """Channel, mid and side energies in one pass; mono input counts as L = R (no side).

    Float32 dot products per chunk, accumulated in float64 across chunks."""
    channels = as_channels(audio).astype(np.float32, copy=False)
    pair = _left_right(channels)
    left, right = pair if pair is not None else (channels[0], channels[0])
    totals = np.zeros(4)
    for start in range(0, left.shape[0], _CHUNK):
        lchunk, rchunk = left[start : start + _CHUNK], right[start : start + _CHUNK]
        summed, difference = lchunk + rchunk, lchunk - rchunk
        totals += (
            np.dot(lchunk, lchunk),
            np.dot(rchunk, rchunk),
            0.25 * np.dot(summed, summed),
            0.25 * np.dot(difference, difference),
        )
    return ChannelEnergies(*(float(value) for value in totals))


def mid_side_from(energies: ChannelEnergies) -> tuple[float, float]:
    """Mid and side energies from ``channel_energies``."""
    return energies.mid, energies.side


def _ratio(side: float, mid: float) -> float:
    if side <= _TINY:
        return 0.0
    if mid <= _TINY:
        return MAX_WIDTH
    return min(side / mid, MAX_WIDTH)


def width_from(energies: ChannelEnergies) -> float:
    mid, side = mid_side_from(energies)
    return _ratio(side, mid)


def side_mid_db_from(energies: ChannelEnergies) -> float:
    mid, side = mid_side_from(energies)
    if side <= _TINY:
        return FLOOR_DB
    return float(power_db(side / max(mid, _TINY)))


def correlation_from(energies: ChannelEnergies) -> float:
    left, right, mid, side = energies
    if left <= _TINY and right <= _TINY:
        return 1.0
    if left <= _TINY or right <= _TINY:
        return 0.0
    return float(np.clip((mid - side) / np.sqrt(left * right), -1.0, 1.0))


def mono_compatibility_from(energies: ChannelEnergies) -> float:
    left, right, _, _ = energies
    stereo_power = 0.5 * (left + right)
    if stereo_power <= _TINY:
        return 0.0
    mid, _ = mid_side_from(energies)
    return max(float(power_db(mid / stereo_power)), MONO_LOSS_FLOOR_DB)


def scale_side(audio: np.ndarray, factor: float) -> np.ndarray:
    """Stereo ``audio`` with its side signal times ``factor`` (mid untouched): 0 folds it to
    mono, 1 returns it as it is, above 1 widens. Mono audio is returned as it is."""
    if factor == 1.0 or audio.shape[0] != 2:
        return audio
    mid = 0.5 * (audio[0] + audio[1])
    side = np.float32(0.5 * factor) * (audio[0] - audio[1])
    return np.stack([mid + side, mid - side]).astype(np.float32, copy=False)


def stereo_width(audio: np.ndarray) -> float:
    """Side energy over mid energy: 0 for mono, 1 for unrelated channels, large when out of
    phase (capped at MAX_WIDTH)."""
    return width_from(channel_energies(audio))


def side_mid_ratio_db(audio: np.ndarray) -> float:
    """Side level relative to mid level in dB (FLOOR_DB for mono)."""
    return side_mid_db_from(channel_energies(audio))


def correlation(audio: np.ndarray) -> float:
    """Zero-lag correlation of left and right in -1..1 (1 for mono or silence, 0 when one side
    is silent)."""
    return correlation_from(channel_energies(audio))


def mono_compatibility_db(audio: np.ndarray) -> float:
    """Level change in dB when the channels are folded to mono ((L+R)/2 against the average
    channel power): 0 for mono, about -3 for unrelated channels, down to MONO_LOSS_FLOOR_DB
    when they cancel. Negative means loss."""
    return mono_compatibility_from(channel_energies(audio))


def low_end_width_from_spectra(
    freqs: np.ndarray, mid_psd: np.ndarray, side_psd: np.ndarray, *, cutoff_hz: float = 150.0
) -> float:
    """Side/mid power ratio between 20 Hz and ``cutoff_hz`` from precomputed spectra."""
    mid = range_power(freqs, mid_psd, LOW_END_FROM_HZ, cutoff_hz)
    side = range_power(freqs, side_psd, LOW_END_FROM_HZ, cutoff_hz)
    return _ratio(side, mid)


def mid_side_spectra(
    audio: np.ndarray, *, sample_rate: float, n_fft: int = 4096
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(freqs_hz, mid_psd, side_psd)``; the side is zeros for mono input."""
    channels = as_channels(audio).astype(np.float32, copy=False)
    pair = _left_right(channels)
    if pair is None:
        freqs, mid_psd = power_spectrum(channels[0], sample_rate=sample_rate, n_fft=n_fft)
        return freqs, mid_psd, np.zeros_like(mid_psd)
    left, right = pair
    mid_side = np.stack([(left + right) * 0.5, (left - right) * 0.5])
    freqs, psd = power_spectrum(mid_side, sample_rate=sample_rate, n_fft=n_fft)
    return freqs, psd[0], psd[1]


def low_end_width(audio: np.ndarray, *, sample_rate: float, cutoff_hz: float = 150.0) -> float:
    """Side/mid power ratio below ``cutoff_hz`` (from 20 Hz): 0 for a mono low end; above
    ~0.1 the bass and kick are noticeably wide."""
    freqs, mid_psd, side_psd = mid_side_spectra(audio, sample_rate=sample_rate)
    return low_end_width_from_spectra(freqs, mid_psd, side_psd, cutoff_hz=cutoff_hz)
