"""The dynamic band shared by the de-esser and the plosive control: a band filter ``F`` and a
gain ``g`` that falls while the band is loud, applied as ``x + (g - 1) F(x)``.

With ``F`` a constant-peak band-pass (RBJ) or a first-order low-pass, ``x + (g - 1) F(x)``
is exactly the input when ``g = 1`` and never boosts (the rest of the signal and the band are
power-complementary), so the stage is a dynamic EQ cut and nothing else.

The detector follows the band's power (the louder channel; one gain for all channels, so the
image does not move) with a one-pole of ``attack_ms``; the gain reduction above threshold
(``ratio``, capped at ``reduction_db``) releases at a steady dB rate, ``8.69 / release``
dB per second (an exponential release), computed without a per-sample loop as a running
maximum: r[n] = max(g[n], r[n-1] - rate) = max over k <= n of (g[k] - rate (n - k)).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import lru_cache

import numpy as np
import pedalboard as pb

from mixchat.dsp.cleanup.frames import PeakFrames
from mixchat.dsp.cleanup.spec import DynamicBand
from mixchat.dsp.iir import one_pole, sosfilt

_DB_PER_NEPER = 20.0 / math.log(10.0)


def _bandpass_hz(freq_hz: float, sample_rate: int) -> float:
    return min(freq_hz, 0.45 * sample_rate)


def bandpass_sos(freq_hz: float, q: float, sample_rate: int) -> np.ndarray:
    """RBJ constant 0 dB peak band-pass as one second-order section."""
    w0 = 2.0 * math.pi * _bandpass_hz(freq_hz, sample_rate) / sample_rate
    alpha = math.sin(w0) / (2.0 * q)
    b = np.array([alpha, 0.0, -alpha])
    a = np.array([1.0 + alpha, -2.0 * math.cos(w0), 1.0 - alpha])
    return np.concatenate([b / a[0], a / a[0]])[None, :]


def lowpass_sos(cutoff_hz: float, sample_rate: int) -> np.ndarray:
    """First-order low-pass (bilinear), as a second-order section with zero second taps."""
    k = math.tan(math.pi * cutoff_hz / sample_rate)
    b0 = k / (1.0 + k)
    a1 = (k - 1.0) / (1.0 + k)
    return np.array([[b0, b0, 0.0, 1.0, a1, 0.0]])


# the filters are prepared on this much silence (a longer buffer costs more than it saves)
NATIVE_BUFFER_FRAMES = 1 << 13
PEAK_GAIN = 16.0  # the peak filter the band-pass is read from: the larger, the less cancels


class NativeBand:
    """A band filter ``F`` run by pedalboard's native filters, one per channel on its own row
    (1-D: no channel layout to guess, whatever the block), their state kept between blocks:
    about twice as fast as scipy's ``sosfilt`` kernel, within float32 rounding of it (the
    same transposed direct form). ``lowpass`` is pedalboard's first-order low-pass, the same
    bilinear section as ``lowpass_sos``; ``bandpass`` is the RBJ band-pass of
    ``bandpass_sos`` read from a peak filter of gain A^2 and Q / A, which has its poles and
    exceeds 1 by (A^2 - 1) times it: (peak(x) - x) / (A^2 - 1)."""

    def __init__(
        self, make: Callable[[], pb.Plugin], *, sample_rate: int, peak_gain: float | None = None
    ) -> None:
        self.make, self.sample_rate, self.peak_gain = make, sample_rate, peak_gain
        self.reset()

    @classmethod
    def lowpass(cls, cutoff_hz: float, *, sample_rate: int) -> NativeBand:
        return cls(lambda: pb.LowpassFilter(cutoff_frequency_hz=cutoff_hz), sample_rate=sample_rate)

    @classmethod
    def bandpass(cls, freq_hz: float, q: float, *, sample_rate: int) -> NativeBand:
        centre_hz = _bandpass_hz(freq_hz, sample_rate)
        gain_db = 20.0 * math.log10(PEAK_GAIN)
        wide_q = q / math.sqrt(PEAK_GAIN)
        return cls(
            lambda: pb.PeakFilter(cutoff_frequency_hz=centre_hz, gain_db=gain_db, q=wide_q),
            sample_rate=sample_rate,
            peak_gain=PEAK_GAIN,
        )

    def reset(self) -> None:
        self._filters: list[pb.Plugin] = []

    def _filter(self) -> pb.Plugin:
        """A new filter, prepared for NATIVE_BUFFER_FRAMES on silence (its state stays zero):
        pedalboard prepares a plugin again, its state lost, whenever a call is longer than
        any before it, so every later call must be no longer than this first one."""
        plugin = self.make()
        silence = np.zeros(NATIVE_BUFFER_FRAMES, dtype=np.float32)
        plugin.process(silence, self.sample_rate, buffer_size=NATIVE_BUFFER_FRAMES, reset=True)
        return plugin

    def process(self, block: np.ndarray) -> np.ndarray:
        if len(self._filters) != block.shape[0]:
            self._filters = [self._filter() for _ in range(block.shape[0])]
        band = np.empty(block.shape, dtype=np.float32)
        for channel, plugin in enumerate(self._filters):
            filtered = plugin.process(
                np.ascontiguousarray(block[channel], dtype=np.float32),
                self.sample_rate,
                buffer_size=NATIVE_BUFFER_FRAMES,
                reset=False,
            )
            if self.peak_gain is None:
                band[channel] = filtered
            else:  # the peak's excess over the input, scaled, written in one pass each
                np.subtract(filtered, block[channel], out=band[channel])
                band[channel] *= np.float32(1.0 / (self.peak_gain - 1.0))
        return band


def band_envelope(
    band: np.ndarray, *, attack_ms: float, sample_rate: int, zi: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(the band's smoothed power, filter state) for (channels, n) band audio."""
    power = np.max(np.square(band, dtype=np.float32), axis=0)
    pole = math.exp(-1000.0 / (attack_ms * sample_rate))
    state = np.zeros(1, dtype=np.float32) if zi is None else zi
    coeffs = np.array([1.0 - pole], dtype=np.float32), np.array([1.0, -pole], dtype=np.float32)
    return one_pole(*coeffs, power, zi=state)


