"""A linked, lookahead true-peak limiter, vectorised (no per-sample Python loop).

The gain is computed in dB from the 4x oversampled peak envelope (the same interpolation
as ``mixchat.dsp.loudness.true_peak_dbtp``):

1. required gain per sample: what brings the oversampled peak around it to the ceiling;
2. release: a one-pole recovery of the linear gain, which is never above the requirement;
3. lookahead: a forward minimum over the lookahead window, then a moving average over the
   same length, so the gain is already down when the peak arrives and never above (2).

The gain is 1 wherever no peak needs limiting, so all of this runs on the *active* samples
only: runs around the limited samples, with margins for the lookahead and for the release
tail (until it is within ``_TAIL_DEPTH`` of unity). Everything full-length is float32.

The output is then measured exactly where it can reach the ceiling, and any residual
overshoot (gain modulation changes the interpolated peaks a little) is removed by repeating
the pass on the output, and finally by a global trim, so the true peak is at or under the
ceiling by construction.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from mixchat.dsp.errors import StateError
from mixchat.dsp.loudness import (
    OVERSAMPLE_HALF_LEN,
    interpolation_gain_bound,
    oversampled_peaks_at,
    peak_envelope_and_local,
)

_MARGIN_DB = 0.01  # the limiter aims this far under the ceiling
_SLACK_DB = 0.002  # overshoots smaller than this (float32 rounding) are left to the trim
_CORRECTION_PASSES = 4
_FIR_SPAN = 2 * OVERSAMPLE_HALF_LEN + 1
_TAIL_DEPTH = 1e-6  # the release tail is cut (gain set to exactly 1) below this depth
_DB = np.float32(20.0 / np.log(10.0))


@dataclass(frozen=True)
class LimiterResult:
    audio: np.ndarray
    gain_db: np.ndarray  # per-sample total gain applied (<= 0), float32
    max_reduction_db: float


@dataclass(frozen=True)
class PeakMap:
    """Oversampled peak envelope of a signal, exact wherever it is >= ``floor`` (linear),
    and the running max |x| over the interpolation span (see loudness.peak_envelope_and_local),
    both float32 and *unscaled*: the map of ``scale * signal`` is ``scale`` times them, so a
    gain search measures the input once and never copies the arrays."""

    envelope: np.ndarray
    local: np.ndarray
    floor: float
    scale: float = 1.0

    @classmethod
    def of(cls, audio: np.ndarray, *, floor: float) -> PeakMap:
        envelope, local = peak_envelope_and_local(audio, floor=floor)
        return cls(envelope, local, floor)

    def scaled(self, factor: float) -> PeakMap:
        return PeakMap(self.envelope, self.local, self.floor, self.scale * factor)

    def valid_for(self, ceiling: float) -> bool:
        """True when the envelope is exact everywhere the scaled signal can reach ceiling."""
        return self.floor * self.scale <= ceiling


@dataclass(frozen=True)
class GainPlan:
    """The limiter gain on its active samples: ``positions`` (sorted sample indices) and
    ``gain_db`` there (float32, <= 0). Every other sample has a gain of exactly 0 dB."""

    positions: np.ndarray
    gain_db: np.ndarray
    samples: int

    def full_gain_db(self) -> np.ndarray:
        full = np.zeros(self.samples, dtype=np.float32)
        full[self.positions] = self.gain_db
        return full


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


def _min_per_position(positions: np.ndarray, values: np.ndarray):
    """Sorted unique positions and the smallest value given to each."""
    order = np.lexsort((values, positions))
    positions, values = positions[order], values[order]
    first = np.ones(positions.size, dtype=bool)
    first[1:] = positions[1:] != positions[:-1]
    return positions[first], values[first]


def _requirements(envelope_at, hot: np.ndarray, samples: int, ceiling: float):
    """Linear gains (< 1) that bring the widened envelope (max over k-1..k+1: interpolated
    values between k and k+1 also depend on the gain at k-1 and k+1) to ``ceiling``."""
    mask = np.zeros(samples + 2, dtype=bool)
    mask[hot] = True
    mask[hot + 1] = True
    mask[hot + 2] = True
    spread = np.flatnonzero(mask[1:-1])
    widened = envelope_at(spread)
    for shift in (-1, 1):
        neighbour = np.clip(spread + shift, 0, samples - 1)
        np.maximum(widened, envelope_at(neighbour), out=widened)
    gains = ceiling / np.maximum(widened.astype(np.float64), 1e-30)
    keep = gains < 1.0
    return spread[keep], gains[keep]


def _active_positions(positions, log_depth, samples: int, lookahead: int, release: float):
    """Sorted sample indices around the limited ``positions``: from 2 lookaheads before
    each to where its release tail is below _TAIL_DEPTH, merged into runs."""
    tail = np.ceil(release * np.maximum(log_depth - np.log(_TAIL_DEPTH), 0.0)).astype(np.int64)
    starts = np.maximum(positions - 2 * lookahead - 2, 0)
    ends = np.minimum(np.maximum.accumulate(positions + tail + lookahead + 2), samples)
    new_run = np.ones(positions.size, dtype=bool)
    new_run[1:] = starts[1:] > ends[:-1]
    run_starts = starts[new_run]
    run_ends = np.append(ends[np.flatnonzero(new_run)[1:] - 1], ends[-1])
    lengths = run_ends - run_starts
    offsets = np.repeat(run_starts - np.cumsum(lengths) + lengths, lengths)
    return np.arange(int(lengths.sum()), dtype=np.int64) + offsets


def _released_db(active, positions, gains, release: float) -> np.ndarray:
    """One-pole release of the linear gain toward 1 (time constant ``release`` samples) that
    never rises above the requirement: u = 1 - g obeys u[k] = max(1 - r[k], u[k-1] e^(-1/T)),
    a running maximum of log(u) + k/T (max-plus recursion), kept at the limited positions
    only; each active sample then decays from the position that dominates it."""
    log_depth = np.log1p(-gains)
    lifted = log_depth + positions / release
    record = lifted >= np.maximum.accumulate(lifted)
    anchor = np.maximum.accumulate(np.where(record, np.arange(positions.size), 0))
    marks = np.zeros(active.size, dtype=np.int32)
    marks[np.searchsorted(active, positions)] = 1
    latest = np.cumsum(marks, dtype=np.int32) - 1
    started = latest >= 0
    owner = anchor[np.maximum(latest, 0)]
    elapsed = (active - positions[owner]).astype(np.float32)
    depth_log = log_depth[owner].astype(np.float32) - elapsed * np.float32(1.0 / release)
    depth_log[~started] = -np.inf
    depth = np.exp(depth_log, out=depth_log)
    np.minimum(depth, np.float32(1.0 - 1e-6), out=depth)  # at most -120 dB, never log(0)
    gain_db = np.log(np.subtract(np.float32(1.0), depth, out=depth), out=depth)
    gain_db *= _DB
    return np.minimum(gain_db, 0.0, out=gain_db)


def _sliding(values: np.ndarray, size: int, before: int, extreme) -> np.ndarray:
    """``extreme`` (np.minimum / np.maximum) over [k - before, k - before + size - 1], the
    ends extended with the edge values; log2(size) vectorised passes."""
    after = size - 1 - before
    result = np.concatenate(
        (np.full(before, values[0]), values, np.full(after, values[-1]))
    ).astype(values.dtype, copy=False)
    span = 1
    while span * 2 <= size:
        result = extreme(result[:-span], result[span:])
        span *= 2
    if span < size:
        result = extreme(result[: -(size - span)], result[size - span :])
    return result


def _trailing_mean(values: np.ndarray, size: int) -> np.ndarray:
    """Mean over [k - size + 1, k], the start extended with the first value."""
    padded = np.concatenate((np.full(size - 1, values[0]), values))
    sums = np.concatenate(([0.0], np.cumsum(padded, dtype=np.float64)))
    return ((sums[size:] - sums[:-size]) / size).astype(np.float32)


def _looked_ahead(gain_db: np.ndarray, lookahead: int) -> np.ndarray:
    size = lookahead + 1
    # forward minimum over [k, k + lookahead], then the mean over [k - lookahead, k]
    forward_min = _sliding(gain_db, size, 0, np.minimum)
    averaged = _trailing_mean(forward_min, size)
    return np.minimum(averaged, gain_db, out=averaged)


def _curve_on(active, positions, gains, lookahead: int, release: float) -> np.ndarray:
    return _looked_ahead(_released_db(active, positions, gains, release), lookahead)


def _timing(sample_rate: float, lookahead_ms: float, release_ms: float) -> tuple[int, float]:
    lookahead = max(1, int(round(lookahead_ms * sample_rate / 1000.0)))
    return lookahead, max(1.0, release_ms * sample_rate / 1000.0)


def gain_plan(
    peaks: PeakMap,
    *,
    sample_rate: float,
    ceiling_dbtp: float = -1.0,
    lookahead_ms: float = 1.5,
    release_ms: float = 60.0,
) -> GainPlan:
    """The limiter's gain (before the exact output check) for the signal ``peaks`` maps;
    cheap enough to run once per step of a gain search. ``peaks`` must be valid for the
    ceiling (``peaks.valid_for``)."""
    ceiling = 10.0 ** ((ceiling_dbtp - _MARGIN_DB) / 20.0)
    lookahead, release = _timing(sample_rate, lookahead_ms, release_ms)
    samples = peaks.envelope.size
    hot = np.flatnonzero(peaks.envelope > np.float32(ceiling / peaks.scale))
    empty = GainPlan(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32), samples)
    if hot.size == 0:
        return empty
    positions, gains = _requirements(
        lambda at: peaks.envelope[at] * np.float32(peaks.scale), hot, samples, ceiling
    )
    if positions.size == 0:
        return empty
    lifted = np.log1p(-gains) + positions / release
    reach = np.maximum.accumulate(lifted) - positions / release  # log depth at each position
    active = _active_positions(positions, reach, samples, lookahead, release)
    return GainPlan(active, _curve_on(active, positions, gains, lookahead, release), samples)


def _linear_gain(plan: GainPlan) -> np.ndarray:
    gain = np.ones(plan.samples, dtype=np.float32)
    gain[plan.positions] = np.power(np.float32(10.0), plan.gain_db / np.float32(20.0))
    return gain


def _apply(signal: np.ndarray, plan: GainPlan) -> np.ndarray:
    if plan.positions.size == 0:
        return signal.copy()
    return signal * _linear_gain(plan)


def _overshoots(signal, plan: GainPlan, peaks: PeakMap, ceiling: float):
    """Output, and the positions/values of its exact oversampled peaks that may pass the
    ceiling: where g*env + G*(spread of g)*local can reach it (g = 1 off the active runs,
    where the output envelope is the input's, under the ceiling)."""
    output = _apply(signal, plan)
    if plan.positions.size == 0:
        return output, np.zeros(0, dtype=np.int64), np.zeros(0)
    gain = np.power(np.float32(10.0), plan.gain_db / np.float32(20.0))
    bound_g = interpolation_gain_bound()
    reachable = np.flatnonzero(
        peaks.local[plan.positions] >= np.float32(ceiling / (bound_g * peaks.scale))
    )
    half = _FIR_SPAN // 2
    spread = _sliding(gain, _FIR_SPAN, half, np.maximum)
    spread -= _sliding(gain, _FIR_SPAN, half, np.minimum)
    at = plan.positions[reachable]
    bound = peaks.scale * (
        gain[reachable] * peaks.envelope[at] + bound_g * spread[reachable] * peaks.local[at]
    )
    candidates = at[bound >= ceiling]
    values = oversampled_peaks_at(output, candidates) if candidates.size else np.zeros(0)
    return output, candidates, values


def _correction(plan: GainPlan, positions, values, aim: float, lookahead: int, release: float):
    """``plan`` with the extra reduction that brings the measured overshoots to ``aim``."""
    samples = plan.samples
    spread = np.concatenate((positions - 1, positions, positions + 1))
    gains = np.tile(aim / values.astype(np.float64), 3)
    keep = (spread >= 0) & (spread < samples)
    spread, gains = _min_per_position(spread[keep], gains[keep])
    inside = np.searchsorted(plan.positions, spread)
    inside = np.minimum(inside, plan.positions.size - 1)
    keep = plan.positions[inside] == spread
    extra = _curve_on(plan.positions, spread[keep], gains[keep], lookahead, release)
    return GainPlan(plan.positions, plan.gain_db + extra, samples)


def limit_with_peak_map(
    audio: np.ndarray,
    peaks: PeakMap,
    *,
    sample_rate: float,
    ceiling_dbtp: float = -1.0,
    lookahead_ms: float = 1.5,
    release_ms: float = 60.0,
    plan: GainPlan | None = None,
) -> LimiterResult:
    """The limiter, given the input's PeakMap (remeasured if not valid for the ceiling) and
    optionally the ``gain_plan`` already computed for it."""
    signal = np.asarray(audio, dtype=np.float32)
    _validate(signal, sample_rate, ceiling_dbtp, lookahead_ms, release_ms)
    ceiling = 10.0 ** ((ceiling_dbtp - _MARGIN_DB) / 20.0)
    timing = dict(sample_rate=sample_rate, lookahead_ms=lookahead_ms, release_ms=release_ms)
    if not peaks.valid_for(ceiling):
        peaks, plan = PeakMap.of(signal, floor=ceiling), None
    if plan is None:
        plan = gain_plan(peaks, ceiling_dbtp=ceiling_dbtp, **timing)
    lookahead, release = _timing(sample_rate, lookahead_ms, release_ms)
    tolerated = ceiling * 10.0 ** (_SLACK_DB / 20.0)
    aim = ceiling * 10.0 ** (-_SLACK_DB / 20.0)
    for _ in range(_CORRECTION_PASSES):
        output, candidates, values = _overshoots(signal, plan, peaks, ceiling)
        over = values > tolerated
        if not over.any():
            break
        plan = _correction(plan, candidates[over], values[over], aim, lookahead, release)
    else:
        output, _, values = _overshoots(signal, plan, peaks, ceiling)
    total_db = plan.full_gain_db()
    peak = float(values.max()) if values.size else 0.0
    if peak > tolerated:
        trim = ceiling / peak
        total_db += np.float32(20.0 * np.log10(trim))
        output = signal * np.power(np.float32(10.0), total_db / np.float32(20.0))
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
