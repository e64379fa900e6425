"""Level and dynamics measures: RMS, crest factor and PLR (peak to loudness ratio).

RMS is taken over all channels and samples together (a full-scale sine is -3.01 dBFS), and
the crest factor is the sample peak over that RMS (3.01 dB for a sine).
"""

from __future__ import annotations

import numpy as np

from mixchat.dsp.loudness import integrated_lufs, true_peak_dbtp
from mixchat.dsp.spectrum import as_channels, power_db

_CHUNK = 1 << 16


def mean_square(audio: np.ndarray) -> float:
    """Mean of the squared samples over all channels (float32 chunks, float64 total)."""
    channels = as_channels(audio).astype(np.float32, copy=False)
    if channels.size == 0:
        return 0.0
    total = 0.0
    for channel in channels:
        for start in range(0, channel.shape[0], _CHUNK):
            chunk = channel[start : start + _CHUNK]
            total += float(np.dot(chunk, chunk))
    return total / channels.size


def peak_linear(audio: np.ndarray) -> float:
    """Largest absolute sample value (0 for empty audio)."""
    channels = as_channels(audio)
    return float(max(channels.max(), -channels.min())) if channels.size else 0.0


def rms_dbfs(audio: np.ndarray) -> float:
    """RMS level in dBFS over all channels (FLOOR_DB for silence)."""
    return float(power_db(mean_square(audio)))


def crest_factor_from(peak: float, mean_sq: float) -> float:
    if peak <= 0.0 or mean_sq <= 0.0:
        return 0.0
    return float(20.0 * np.log10(peak) - 10.0 * np.log10(mean_sq))


def crest_factor_db(audio: np.ndarray) -> float:
    """Sample peak over RMS in dB (0 for silence)."""
    return crest_factor_from(peak_linear(audio), mean_square(audio))


def plr_from(true_peak: float, loudness: float) -> float:
    """True peak minus integrated loudness, 0 when either is not finite (silence)."""
    if not (np.isfinite(true_peak) and np.isfinite(loudness)):
        return 0.0
    return float(true_peak - loudness)


def plr_db(audio: np.ndarray, *, sample_rate: float) -> float:
    """Peak to loudness ratio: true peak (dBTP) minus integrated loudness (LUFS)."""
    return plr_from(
        true_peak_dbtp(audio, sample_rate=sample_rate),
        integrated_lufs(audio, sample_rate=sample_rate),
    )
