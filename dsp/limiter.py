"""A linked, lookahead true-peak limiter, vectorised (no per-sample Python loop).

The gain is computed in dB from the 4x oversampled peak envelope (the same interpolation
as ``dsp.loudness.true_peak_dbtp``):

1. required gain per sample: what brings the oversampled peak around it to the ceiling;
2. release: a one-pole recovery of the linear gain (computed in closed form with
   ``np.maximum.accumulate``), which is never above the requirement;
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
from dsp.loudness import (
    OVERSAMPLE_HALF_LEN,
    interpolation_gain_bound,
    oversampled_peaks_at,
    peak_envelope_and_local,
    running_max,
)

_MARGIN_DB = 0.01  # the limiter aims this far under the ceiling
_SLACK_DB = 0.002  # overshoots smaller than this (float32 rounding) are left to the trim
_CORRECTION_PASSES = 4
_FIR_SPAN = 2 * OVERSAMPLE_HALF_LEN + 1


@dataclass(frozen=True)
class LimiterResult:
    audio: np.ndarray
    gain_db: np.ndarray  # per-sample total gain applied (<= 0)
    max_reduction_db: float


@dataclass(frozen=True)
class PeakMap:
    """Oversampled peak envelope of a signal, exact wherever it is >= ``floor`` (linear),
    and the running max |x| over the interpolation span (see loudness.peak_envelope_and_local).
    Scaling the signal scales the map, so a gain search measures the input once."""

    envelope: np.ndarray
    local: np.ndarray
    floor: float

    @classmethod
    def of(cls, audio: np.ndarray, *, floor: float) -> PeakMap:
        envelope, local = peak_envelope_and_local(audio, floor=floor)
        return cls(envelope, local, floor)

    def scaled(self, factor: float) -> PeakMap:
        return PeakMap(self.envelope * factor, self.local * factor, self.floor * factor)


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


def _required_gain_db(envelope: np.ndarray, ceiling: float) -> np.ndarray:
    # Interpolated values between k and k+1 also depend on the gain at k-1 and k+1.
    widened = -minimum_filter1d(-envelope, size=3, mode="nearest")
    with np.errstate(divide="ignore"):
        required = 20.0 * np.log10(ceiling / np.maximum(widened, 1e-30))
    return np.minimum(required, 0.0)


def _released(required_db: np.ndarray, release_samples: float) -> np.ndarray:
    """One-pole release of the linear gain toward 1 (time constant ``release_samples``) that
    never rises above the requirement: u = 1 - g obeys u[k] = max(1 - r[k], u[k-1] * e^c),
    which in log form is a running maximum (max-plus recursion), so it vectorises exactly."""
    decay = -1.0 / release_samples
    with np.errstate(divide="ignore"):
        log_depth = np.log1p(-(10.0 ** (required_db / 20.0)))
    ramp = decay * np.arange(required_db.size)
    log_depth = np.maximum.accumulate(log_depth - ramp) + ramp
    with np.errstate(divide="ignore"):
        return np.minimum(20.0 * np.log10(-np.expm1(log_depth)), 0.0)


def _looked_ahead(gain_db: np.ndarray, lookahead: int) -> np.ndarray:
    size = lookahead + 1
    # forward minimum over [k, k + lookahead], then the mean over [k - lookahead, k]
    forward_min = minimum_filter1d(gain_db, size=size, origin=-(size // 2), mode="nearest")
    averaged = uniform_filter1d(forward_min, size=size, origin=(size - 1) // 2, mode="nearest")
    return np.minimum(averaged, gain_db)


def _gain_curve(required_db: np.ndarray, lookahead: int, release_samples: float) -> np.ndarray:
    return _looked_ahead(_released(required_db, release_samples), lookahead)


def _output_peak_bound(gain: np.ndarray, peaks: PeakMap) -> np.ndarray:
    """Upper bound of the output's oversampled envelope: g*env + G*(spread of g)*local."""
    spread = running_max(gain, _FIR_SPAN) + running_max(-gain, _FIR_SPAN)
    spread = np.maximum(spread, 0.0)
    return gain * peaks.envelope + interpolation_gain_bound() * spread * peaks.local


def _overshoots(signal, total_db, peaks: PeakMap, ceiling: float):
    """Output and the positions/values of its exact oversampled peaks that may pass ceiling."""
    gain = 10.0 ** (total_db / 20.0)
    output = (signal * gain.astype(np.float32)).astype(np.float32)
    candidates = np.flatnonzero(_output_peak_bound(gain, peaks) >= ceiling)
    values = oversampled_peaks_at(output, candidates) if candidates.size else np.zeros(0)
    return output, candidates, values


def limit_with_peak_map(
    audio: np.ndarray,
    peaks: PeakMap,
    *,
    sample_rate: float,
    ceiling_dbtp: float = -1.0,
    lookahead_ms: float = 1.5,
    release_ms: float = 60.0,
) -> LimiterResult:
    """The limiter, given the input's PeakMap (its floor must be <= the ceiling)."""
    signal = np.asarray(audio, dtype=np.float32)
    _validate(signal, sample_rate, ceiling_dbtp, lookahead_ms, release_ms)
    ceiling = 10.0 ** ((ceiling_dbtp - _MARGIN_DB) / 20.0)
    if peaks.floor > ceiling:
        peaks = PeakMap.of(signal, floor=ceiling)
    lookahead = max(1, int(round(lookahead_ms * sample_rate / 1000.0)))
    release_samples = max(1.0, release_ms * sample_rate / 1000.0)
    total_db = _gain_curve(_required_gain_db(peaks.envelope, ceiling), lookahead, release_samples)
    tolerated = ceiling * 10.0 ** (_SLACK_DB / 20.0)
    for _ in range(_CORRECTION_PASSES):
        output, candidates, values = _overshoots(signal, total_db, peaks, ceiling)
        over = values > tolerated
        if not over.any():
            break
        envelope = np.zeros(signal.shape[1])
        envelope[candidates[over]] = values[over]
        aim = ceiling * 10.0 ** (-_SLACK_DB / 20.0)
        total_db += _gain_curve(_required_gain_db(envelope, aim), lookahead, release_samples)
    else:
        output, _, values = _overshoots(signal, total_db, peaks, ceiling)
    peak = float(values.max()) if values.size else 0.0
    if peak > tolerated:
        total_db += 20.0 * np.log10(ceiling / peak)
        output = (signal * (10.0 ** (total_db / 20.0)).astype(np.float32)).astype(np.float32)
    reduction = float(-total_db.min()) if total_db.size else 0.0
    return LimiterResult(output, total_db, max(reduction, 0.0))


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
    return limit_with_peak_map(
        signal,
        PeakMap.of(signal, floor=ceiling),
        sample_rate=sample_rate,
        ceiling_dbtp=ceiling_dbtp,
        lookahead_ms=lookahead_ms,
        release_ms=release_ms,
    )


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
