"""Streaming meters: each takes a signal a block at a time and gives what the whole-array
measure gives, so a song is measured while it is rendered or decoded, never held whole.

* ``LoudnessMeter``: K-weighting with its filter state carried, power summed per grid unit
  (100 ms at the usual rates), so momentary, short-term and section blocks come out as
  ``loudness.window_means`` makes them;
* ``PeakMeter``: sample and 4x true peak, interpolating only where the peak can be beaten
  (``loudness.sample_and_true_peak``, one block behind for the filter's context);
* ``SpectrumMeter``: the Welch spectrum of ``spectrum.power_spectrum`` (mono, mid/side or
  the channels), frames cut as the blocks arrive;
* ``EnergyMeter``: channel, mid and side energies and the mean square;
* ``BlockPowers``: mean power of fixed blocks (summed over channels, or of the mono sum);
* ``BandMeter``: ``masking.stem_bands`` (24 bands, ~23 ms frames) with soxr's stream for the
  decimated path, into memory or straight into a file.

Block boundaries may fall anywhere; results equal the whole-array measures up to the order
of floating-point sums (a few ulps).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np

from mixchat.dsp import loudness
from mixchat.dsp.iir import sosfilt
from mixchat.dsp.loudness import (
    _channel_weights,
    _k_filter_sos,
    _oversampled_at,
    _polyphase_matrix,
    interpolation_gain_bound,
    peak_magnitude,
    running_max,
    window_samples,
)
from mixchat.dsp.masking import DECIMATE, N_BANDS, _frame_grid, _pooling, band_frame_powers
from mixchat.dsp.resampling import METER_PIECE_FRAMES, PiecewiseResampler
from mixchat.dsp.spectrum import _OVERLAP_BELOW_S, frame_powers, mid_side_rows, mono_rows
from mixchat.dsp.spill import Parts, Spill

_ENERGY_CHUNK = 1 << 16


class Framer:
    """Cuts a stream of (rows, n) blocks into frames of ``size`` samples every ``hop``, after
    ``head`` leading zeros; ``feed`` and ``finish`` yield (rows, k, size) views of full frames
    (valid until the next call), at most ``limit`` frames in all."""

    def __init__(self, *, rows: int, size: int, hop: int, head: int = 0, limit: int | None = None):
        self.size, self.hop, self.limit = size, hop, limit
        self._buffer = np.zeros((rows, head), dtype=np.float32)
        self.count = 0
        self.received = 0  # samples fed (not counting the head)

    def feed(self, block: np.ndarray) -> Iterator[np.ndarray]:
        self.received += block.shape[1]
        self._buffer = np.concatenate([self._buffer, block], axis=1) if self._buffer.size else block
        yield from self._frames()

    def finish(self, tail: int = 0) -> Iterator[np.ndarray]:
        if tail > 0:
            pad = np.zeros((self._buffer.shape[0], tail), dtype=np.float32)
            self._buffer = np.concatenate([self._buffer, pad], axis=1)
        yield from self._frames()

    def _frames(self) -> Iterator[np.ndarray]:
        available = (self._buffer.shape[1] - self.size) // self.hop + 1
        if self.limit is not None:
            available = min(available, self.limit - self.count)
        if available <= 0:
            return
        view = np.lib.stride_tricks.sliding_window_view(self._buffer, self.size, axis=-1)
        yield view[:, : available * self.hop : self.hop]
        self.count += available
        self._buffer = self._buffer[:, available * self.hop :].copy()


class _Grid:
    """Sums of a per-sample power over consecutive units of ``unit`` samples of one range."""

    def __init__(self, *, start: int, stop: int | None, unit: int) -> None:
        self.start, self.stop, self.unit = start, stop, unit
        self.sums: list[np.ndarray] = []
        self.samples = 0
        self._partial = np.zeros(0, dtype=np.float32)

    def feed(self, power: np.ndarray, position: int) -> None:
        lo = max(self.start - position, 0)
        hi = power.size if self.stop is None else min(self.stop - position, power.size)
        if hi <= lo:
            return
        part = power[lo:hi]
        self.samples += part.size
        if self._partial.size:
            part = np.concatenate([self._partial, part])
        whole = part.size // self.unit * self.unit
        if whole:
            self.sums.append(part[:whole].reshape(-1, self.unit).sum(axis=1, dtype=np.float64))
        self._partial = part[whole:].copy()

    def windows(self, *, window: int, hop: int) -> np.ndarray:
        """``loudness.window_means`` of the range's power."""
        if self.samples < window:
            total = sum(float(s.sum()) for s in self.sums) + float(
                self._partial.sum(dtype=np.float64)
            )
            return np.array([total / window])
        count = (self.samples - window) // hop + 1
        units = np.concatenate(self.sums) if self.sums else np.zeros(0)
        cumulative = np.concatenate(([0.0], np.cumsum(units)))
        starts = np.arange(count) * (hop // self.unit)
        sums = cumulative[starts + window // self.unit] - cumulative[starts]
        return np.maximum(sums, 0.0) / window


class LoudnessMeter:
    """BS.1770 K-weighted power, streamed; ``ranges`` (sample start, stop) get grids of their
    own (section loudness: blocks start at the section's first sample)."""

    def __init__(
        self, *, channels: int, sample_rate: float, ranges: tuple[tuple[int, int], ...] = ()
    ) -> None:
        self.sample_rate = sample_rate
        self._sos = _k_filter_sos(float(sample_rate)).astype(np.float32)
        self._weights = _channel_weights(channels).astype(np.float32)
        self._unit_weights = bool(np.all(self._weights == 1.0)) and channels <= 2
        self._state = np.zeros((self._sos.shape[0], channels, 2), dtype=np.float32)
        self.hop = window_samples(loudness.BLOCK_HOP_S, sample_rate)
        self.momentary_window = window_samples(loudness.BLOCK_S, sample_rate)
        self.short_window = window_samples(loudness.SHORT_TERM_S, sample_rate)
        unit = math.gcd(self.hop, math.gcd(self.momentary_window, self.short_window))
        self._grid = _Grid(start=0, stop=None, unit=unit)
        section_unit = math.gcd(self.hop, self.momentary_window)
        self._ranges = [_Grid(start=a, stop=b, unit=section_unit) for a, b in ranges]
        self._position = 0

    def feed(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32)
        filtered, self._state = sosfilt(self._sos, block, axis=-1, zi=self._state)
        if self._unit_weights:
            power = np.square(filtered[0])
            if filtered.shape[0] == 2:
                power += np.square(filtered[1])
        else:
            power = self._weights @ np.square(filtered)
        self._grid.feed(power, self._position)
        for grid in self._ranges:
            grid.feed(power, self._position)
        self._position += block.shape[1]

    def momentary(self) -> np.ndarray:
        return self._grid.windows(window=self.momentary_window, hop=self.hop)

    def short_term(self) -> np.ndarray:
        return self._grid.windows(window=self.short_window, hop=self.hop)

    def integrated_lufs(self) -> float:
        return loudness.gated_integrated(self.momentary())

    def snapped_blocks(self, start: int, stop: int) -> np.ndarray:
        """Momentary blocks of samples ``start .. stop`` with both ends moved to the nearest
        grid unit (for ranges known only after the signal went by)."""
        unit = self._grid.unit
        units = np.concatenate(self._grid.sums) if self._grid.sums else np.zeros(0)
        first = min(int(round(start / unit)), units.size)
        last = min(int(round(stop / unit)), units.size)
        if last <= first:
            return np.zeros(0)
        part = _Grid(start=0, stop=None, unit=unit)
        part.sums = [units[first:last]]
        part.samples = (last - first) * unit
        return part.windows(window=self.momentary_window, hop=self.hop)

    def range_blocks(self) -> list[np.ndarray]:
        """The momentary blocks of each range given at construction."""
        return [
            grid.windows(window=self.momentary_window, hop=self.hop)
            if grid.samples
            else np.zeros(0)
            for grid in self._ranges
        ]


class PeakMeter:
    """Sample and true peak (linear), streamed one FIR half-span behind the input."""

    def __init__(self, *, channels: int, oversample: int = 4) -> None:
        self._matrix = _polyphase_matrix(oversample)
        self._taps = self._matrix.shape[1]
        self._half = self._taps // 2
        self._bound = interpolation_gain_bound(oversample)
        self._buffer = np.zeros((channels, self._half), dtype=np.float32)  # zeros before 0
        self.sample_peak = 0.0
        self.true_peak = 0.0

    def feed(self, block: np.ndarray) -> None:
        self._buffer = np.concatenate([self._buffer, np.asarray(block, dtype=np.float32)], axis=1)
        self._measure(self._buffer.shape[1] - 2 * self._half)

    def finish(self) -> tuple[float, float]:
        pad = np.zeros((self._buffer.shape[0], self._half), dtype=np.float32)
        self._buffer = np.concatenate([self._buffer, pad], axis=1)
        self._measure(self._buffer.shape[1] - 2 * self._half)
        return self.sample_peak, self.true_peak

    def _measure(self, count: int) -> None:
        """Measure the ``count`` positions after the leading half span of the buffer."""
        if count <= 0:
            return
        context = self._buffer[:, : count + 2 * self._half]
        magnitude = peak_magnitude(context)
        self.sample_peak = max(
            self.sample_peak, float(magnitude[self._half : self._half + count].max())
        )
        local = running_max(magnitude, self._taps)[self._half : self._half + count]
        if self.sample_peak > 0.0:
            candidates = np.flatnonzero(local >= self.sample_peak / self._bound)
            if candidates.size:
                values = _oversampled_at(context, candidates + self._half, self._matrix)
                self.true_peak = max(self.true_peak, float(values.max(initial=0.0)))
        self.true_peak = max(self.true_peak, self.sample_peak)
        self._buffer = self._buffer[:, count:]


ROWS: dict[str, Callable[[np.ndarray], np.ndarray] | None] = {
    "mono": mono_rows,
    "mid_side": mid_side_rows,
    "channels": None,
}


class SpectrumMeter:
    """``spectrum.power_spectrum`` of the mono sum, mid and side, or the channels, streamed;
    ``total`` (the signal's length) picks the frame hop as the whole-array version does."""

    def __init__(
        self, *, channels: int, sample_rate: float, total: int, n_fft: int = 4096, rows: str
    ) -> None:
        self.sample_rate, self.n_fft, self.total = sample_rate, n_fft, total
        self._rows = ROWS[rows]
        hop = n_fft // 2 if total < _OVERLAP_BELOW_S * sample_rate else n_fft
        self._framer = Framer(rows=channels, size=n_fft, hop=hop)
        self._window = np.hanning(n_fft).astype(np.float32)
        self._sum: np.ndarray | float = 0.0
        self._frames = 0

    def feed(self, block: np.ndarray) -> None:
        for frames in self._framer.feed(np.asarray(block, dtype=np.float32)):
            self._add(frames)

    def _add(self, frames: np.ndarray) -> None:
        for start in range(0, frames.shape[1], 64):
            self._sum = self._sum + frame_powers(
                frames[:, start : start + 64], self._rows, self._window
            )
        self._frames += frames.shape[1]

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(freqs_hz, psd) with one psd row per output row."""
        length = self._framer.received
        for frames in self._framer.finish(max(0, self.n_fft - length)):
            self._add(frames)
        window_power = float(np.sum(self._window**2))
        psd = np.asarray(self._sum, dtype=np.float64) / (
            max(self._frames, 1) * self.sample_rate * window_power
        )
        psd = np.atleast_2d(psd).copy()
        psd[:, 1:-1] *= 2.0
        if length < self.n_fft:
            psd *= self.n_fft / max(length, 1)
        return np.fft.rfftfreq(self.n_fft, d=1.0 / self.sample_rate), psd


class EnergyMeter:
    """Sums of squares of left, right, mid and side (mono counts as L = R), the mean square
    over all channels, and the sample count (``stereo.channel_energies``)."""

    def __init__(self) -> None:
        self.totals = np.zeros(4)
        self.square_sum = 0.0
        self.samples = 0
        self.channels = 0

    def feed(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32)
        self.channels = block.shape[0]
        left, right = (block[0], block[1]) if block.shape[0] >= 2 else (block[0], block[0])
        for start in range(0, block.shape[1], _ENERGY_CHUNK):
            lchunk, rchunk = (
                left[start : start + _ENERGY_CHUNK],
                right[start : start + _ENERGY_CHUNK],
            )
            summed, difference = lchunk + rchunk, lchunk - rchunk
            ll, rr = float(np.dot(lchunk, lchunk)), float(np.dot(rchunk, rchunk))
            self.totals += (
                ll,
                rr,
                0.25 * np.dot(summed, summed),
                0.25 * np.dot(difference, difference),
            )
            if block.shape[0] <= 2:
                self.square_sum += ll + (rr if block.shape[0] == 2 else 0.0)
            else:
                chunk = block[:, start : start + _ENERGY_CHUNK]
                self.square_sum += float(np.einsum("cs,cs->", chunk, chunk, dtype=np.float64))
        self.samples += block.shape[1]

    def mean_square(self) -> float:
        return self.square_sum / max(self.samples * max(self.channels, 1), 1)


class BlockPowers:
    """Mean power of consecutive ``size``-sample blocks: summed over the channels, or of the
    mono sum (``mono=True``); a last partial block is left out. Given a ``spill``, the
    powers wait there until ``result``."""

    def __init__(self, *, size: int, mono: bool = False, spill: Spill | None = None) -> None:
        self.size, self.mono = max(1, size), mono
        self._parts = Parts(spill=spill)
        self._partial: np.ndarray | None = None

    def feed(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32)
        if self.mono:
            block = mono_rows(block[:, np.newaxis, :])[:, 0, :]
        if self._partial is not None and self._partial.shape[1]:
            block = np.concatenate([self._partial, block], axis=1)
        count = block.shape[1] // self.size
        if count:
            framed = block[:, : count * self.size].reshape(block.shape[0], count, self.size)
            self._parts.append(
                np.einsum("cnb,cnb->n", framed, framed, dtype=np.float64) / self.size
            )
        self._partial = block[:, count * self.size :].copy()

    def result(self) -> np.ndarray:
        return self._parts.joined() if self._parts else np.zeros(0)


class BandMeter:
    """``masking.stem_bands``'s (bands, frames) powers of a stream, for a signal ``total``
    samples long. ``put(frame, powers)`` receives each run of frames (for writing to a file);
    without it they are kept and ``result`` returns them."""

    def __init__(
        self,
        *,
        sample_rate: float,
        total: int,
        put: Callable[[int, np.ndarray], None] | None = None,
    ):
        self.sample_rate = sample_rate
        hop, low_fft = _frame_grid(sample_rate)
        self.frames = max(1, total // hop)
        self._high = _pooling(hop, float(sample_rate), False)
        low_rate = sample_rate / DECIMATE
        self._low = _pooling(low_fft, float(low_rate), True)
        self._low_rate = low_rate
        self._resampler = PiecewiseResampler(
            sample_rate, low_rate, 1, dtype="float32", quality="HQ", piece_frames=METER_PIECE_FRAMES
        )
        self._high_framer = Framer(rows=1, size=hop, hop=hop, limit=self.frames)
        low_hop = hop // DECIMATE
        self._low_head = max(0, (low_fft - low_hop) // 2)
        self._low_framer = Framer(
            rows=1, size=low_fft, hop=low_hop, head=self._low_head, limit=self.frames
        )
        self._hop, self._low_fft = hop, low_fft
        self._decimated = 0
        self._put = put
        self.power = None if put is not None else np.zeros((N_BANDS, self.frames), dtype=np.float32)
        self._pending: dict[str, list[np.ndarray]] = {"high": [], "low": []}
        self._done = 0

    def feed(self, block: np.ndarray) -> None:
        mono = mono_rows(np.asarray(block, dtype=np.float32)[:, np.newaxis, :])[:, 0, :]
        for frames in self._high_framer.feed(mono):
            self._pending["high"].append(self._powers(frames[0], self._hop, self._hop, self._high))
        decimated = self._resampler.resample(mono[0])
        self._decimate(decimated)
        self._emit()

    def _decimate(self, decimated: np.ndarray) -> None:
        self._decimated += decimated.size
        for frames in self._low_framer.feed(decimated[np.newaxis].astype(np.float32)):
            self._pending["low"].append(
                self._powers(frames[0], self._low_fft, self._hop // DECIMATE, self._low)
            )

    @staticmethod
    def _powers(view: np.ndarray, n_fft: int, hop: int, pooling: tuple[np.ndarray, np.ndarray]):
        bands, pool = pooling
        return band_frame_powers(view, n_fft=n_fft, hop=hop, pool=pool, bands=bands.size)

    def _emit(self) -> None:
        """Hand out the frames both paths have measured."""
        high = np.concatenate(self._pending["high"], axis=1) if self._pending["high"] else None
        low = np.concatenate(self._pending["low"], axis=1) if self._pending["low"] else None
        if high is None or low is None or min(high.shape[1], low.shape[1]) == 0:
            return
        ready = min(high.shape[1], low.shape[1])
        out = np.zeros((N_BANDS, ready), dtype=np.float32)
        out[self._high[0]] = high[:, :ready]
        out[self._low[0]] = low[:, :ready]
        self._pending = {"high": [high[:, ready:]], "low": [low[:, ready:]]}
        if self._put is not None:
            self._put(self._done, out)
        elif self.power is not None:
            self.power[:, self._done : self._done + ready] = out
        self._done += ready

    def finish(self) -> np.ndarray | None:
        """Flush both paths (zero padding as ``stem_bands`` pads) and return the powers."""
        for frames in self._high_framer.finish(max(0, self._hop - self._high_framer.received)):
            self._pending["high"].append(self._powers(frames[0], self._hop, self._hop, self._high))
        self._decimate(self._resampler.resample(np.zeros(0, dtype=np.float32), last=True))
        needed = (self.frames - 1) * (self._hop // DECIMATE) + self._low_fft
        tail = max(0, needed - self._low_head - self._decimated)
        for frames in self._low_framer.finish(tail):
            self._pending["low"].append(
                self._powers(frames[0], self._low_fft, self._hop // DECIMATE, self._low)
            )
        self._emit()
        return self.power


def feed_all(meters: list[Any], block: np.ndarray) -> None:
    for meter in meters:
        meter.feed(block)
