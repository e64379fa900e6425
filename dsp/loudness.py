"""Loudness and peak metering after ITU-R BS.1770-4, EBU R128, Tech 3341 and Tech 3342.

Audio is float ``(channels, samples)`` (a 1-D array is read as mono). Channel weights are
1.0 for mono and stereo; 5.0 (L, R, C, Ls, Rs) and 5.1 (L, R, C, LFE, Ls, Rs) use 1.41 on
the surrounds and 0 on the LFE. Mono is measured as one channel (a full-scale 1 kHz mono sine
reads about -3.05 LUFS, as the ITU file expects).

Silence reads ``-inf`` (``float("-inf")`` from the scalar meters, ``-inf`` entries in the
momentary / short-term arrays), like pyloudnorm. Callers that need JSON should map it.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from mixchat.dsp.errors import StateError
from mixchat.dsp.fft import irfft, rfft
from mixchat.dsp.iir import kaiser_lowpass, sosfilt

ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
LRA_RELATIVE_GATE_LU = -20.0
BLOCK_S = 0.4
BLOCK_HOP_S = 0.1
SHORT_TERM_S = 3.0
OVERSAMPLE_HALF_LEN = 10  # taps per side per phase, as scipy.signal.resample_poly designs it
_CANDIDATE_CHUNK = 1 << 16
_FILTER_CHUNK = 1 << 17
_FFT_SIZE = 4096  # FFT segments for dense true-peak evaluation
_BLOCK_GROUP = 64
_DENSE_SHARE = 0.1  # FFT a block when this share of its samples is asked for
_PEAK_BLOCK = 1 << 16


def _as_channels(audio: np.ndarray) -> np.ndarray:
    array = np.asarray(audio)
    if array.ndim == 1:
        array = array[np.newaxis, :]
    if array.ndim != 2 or array.shape[0] not in (1, 2, 5, 6):
        raise StateError(
            f"audio shape={array.shape} must be (channels, samples) with 1, 2, 5 or 6 channels"
        )
    return array


def _check_rate(sample_rate: float) -> None:
    if not sample_rate or sample_rate < 8000:
        raise StateError(f"sample_rate={sample_rate!r} must be >= 8000 Hz")


def _channel_weights(channels: int) -> np.ndarray:
    weights = {1: [1.0], 2: [1.0, 1.0], 5: [1.0, 1.0, 1.0, 1.41, 1.41]}
    return np.asarray(weights.get(channels, [1.0, 1.0, 1.0, 0.0, 1.41, 1.41]))


@lru_cache(maxsize=16)
def _k_filter_sos(sample_rate: float) -> np.ndarray:
    """The two K-weighting biquads (shelf, then RLB high-pass) for any rate (libebur128 form)."""
    f0, gain_db, q = 1681.974450955533, 3.999843853973347, 0.7071752369554196
    k = np.tan(np.pi * f0 / sample_rate)
    vh = 10.0 ** (gain_db / 20.0)
    vb = vh**0.4996667741545416
    a0 = 1.0 + k / q + k * k
    shelf = [
        (vh + vb * k / q + k * k) / a0,
        2.0 * (k * k - vh) / a0,
        (vh - vb * k / q + k * k) / a0,
        1.0,
        2.0 * (k * k - 1.0) / a0,
        (1.0 - k / q + k * k) / a0,
    ]
    f0, q = 38.13547087602444, 0.5003270373238773
    k = np.tan(np.pi * f0 / sample_rate)
    a0 = 1.0 + k / q + k * k
    highpass = [1.0, -2.0, 1.0, 1.0, 2.0 * (k * k - 1.0) / a0, (1.0 - k / q + k * k) / a0]
    return np.array([shelf, highpass])


def k_weighted(audio: np.ndarray, *, sample_rate: float) -> np.ndarray:
    """The K-weighted signal (BS.1770 pre-filter + RLB filter), same shape as ``audio``."""
    _check_rate(sample_rate)
    array = np.asarray(audio)
    dtype = np.float32 if array.dtype == np.float32 else np.float64
    sos = _k_filter_sos(float(sample_rate)).astype(dtype)
    return sosfilt(sos, array.astype(dtype, copy=False), axis=-1)


def weighted_power(audio: np.ndarray, *, sample_rate: float) -> np.ndarray:
    """Per-sample channel-weighted K-weighted power, shape (samples,); float32 for float32
    input (block sums are accumulated in float64 by ``window_means``). Filtered in chunks
    (the filter state carried over), so no full-length filtered copy is ever held."""
    channels = _as_channels(audio)
    _check_rate(sample_rate)
    dtype = np.float32 if channels.dtype == np.float32 else np.float64
    sos = _k_filter_sos(float(sample_rate)).astype(dtype)
    weights = _channel_weights(channels.shape[0]).astype(dtype)
    state = np.zeros((sos.shape[0], channels.shape[0], 2), dtype=dtype)
    power = np.empty(channels.shape[1], dtype=dtype)
    unit = bool(np.all(weights == 1.0)) and channels.shape[0] <= 2
    for start in range(0, channels.shape[1], _FILTER_CHUNK):
        chunk = channels[:, start : start + _FILTER_CHUNK].astype(dtype, copy=False)
        filtered, state = sosfilt(sos, chunk, axis=-1, zi=state)
        out = power[start : start + chunk.shape[1]]
        if unit:  # the same sums as the weighted one, without a (slow) one- or two-row matmul
            np.square(filtered[0], out=out)
            if filtered.shape[0] == 2:
                np.add(out, np.square(filtered[1], out=filtered[1]), out=out)
        else:
            np.square(filtered, out=filtered)
            out[:] = weights @ filtered
    return power


def window_means(power: np.ndarray, *, window: int, hop: int) -> np.ndarray:
    """Mean power (float64) of every full window (start = k * hop); one zero-padded window if
    the signal is shorter than a window."""
    n = power.shape[0]
    if n < window:
        return np.array([power.sum(dtype=np.float64) / window])
    count = (n - window) // hop + 1
    if window % hop == 0:
        subs = power[: (count - 1) * hop + window].reshape(-1, hop).sum(axis=1, dtype=np.float64)
        cumulative = np.concatenate(([0.0], np.cumsum(subs)))
        per = window // hop
        sums = cumulative[per : per + count] - cumulative[:count]
    else:
        cumulative = np.concatenate(([0.0], np.cumsum(power, dtype=np.float64)))
        starts = np.arange(count) * hop
        sums = cumulative[starts + window] - cumulative[starts]
    return np.maximum(sums, 0.0) / window


def power_to_lufs(mean_power: np.ndarray | float) -> np.ndarray:
    """BS.1770 loudness of a mean K-weighted power (-inf for 0)."""
    with np.errstate(divide="ignore"):
        return -0.691 + 10.0 * np.log10(mean_power)


def gated_integrated(block_powers: np.ndarray) -> float:
    """Integrated loudness of momentary block powers (-70 LUFS and -10 LU gates)."""
    loudness = power_to_lufs(block_powers)
    above_absolute = loudness > ABSOLUTE_GATE_LUFS
    if not above_absolute.any():
        return float("-inf")
    relative_gate = float(power_to_lufs(block_powers[above_absolute].mean())) + RELATIVE_GATE_LU
    kept = above_absolute & (loudness > relative_gate)
    return float(power_to_lufs(block_powers[kept].mean()))


def gated_range(short_term_powers: np.ndarray) -> float:
    """EBU Tech 3342 loudness range of short-term powers (-70 LUFS / -20 LU gates)."""
    loudness = power_to_lufs(short_term_powers)
    above_absolute = loudness > ABSOLUTE_GATE_LUFS
    if above_absolute.sum() < 2:
        return 0.0
    relative_gate = float(power_to_lufs(short_term_powers[above_absolute].mean()))
    kept = loudness[above_absolute & (loudness > relative_gate + LRA_RELATIVE_GATE_LU)]
    if kept.size < 2:
        return 0.0
    low, high = np.percentile(kept, [10.0, 95.0])
    return float(high - low)


def window_samples(seconds: float, sample_rate: float) -> int:
    """A duration in whole samples (at least 1)."""
    return max(1, int(round(seconds * sample_rate)))


def momentary_block_powers(power: np.ndarray, *, sample_rate: float) -> np.ndarray:
    """Mean power of the 400 ms blocks every 100 ms (the gating blocks of BS.1770)."""
    return window_means(
        power,
        window=window_samples(BLOCK_S, sample_rate),
        hop=window_samples(BLOCK_HOP_S, sample_rate),
    )


def short_term_block_powers(power: np.ndarray, *, sample_rate: float) -> np.ndarray:
    """Mean power of the 3 s windows every 100 ms (the LRA and short-term max input)."""
    return window_means(
        power,
        window=window_samples(SHORT_TERM_S, sample_rate),
        hop=window_samples(BLOCK_HOP_S, sample_rate),
    )


def integrated_lufs(audio: np.ndarray, *, sample_rate: float) -> float:
    """Gated integrated loudness (400 ms blocks, 75 % overlap, -70 LUFS and -10 LU gates)."""
    power = weighted_power(audio, sample_rate=sample_rate)
    return gated_integrated(momentary_block_powers(power, sample_rate=sample_rate))


def _sliding_lufs(audio, sample_rate: float, window_s: float, hop_s: float) -> np.ndarray:
    if not hop_s or hop_s <= 0:
        raise StateError(f"hop_s={hop_s!r} must be > 0")
    power = weighted_power(audio, sample_rate=sample_rate)
    means = window_means(
        power, window=window_samples(window_s, sample_rate), hop=window_samples(hop_s, sample_rate)
    )
    return power_to_lufs(means)


def momentary_lufs(audio: np.ndarray, *, sample_rate: float, hop_s: float = 0.1) -> np.ndarray:
    """Momentary loudness (400 ms windows) every ``hop_s``; entry k ends at 0.4 + k * hop_s."""
    return _sliding_lufs(audio, sample_rate, BLOCK_S, hop_s)


def short_term_lufs(audio: np.ndarray, *, sample_rate: float, hop_s: float = 0.1) -> np.ndarray:
    """Short-term loudness (3 s windows) every ``hop_s``; entry k ends at 3 + k * hop_s."""
    return _sliding_lufs(audio, sample_rate, SHORT_TERM_S, hop_s)


def loudness_range_lu(audio: np.ndarray, *, sample_rate: float) -> float:
    """EBU Tech 3342 LRA: 3 s values at 10 Hz, -70 LUFS / -20 LU gates, 10th to 95th pct."""
    power = weighted_power(audio, sample_rate=sample_rate)
    return gated_range(short_term_block_powers(power, sample_rate=sample_rate))


def sample_peak_dbfs(audio: np.ndarray) -> float:
    """Largest absolute sample value in dBFS (-inf for silence)."""
    array = np.asarray(audio)
    peak = float(max(array.max(), -array.min())) if array.size else 0.0
    return float(20.0 * np.log10(peak)) if peak > 0 else float("-inf")


@lru_cache(maxsize=4)
def _polyphase_matrix(oversample: int) -> np.ndarray:
    """(oversample, taps) FIR of scipy.signal.resample_poly(x, oversample, 1), split by phase.

    Output sample ``oversample * k + p`` is ``sum_d H[p, d] * x[k + d - half]``.
    """
    half_len = OVERSAMPLE_HALF_LEN * oversample
    h = kaiser_lowpass(2 * half_len + 1, 1.0 / oversample, beta=5.0) * oversample
    half = OVERSAMPLE_HALF_LEN
    matrix = np.zeros((oversample, 2 * half + 1))
    for phase in range(oversample):
        for d in range(-half, half + 1):
            index = phase + half_len - oversample * d
            if 0 <= index < h.size:
                matrix[phase, d + half] = h[index]
    return matrix


def _window_peaks(channels: np.ndarray, starts: np.ndarray, phases: np.ndarray) -> np.ndarray:
    """Max |interpolated| over channels and phases of the windows starting at ``starts``."""
    taps = phases.shape[0]
    windows = sliding_window_view(channels, taps, axis=1)  # (ch, n - taps + 1, taps), no copy
    peaks = np.zeros(starts.size, dtype=channels.dtype)
    for first in range(0, starts.size, _CANDIDATE_CHUNK):
        chunk = starts[first : first + _CANDIDATE_CHUNK]
        out = peaks[first : first + chunk.size]
        for channel_windows in windows:
            values = channel_windows[chunk] @ phases  # (m, phases)
            np.abs(values, out=values)
            np.maximum(out, values.max(axis=1), out=out)
    return peaks


def _sparse_peaks(channels: np.ndarray, positions: np.ndarray, matrix: np.ndarray):
    """``_oversampled_at`` one window per position (for scattered positions); only the
    ends are padded, never the whole signal."""
    taps = matrix.shape[1]
    half, n = taps // 2, channels.shape[1]
    phases = np.ascontiguousarray(matrix.T.astype(channels.dtype))  # (taps, phases)
    if n <= 4 * taps:
        padded = np.pad(channels, ((0, 0), (half, half)))
        return _window_peaks(padded, positions, phases)
    peaks = np.empty(positions.size, dtype=channels.dtype)
    head, tail = positions < half, positions >= n - half
    inner = ~(head | tail)
    peaks[inner] = _window_peaks(channels, positions[inner] - half, phases)
    if head.any():
        padded = np.pad(channels[:, : 2 * taps], ((0, 0), (half, 0)))
        peaks[head] = _window_peaks(padded, positions[head], phases)
    if tail.any():
        padded = np.pad(channels[:, n - 2 * taps :], ((0, 0), (0, half)))
        peaks[tail] = _window_peaks(padded, positions[tail] - (n - 2 * taps) - half, phases)
    return peaks


@lru_cache(maxsize=8)
def _phase_spectra(oversample: int, dtype: str) -> np.ndarray:
    """Spectra of the reversed phase filters, for FFT convolution of _FFT_SIZE segments."""
    matrix = _polyphase_matrix(oversample)[:, ::-1].astype(dtype)
    return rfft(matrix, n=_FFT_SIZE, axis=1)


def _block_envelopes(channels: np.ndarray, blocks: np.ndarray, oversample: int) -> np.ndarray:
    """(len(blocks), block) max |interpolated| over channels and phases for every sample
    of the given blocks (block k covers samples [k * block, (k + 1) * block)), by FFT."""
    taps = 2 * OVERSAMPLE_HALF_LEN + 1
    block, n = _FFT_SIZE - (taps - 1), channels.shape[1]
    spectra = _phase_spectra(oversample, channels.dtype.str)
    envelopes = np.zeros((blocks.size, block), dtype=channels.dtype)
    for first in range(0, blocks.size, _BLOCK_GROUP):
        group = blocks[first : first + _BLOCK_GROUP]
        index = (group * block - taps // 2)[:, np.newaxis] + np.arange(_FFT_SIZE)
        outside = (index < 0) | (index >= n)
        out = envelopes[first : first + group.size]
        for channel in channels:
            segments = np.take(channel, index, mode="clip")
            if outside.any():
                segments[outside] = 0.0
            spectrum = rfft(segments, axis=1)
            for phase_spectrum in spectra:
                values = irfft(spectrum * phase_spectrum, n=_FFT_SIZE, axis=1)[:, taps - 1 :]
                np.maximum(out, np.abs(values), out=out)
    return envelopes


def _oversampled_at(channels: np.ndarray, positions: np.ndarray, matrix: np.ndarray):
    """Max |oversampled value| over channels and phases around each input position: by FFT
    over whole blocks where positions are dense, one window per position elsewhere."""
    taps = matrix.shape[1]
    block = _FFT_SIZE - (taps - 1)
    peaks = np.empty(positions.size, dtype=channels.dtype)
    if positions.size == 0:
        return peaks
    block_of = positions // block
    counts = np.bincount(block_of)
    dense = counts[block_of] >= block * _DENSE_SHARE
    if (~dense).any():
        peaks[~dense] = _sparse_peaks(channels, positions[~dense], matrix)
    if dense.any():
        blocks = np.flatnonzero(counts >= block * _DENSE_SHARE)
        rank = np.zeros(counts.size, dtype=np.int64)
        rank[blocks] = np.arange(blocks.size)
        envelopes = _block_envelopes(channels, blocks, matrix.shape[0])
        chosen = positions[dense]
        peaks[dense] = envelopes[rank[chosen // block], chosen % block]
    return peaks


def running_max(values: np.ndarray, size: int) -> np.ndarray:
    """Centred running maximum over ``size`` (odd) samples, zero beyond the ends (doubling
    spans: log2(size) vectorised passes, faster than ndimage's filter for short windows)."""
    half = size // 2
    edge = np.zeros(half, dtype=values.dtype)
    result = np.concatenate((edge, values, edge))
    span = 1
    while span * 2 <= size:
        result = np.maximum(result[:-span], result[span:])
        span *= 2
    if span < size:
        result = np.maximum(result[: -(size - span)], result[size - span :])
    return result[: values.size]


def interpolation_gain_bound(oversample: int = 4) -> float:
    """Largest sum of |taps| of one phase: |interpolated| <= this * max |x| around it."""
    return float(np.abs(_polyphase_matrix(int(oversample))).sum(axis=1).max())


def oversampled_peaks_at(
    audio: np.ndarray, positions: np.ndarray, *, oversample: int = 4
) -> np.ndarray:
    """Exact max |x| over channels and interpolated phases at the given input positions."""
    channels = _as_channels(audio)
    positions = np.asarray(positions, dtype=np.int64)
    return _oversampled_at(channels, positions, _polyphase_matrix(int(oversample)))


def peak_magnitude(channels: np.ndarray) -> np.ndarray:
    """max |x| over channels per sample (float32 for float32 input)."""
    magnitude = np.abs(channels[0])
    for channel in channels[1:]:
        np.maximum(magnitude, np.abs(channel), out=magnitude)
    return magnitude


def peak_envelope_and_local(
    audio: np.ndarray, *, oversample: int = 4, floor: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """``(envelope, local)`` per input sample. ``envelope``: max |x| over channels and the
    interpolated phases that follow the sample (the FIR of resample_poly), exact wherever it
    can reach ``floor`` (linear), elsewhere a cheap upper bound below ``floor``. ``local``:
    the running max |x| over the FIR span, so that ``interpolation_gain_bound * local``
    bounds every interpolated value around the sample."""
    channels = _as_channels(audio)
    if oversample < 1:
        raise StateError(f"oversample={oversample!r} must be >= 1")
    matrix = _polyphase_matrix(int(oversample))
    local = running_max(peak_magnitude(channels), matrix.shape[1])
    bound = interpolation_gain_bound(oversample)
    envelope = local * np.asarray(bound, dtype=local.dtype)
    candidates = np.flatnonzero(local >= floor / bound)
    if candidates.size:
        envelope[candidates] = _oversampled_at(channels, candidates, matrix)
    return envelope, local


def oversampled_peak_envelope(
    audio: np.ndarray, *, oversample: int = 4, floor: float = 0.0
) -> np.ndarray:
    """The ``envelope`` of ``peak_envelope_and_local`` (exact wherever it can reach floor)."""
    return peak_envelope_and_local(audio, oversample=oversample, floor=floor)[0]


def true_peak_dbtp(audio: np.ndarray, *, sample_rate: float, oversample: int = 4) -> float:
    """True peak in dBTP: max |x| after ``oversample``-times polyphase interpolation.

    Same FIR and result as ``max(abs(resample_poly(x, oversample, 1)))``, but only the
    neighbourhoods that can beat the sample peak are interpolated."""
    _check_rate(sample_rate)
    peak = sample_and_true_peak(audio, oversample=oversample)[1]
    return float(20.0 * np.log10(peak)) if peak > 0.0 else float("-inf")


def sample_and_true_peak(audio: np.ndarray, *, oversample: int = 4) -> tuple[float, float]:
    """``(sample peak, true peak)``, both linear (0 for silence): max |x| and max |x| after
    ``oversample``-times polyphase interpolation.

    One pass, block by block: the running max |x| over the FIR span is kept wherever it
    could beat the sample peak found so far; what is kept is then cut to the final peak's
    candidates, which alone are interpolated (so no full-length temporary is made)."""
    channels = _as_channels(audio)
    if channels.size == 0:
        return 0.0, 0.0
    if oversample < 1:
        raise StateError(f"oversample={oversample!r} must be >= 1")
    matrix = _polyphase_matrix(int(oversample))
    taps, bound = matrix.shape[1], interpolation_gain_bound(oversample)
    n, peak = channels.shape[1], 0.0
    positions, levels = [], []
    for start in range(0, n, _PEAK_BLOCK):
        stop = min(start + _PEAK_BLOCK, n)
        lo, hi = max(start - taps // 2, 0), min(stop + taps // 2, n)
        magnitude = peak_magnitude(channels[:, lo:hi])
        peak = max(peak, float(magnitude[start - lo : stop - lo].max()))
        local = running_max(magnitude, taps)[start - lo : stop - lo]
        kept = np.flatnonzero(local >= peak / bound)
        positions.append(kept + start)
        levels.append(local[kept])
    if peak == 0.0:
        return 0.0, 0.0
    candidates = np.concatenate(positions)[np.concatenate(levels) >= peak / bound]
    interpolated = _oversampled_at(channels, candidates, matrix)
    return peak, max(peak, float(interpolated.max(initial=0.0)))


@dataclass(frozen=True)
class LoudnessStats:
    integrated_lufs: float
    loudness_range_lu: float
    true_peak_dbtp: float
    sample_peak_dbfs: float


def loudness_stats(audio: np.ndarray, *, sample_rate: float) -> LoudnessStats:
    """Integrated loudness, LRA, true and sample peak with one K-filter pass."""
    power = weighted_power(audio, sample_rate=sample_rate)
    return LoudnessStats(
        integrated_lufs=gated_integrated(momentary_block_powers(power, sample_rate=sample_rate)),
        loudness_range_lu=gated_range(short_term_block_powers(power, sample_rate=sample_rate)),
        true_peak_dbtp=true_peak_dbtp(audio, sample_rate=sample_rate),
        sample_peak_dbfs=sample_peak_dbfs(audio),
    )