GROUP = 32  # samples the envelope is worked out a group at a time over
ROWS = 256  # groups per matrix product: OpenBLAS runs a larger one on threads (more CPU)


@lru_cache(maxsize=32)
def _group_weights(pole: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a one-pole ``s[n] = pole s[n-1] + (1 - pole) p[n]`` over groups of GROUP samples:
    each sample's weight in its group's last value, the lower-triangular matrix of each
    sample's weight in every value of its group, and the weight of the value before the
    group in each (pole^(j+1))."""
    lag = np.arange(GROUP)
    gain = 1.0 - pole
    to_end = (gain * pole ** (GROUP - 1 - lag)).astype(np.float32)
    within = np.tril(gain * pole ** np.subtract.outer(lag, lag).clip(0)).astype(np.float32)
    carried = (pole ** (lag + 1.0)).astype(np.float32)
    for array in (to_end, within, carried):
        array.flags.writeable = False
    return to_end, within, carried


def band_envelope_over(
    band: np.ndarray,
    *,
    threshold: float,
    attack_ms: float,
    sample_rate: int,
    zi: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """``band_envelope`` where it may rise over ``threshold`` (power), zero elsewhere, within
    float32 rounding of the one-pole run sample by sample. The one-pole is worked out a
    group of GROUP samples at a time: each group's last value from the last group's (a
    one-pole of pole^GROUP over the groups' weighted sums), and the values inside a group
    (a small matrix product) only where they may pass the threshold: the value before the
    group plus the group's power times the filter's gain bounds them (the pole is < 1)."""
    power = np.max(np.square(band, dtype=np.float32), axis=0)
    pole = math.exp(-1000.0 / (attack_ms * sample_rate))
    to_end, within, carried = _group_weights(pole)
    state = np.zeros(1, dtype=np.float32) if zi is None else np.asarray(zi, dtype=np.float32)
    size = power.size
    if size == 0:
        return power, state
    before = np.float32(state[0] / np.float32(pole))  # the value before the block
    groups = -(-size // GROUP)
    padded = np.zeros(groups * GROUP, dtype=np.float32)
    padded[:size] = power
    padded = padded.reshape(groups, GROUP)
    step = np.float32(pole**GROUP)
    ends, _ = one_pole(
        np.array([1.0], dtype=np.float32),
        np.array([1.0, -step], dtype=np.float32),
        np.einsum("ij,j->i", padded, to_end),  # numpy's own loop: BLAS would thread it
        zi=np.array([step * before], dtype=np.float32),
    )
    starts = np.empty(groups, dtype=np.float32)  # the value before each group
    starts[0] = before
    starts[1:] = ends[:-1]
    sums = np.einsum("ij,j->i", padded, np.ones(GROUP, dtype=np.float32))
    bound = starts + np.float32(1.0 - pole) * sums
    near = bound > np.float32(threshold) * np.float32(1.0 - 1e-5)
    near[-1] = True  # the block's last value is the state carried on
    rows = np.flatnonzero(near)
    smooth = np.zeros((groups, GROUP), dtype=np.float32)
    for first in range(0, rows.size, ROWS):
        some = rows[first : first + ROWS]
        values = padded[some] @ within.T
        values += np.multiply.outer(starts[some], carried)
        smooth[some] = values
    last = smooth[-1, (size - 1) % GROUP]
    return smooth.reshape(-1)[:size], np.array([np.float32(pole) * last], dtype=np.float32)


def band_envelope_db(
    band: np.ndarray, *, attack_ms: float, sample_rate: int, zi: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(level in dB of the band's smoothed power, filter state) for (channels, n) band audio."""
    smooth, state = band_envelope(band, attack_ms=attack_ms, sample_rate=sample_rate, zi=zi)
    return np.float32(10.0) * np.log10(np.maximum(smooth, np.float32(1e-20))), state


class EnvelopePeaks:
    """Each ``size``-sample frame's peak of a dynamic band's detector level (the band filter
    and envelope a stage listens with), fed block by block: what a threshold is set from."""

    def __init__(self, sos: np.ndarray, *, attack_ms: float, sample_rate: int, size: int) -> None:
        self.sos, self.attack_ms, self.sample_rate = sos, attack_ms, sample_rate
        self._filter_zi: np.ndarray | None = None
        self._env_zi: np.ndarray | None = None
        self._peaks = PeakFrames(size)

    def feed(self, audio: np.ndarray) -> None:
        if self._filter_zi is None:
            self._filter_zi = np.zeros((self.sos.shape[0], audio.shape[0], 2))
        band, self._filter_zi = sosfilt(
            self.sos, np.asarray(audio, np.float64), axis=-1, zi=self._filter_zi
        )
        level, self._env_zi = band_envelope_db(
            band, attack_ms=self.attack_ms, sample_rate=self.sample_rate, zi=self._env_zi
        )
        self._peaks.push(level)

    def peaks(self, count: int) -> np.ndarray:
        return self._peaks.result(count)


class DynamicBandStage:
    latency = 0

    def __init__(self, spec: DynamicBand, band: NativeBand, *, sample_rate: int) -> None:
        """``band``: the filter that picks the band the stage listens to and reduces."""
        self.spec = spec
        self.band = band
        self.sample_rate = sample_rate
        self.rate_db = _DB_PER_NEPER / (spec.release_ms * sample_rate / 1000.0)
        self.threshold = float(np.float32(10.0 ** (spec.threshold_db / 10.0)))
        self.reset()

    def reset(self) -> None:
        self.band.reset()
        self._env_zi: np.ndarray | None = None
        self._last_reduction = 0.0

    def reduction_spans(self, power: np.ndarray) -> list[tuple[int, np.ndarray]]:
        """Gain reduction (dB) for the band's smoothed power, as (first sample, reductions)
        spans; zero elsewhere. A reduction releases to zero within ``reduction_db / rate_db``
        samples, so only the samples over the threshold, and that far after them, are worked
        on (a logarithm only where over the threshold)."""
        spec = self.spec
        step = np.float32(self.rate_db)
        over = np.flatnonzero(power > np.float32(self.threshold))
        reach = int(math.ceil(spec.reduction_db / self.rate_db)) + 1
        carried = self._last_reduction
        tail = int(math.ceil(carried / self.rate_db)) + 1 if carried > 0.0 else 0
        breaks = np.flatnonzero(np.diff(over) > reach) + 1  # gaps the release runs out in
        firsts = np.concatenate([[0], breaks]).astype(int) if over.size else breaks
        lasts = np.concatenate([breaks - 1, [over.size - 1]]).astype(int) if over.size else breaks
        starts, stops = over[firsts].tolist(), (over[lasts] + reach).tolist()
        if tail:  # the release carried over from the last block, merged with what it meets
            if starts and starts[0] <= tail:
                starts[0], stops[0] = 0, max(stops[0], tail)
            else:
                starts, stops = [0, *starts], [tail, *stops]
        spans: list[tuple[int, np.ndarray]] = []
        for first, stop in zip(starts, stops):
            segment = power[first : min(stop, power.size)]
            wanted = np.zeros(segment.size, dtype=np.float32)
            hot = segment > np.float32(self.threshold)
            level = np.float32(10.0) * np.log10(segment[hot])
            wanted[hot] = np.minimum(
                (level - np.float32(spec.threshold_db)) * np.float32(1.0 - 1.0 / spec.ratio),
                np.float32(spec.reduction_db),
            )
            # r[n] = max(g[n], r[n-1] - step): a running maximum of g[k] + step k, less step n
            ramp = step * np.arange(1, segment.size + 1, dtype=np.float32)
            start_value = np.float32(carried if first == 0 else 0.0)
            held = np.maximum.accumulate(wanted + ramp)
            np.maximum(held, start_value, out=held)
            spans.append((first, np.maximum(wanted, held - ramp)))
        last = spans[-1] if spans else None
        ends_inside = last is not None and last[0] + last[1].size == power.size
        self._last_reduction = float(last[1][-1]) if ends_inside and last is not None else 0.0
        return spans

    def reduction_db(self, power: np.ndarray) -> np.ndarray:
        """Gain reduction (dB) per sample for the band's smoothed power."""
        out = np.zeros(power.size, dtype=np.float32)
        for first, reduction in self.reduction_spans(power):
            out[first : first + reduction.size] = reduction
        return out

    def process(self, block: np.ndarray) -> np.ndarray:
        if block.shape[1] == 0:
            return block
        band = self.band.process(block)
        power, self._env_zi = band_envelope_over(
            band,
            threshold=self.threshold,
            attack_ms=self.spec.attack_ms,
            sample_rate=self.sample_rate,
            zi=self._env_zi,
        )
        out = np.array(block, dtype=np.float32)
        for first, reduction in self.reduction_spans(power):
            gain = np.power(np.float32(10.0), reduction / np.float32(-20.0))
            gain[reduction <= np.float32(1e-4)] = np.float32(1.0)
            gain -= np.float32(1.0)
            span = slice(first, first + reduction.size)
            out[:, span] += gain * band[:, span]
        return out
