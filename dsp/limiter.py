"""A linked, lookahead true-peak limiter, vectorised (no per-sample Python loop).

The gain is computed in dB from the 4x oversampled peak envelope (the same interpolation
as ``dsp.loudness.true_peak_dbtp``):

1. required gain per sample: what brings the oversampled peak around it to the ceiling;
2. release: a constant-rate recovery in dB (``np.minimum.accumulate`` of a ramp), which
   is never above the requirement;
3. lookahead: a forward minimum over the lookahead window, then a moving average over the
   same length, so the gain is already down when the peak arrives and never above (2).

The output is then measured and any residual overshoot (gain modulation changes the
interpolated peaks a little) is removed by repeating the pass on the output, and finally by
a global trim, so the true peak is at or under the ceiling by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from dsp.errors import StateError
from dsp.loudness import oversampled_peak_envelope

_MARGIN_DB = 0.01
_CORRECTION_PASSES = 3
# Release speed: one neper (8.69 dB) of recovery per release time.
_RELEASE_DB_PER_RELEASE = 20.0 / np.log(10.0)


@dataclass(frozen=True)
class LimiterResult:
    audio: np.ndarray
    gain_db: np.ndarray  # per-sample total gain applied (<= 0)
    max_reduction_db: float


def _validate(audio: np.ndarray, sample_rate, ceiling_dbtp, lookahead_ms, release_ms):
    if audio.ndim != 2 or audio.shape[0] not in (1, 2):
        raise StateError(f"audio shape={audio.shape} must be (channels, samples), 1 or 2 ch")
    if not sample_rate or sample_rate <= 0:
        raise StateError(f"sample_rate={sample_rate!r} must be > 0")
    if not -60.0 <= ceiling_dbtp <= 6.0:
        raise StateError(f"ceiling_dbtp={ceiling_dbtp!r} must be between -60 and 6 dBTP")
    if not 0.0 < lookahead_ms <= 50.0:
        raise StateError(f"lookahead_ms={lookahead_ms!r} must be > 0 and <= 50")
    if not 1.0 <= release_ms <= 5000.0:
        raise StateError(f"release_ms={release_ms!r} must be between 1 and 5000")


def _required_gain_db(audio: np.ndarray, ceiling: float) -> np.ndarray:
    envelope = oversampled_peak_envelope(audio, floor=ceiling)
    # Interpolated values between k and k+1 also depend on the gain at k+1 and k-1.
    envelope = -minimum_filter1d(-envelope, size=3, mode="nearest")
    with np.errstate(divide="ignore"):
        required = 20.0 * np.log10(ceiling / np.maximum(envelope, 1e-30))
    return np.minimum(required, 0.0)


def _released(required_db: np.ndarray, release_samples: float) -> np.ndarray:
    rate = _RELEASE_DB_PER_RELEASE / release_samples
    ramp = rate * np.arange(required_db.size)
    return np.minimum.accumulate(required_db - ramp) + ramp


def _looked_ahead(gain_db: np.ndarray, lookahead: int) -> np.ndarray:
    size = lookahead + 1
    # forward minimum over [k, k + lookahead]
    forward_min = minimum_filter1d(gain_db, size=size, origin=-(size // 2), mode="nearest")
    # backward average over [k - lookahead, k]
    averaged = uniform_filter1d(forward_min, size=size, origin=(size - 1) // 2, mode="nearest")
    return np.minimum(averaged, gain_db)


def _gain_pass(audio, ceiling, lookahead, release_samples) -> np.ndarray:
    required = _required_gain_db(audio, ceiling)
    if required.min() >= 0.0:
        return np.zeros(audio.shape[1])
    return _looked_ahead(_released(required, release_samples), lookahead)


def limit_true_peak_detailed(
    audio: np.ndarray,
    *,
    sample_rate: float,
    ceiling_dbtp: float = -1.0,
    lookahead_ms: float = 1.5,
    release_ms: float = 60.0,
) -> LimiterResult:
    """``limit_true_peak`` that also returns the gain curve and the largest reduction."""
    signal = np.asarray(audio, dtype=np.float32)
    _validate(signal, sample_rate, ceiling_dbtp, lookahead_ms, release_ms)
    ceiling = 10.0 ** ((ceiling_dbtp - _MARGIN_DB) / 20.0)
    lookahead = max(1, int(round(lookahead_ms * sample_rate / 1000.0)))
    release_samples = max(1.0, release_ms * sample_rate / 1000.0)
    total_db = np.zeros(signal.shape[1])
    output = signal.copy()
    for _ in range(_CORRECTION_PASSES):
        gain_db = _gain_pass(output, ceiling, lookahead, release_samples)
        if gain_db.min() >= 0.0:
            break
        total_db += gain_db
        output = (signal * (10.0 ** (total_db / 20.0))).astype(np.float32)
    peak = float(oversampled_peak_envelope(output, floor=ceiling).max())
    if peak > ceiling:
        trim_db = 20.0 * np.log10(ceiling / peak) - 0.001
        total_db += trim_db
        output = (signal * (10.0 ** (total_db / 20.0))).astype(np.float32)
    return LimiterResult(output, total_db, float(-total_db.min()) if total_db.size else 0.0)


def limit_true_peak(
    audio: np.ndarray,
    *,
    sample_rate: float,
    ceiling_dbtp: float = -1.0,
    lookahead_ms: float = 1.5,
    release_ms: float = 60.0,
) -> np.ndarray:
    """Float32 (channels, samples) whose 4x oversampled true peak is <= ``ceiling_dbtp``.

    Stereo is linked (one gain for both channels)."""
    return limit_true_peak_detailed(
        audio,
        sample_rate=sample_rate,
        ceiling_dbtp=ceiling_dbtp,
        lookahead_ms=lookahead_ms,
        release_ms=release_ms,
    ).audio
