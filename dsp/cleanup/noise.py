"""Broadband noise: a floor learned on the stem's quiet passages, reduced by spectral gating.

Detection frames the stem (``n_fft`` about 46 ms, half overlap) and takes the frames within
``QUIET_WITHIN_DB`` of its quietest playing frames (digital silence is not a floor). It is noise when those frames are (1) far enough
under the stem's loud frames to be "quiet", yet no more than ``MAX_SNR_DB`` under them, (2)
steady (their levels spread by under ``STEADY_SPREAD_DB``) and (3) noise-like: their averaged
spectrum is flat within each octave from 500 Hz up (``FLATNESS_MIN``), where a held note or a
reverb tail shows peaks. The profile (each channel's power density per Hz, averaged over the
channels, at log-spaced frequencies: the power the gate weighs) is what
``NoiseReduction`` stores, so every render gates against the same floor.

The gate (a ``LocalStage``) computes an STFT on a fixed grid (sqrt-Hann, half overlap, so an
untouched frame comes back exactly), averages the power over its neighbours
(``POWER_SMOOTH``: noise's random peaks average out, music's partials do not), keeps the bins
that rise ``threshold_db`` over the profile and, ``HOLD`` frames longer, the ones after them
(a note's decay rides down under the threshold), smooths that mask over three frames and
five bins and lowers the rest by ``reduction_db``. Channels share one mask (the image does not move).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mixchat.dsp import fft
from mixchat.dsp.cleanup.frames import FrameStream, sqrt_periodic_hann
from mixchat.dsp.cleanup.spec import NoiseProfile, NoiseReduction
from mixchat.dsp.cleanup.stream import LocalStage, PiecewiseStage, piece_frames
from mixchat.dsp.spill import Parts, Spill

QUIET_PERCENTILE = 2.0
QUIET_WITHIN_DB = 6.0  # quiet frames: within this of the quietest 2 % of the playing frames
MIN_QUIET_S = 0.3
SILENT_POWER = 1e-11  # -110 dBFS: digital silence, not a noise floor
MAX_SNR_DB = 52.0
MIN_QUIET_BELOW_LOUD_DB = 30.0
STEADY_SPREAD_DB = 6.0
FLATNESS_MIN = 0.8
FLAT_FROM_HZ = 500.0
PROFILE_POINTS = 48
POWER_SMOOTH = (3, 3)  # frames, bins the power is averaged over before the threshold
HOLD = 2  # frames the gate stays open after a sound
MASK_SMOOTH = (3, 5)  # frames, bins


def frame_size(sample_rate: int) -> int:
    return 2048 if sample_rate <= 50000 else 4096


def analysis_window(size: int) -> np.ndarray:
    return sqrt_periodic_hann(size)


class NoiseFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    found: bool
    floor_dbfs: float = Field(default=-120.0, description="broadband level of the quiet passages")
    loud_dbfs: float = -120.0
    snr_db: float = Field(default=0.0, description="loud passages over the floor")
    quiet_s: float = 0.0
    spread_db: float = 0.0
    flatness: float = 0.0
    profile: NoiseProfile | None = Field(
        default=None, description="learned on the quiet passages, when the stem has some"
    )


def _powers(frames: np.ndarray, size: int) -> np.ndarray:
    """(frames, bins) power of sqrt-Hann windowed frames."""
    spectrum = fft.rfft(frames * analysis_window(size), axis=-1)
    return (spectrum.real**2 + spectrum.imag**2).astype(np.float32)


def _broadband_powers(frames: np.ndarray, size: int) -> np.ndarray:
    """Each frame's power summed over its one-sided spectrum's bins (``_powers(frames,
    size).sum(axis=1)`` to float32 rounding), by Parseval without the transform: the bins
    from 1 to size/2 - 1 hold half of size times the windowed frame's energy; the DC bin
    and the Nyquist bin, counted once, add half their own power."""
    windowed = frames * analysis_window(size)
    even = windowed[:, ::2].sum(axis=1, dtype=np.float64)
    odd = windowed[:, 1::2].sum(axis=1, dtype=np.float64)
    energy = np.square(windowed, out=windowed).sum(axis=1, dtype=np.float64)
    return ((size * energy + (even + odd) ** 2 + (even - odd) ** 2) / 2.0).astype(np.float32)


def _octave_flatness(mean_power: np.ndarray, freqs: np.ndarray, nyquist: float) -> float:
    """Mean spectral flatness of the octaves from FLAT_FROM_HZ up (1 = flat noise)."""
    values = []
    low = FLAT_FROM_HZ
    while low * 2 <= min(nyquist, 16000.0):
        inside = mean_power[(freqs >= low) & (freqs < low * 2)] + 1e-30
        values.append(float(np.exp(np.mean(np.log(inside))) / np.mean(inside)))
        low *= 2
    return float(np.mean(values)) if values else 0.0


def learn_profile(
    mean_power: np.ndarray, *, sample_rate: int, size: int, seconds: float
) -> NoiseProfile:
    """Power density per Hz (dB) at log-spaced points, from a mean frame power spectrum."""
    window_energy = float(np.sum(analysis_window(size).astype(np.float64) ** 2))
    density = 2.0 * mean_power / (sample_rate * window_energy)
    freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
    edges = np.geomspace(20.0, sample_rate / 2.0, PROFILE_POINTS + 1)
    centres, levels = [], []
    for lo, hi in zip(edges[:-1], edges[1:]):
        inside = (freqs >= lo) & (freqs < hi)
        if not inside.any():
            continue
        centres.append(round(float(math.sqrt(lo * hi)), 2))
        levels.append(round(float(10.0 * np.log10(np.median(density[inside]) + 1e-30)), 2))
    return NoiseProfile(
        freqs_hz=tuple(centres), density_db=tuple(levels), seconds=round(seconds, 2)
    )


Reread = Callable[[int, int], np.ndarray]  # (start, stop) -> (channels, stop - start) audio
REREAD_FRAMES = 256


class NoiseMeter:
    """``detect_noise`` fed block by block: each frame's broadband power is kept (a float
    per 23 ms); the spectra of the quiet frames, known only at the end, are read again
    (``reread``) a run of frames at a time."""

    def __init__(self, *, sample_rate: int, spill: Spill | None = None) -> None:
        self.sample_rate = sample_rate
        self.size = frame_size(sample_rate)
        self._frames = FrameStream(self.size, self.size // 2)
        self._broadband = Parts(spill=spill)

    def feed(self, mono: np.ndarray) -> None:
        frames = self._frames.push(mono)
        if frames.shape[0]:
            self._broadband.append(_broadband_powers(frames, self.size))

    def settle(self, spill: Spill | None = None) -> None:
        """Fed to the end: the frames' powers joined into one array (parked in ``spill``,
        if given), the partial frame let go."""
        self._frames.end()
        self._broadband.park(spill)

    def _mean_power(self, quiet: np.ndarray, reread: Reread) -> np.ndarray:
        """The quiet frames' mean power spectrum, each channel's power averaged over the
        channels: what the gate weighs a frame by. (The channel mean's power would read a
        stereo pair's own, uncorrelated noise 3 dB low: the gate then opened on the noise.)"""
        hop = self.size // 2
        total = np.zeros(self.size // 2 + 1, dtype=np.float64)
        breaks = np.flatnonzero(np.diff(quiet) != 1) + 1
        for run in np.split(quiet, breaks):
            for first in range(0, run.size, REREAD_FRAMES):
                part = run[first : first + REREAD_FRAMES]
                start, stop = int(part[0]) * hop, int(part[-1]) * hop + self.size
                audio = np.atleast_2d(np.asarray(reread(start, stop), dtype=np.float32))
                frames = np.lib.stride_tricks.sliding_window_view(audio, self.size, axis=1)
                powers = _powers(frames[:, ::hop][:, : part.size], self.size).mean(axis=0)
                total += powers.sum(axis=0, dtype=np.float64)
        return (total / max(quiet.size, 1)).astype(np.float32)

    def result(self, reread: Reread) -> NoiseFinding:
        size, sample_rate = self.size, self.sample_rate
        hop_s = size / 2 / sample_rate
        if not self._broadband:
            return NoiseFinding(found=False)
        broadband = self._broadband.joined()
        if broadband.shape[0] < 20:
            return NoiseFinding(found=False)
        playing = broadband > SILENT_POWER * size
        if playing.sum() < 20:
            return NoiseFinding(found=False)
        window_energy = float(np.sum(analysis_window(size).astype(np.float64) ** 2))
        level = 10.0 * np.log10(2.0 * broadband / (size * window_energy) + 1e-30)
        loud = float(np.percentile(level[playing], 95))
        bottom = float(np.percentile(level[playing], QUIET_PERCENTILE))
        quiet = np.flatnonzero(playing & (level <= bottom + QUIET_WITHIN_DB))
        quiet_s = quiet.size * hop_s
        floor = float(10.0 * np.log10(np.mean(10.0 ** (level[quiet] / 10.0))))
        spread = float(np.percentile(level[quiet], 90) - np.percentile(level[quiet], 10))
        freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
        mean_power = self._mean_power(quiet, reread)
        flatness = _octave_flatness(mean_power, freqs, sample_rate / 2.0)
        snr = loud - floor
        found = (
            quiet_s >= MIN_QUIET_S
            and MIN_QUIET_BELOW_LOUD_DB <= snr <= MAX_SNR_DB
            and spread <= STEADY_SPREAD_DB
            and flatness >= FLATNESS_MIN
        )
        profile = learn_profile(mean_power, sample_rate=sample_rate, size=size, seconds=quiet_s)
        return NoiseFinding(
            found=bool(found),
            floor_dbfs=round(floor, 2),
            loud_dbfs=round(loud, 2),
            snr_db=round(snr, 2),
            quiet_s=round(quiet_s, 2),
            spread_db=round(spread, 2),
            flatness=round(flatness, 3),
            profile=profile if quiet_s >= MIN_QUIET_S and snr >= MIN_QUIET_BELOW_LOUD_DB else None,
        )


def detect_noise(audio: np.ndarray, *, sample_rate: int) -> NoiseFinding:
    meter = NoiseMeter(sample_rate=sample_rate)
    meter.feed(np.asarray(audio, dtype=np.float32).mean(axis=0))
    return meter.result(lambda start, stop: audio[:, start:stop])


def _threshold(spec: NoiseReduction, *, sample_rate: int, size: int) -> np.ndarray:
    """Per-bin power a frame must exceed to pass: the profile's density, as frame power,
    ``threshold_db`` higher."""
    freqs = np.fft.rfftfreq(size, 1.0 / sample_rate)
    profile = spec.profile
    density_db = np.interp(
        np.log(np.maximum(freqs, 1.0)), np.log(profile.freqs_hz), profile.density_db
    )
    window_energy = float(np.sum(analysis_window(size).astype(np.float64) ** 2))
    frame_power = 10.0 ** (density_db / 10.0) * sample_rate * window_energy / 2.0
    return (frame_power * 10.0 ** (spec.threshold_db / 10.0)).astype(np.float32)


def box_sum(values: np.ndarray, size: int, *, axis: int) -> np.ndarray:
    """The sum of each ``size`` (odd) neighbours along ``axis``, the edge values repeated
    beyond the ends (``scipy.ndimage.uniform_filter1d(mode="nearest")`` times ``size``, by
    shifted slices: a few passes over the array instead of a filter per line)."""
    half = size // 2
    length = values.shape[axis]
    lead = (slice(None),) * (axis % values.ndim)
    first = values[(*lead, slice(0, 1))]
    last = values[(*lead, slice(length - 1, length))]
    padded = np.concatenate([first] * half + [values] + [last] * half, axis=axis)
    total = padded[(*lead, slice(0, length))].copy()
    for offset in range(1, size):
        total += padded[(*lead, slice(offset, offset + length))]
    return total


def hold_after(on: np.ndarray, frames: int) -> np.ndarray:
    """``on`` (frames, bins) kept on for ``frames`` more frames after each on frame."""
    held = np.array(on)
    for lag in range(1, frames + 1):
        held[lag:] |= on[:-lag]
    return held


class NoiseGate:
    """The spectral gate as a local operation over a window starting on the hop grid."""

    def __init__(self, spec: NoiseReduction, *, sample_rate: int) -> None:
        self.size = frame_size(sample_rate)
        self.hop = self.size // 2
        self.window = analysis_window(self.size)
        self.threshold = _threshold(spec, sample_rate=sample_rate, size=self.size)
        floor = np.float32(10.0 ** (-spec.reduction_db / 20.0))
        cells = MASK_SMOOTH[0] * MASK_SMOOTH[1]
        share = np.arange(cells + 1, dtype=np.float32) / np.float32(cells)
        # complex, as the spectrum it scales (a real gain would be cast for every product)
        self.gains = (floor + (np.float32(1.0) - floor) * share).astype(np.complex64)

    def __call__(self, audio: np.ndarray, start: int) -> np.ndarray:
        del start  # windows start on the hop grid; nothing else depends on the position
        channels, length = audio.shape
        count = (length - self.size) // self.hop + 1
        if count < 2:
            return np.zeros_like(audio, dtype=np.float32)
        frames = np.lib.stride_tricks.sliding_window_view(audio, self.size, axis=1)[:, :: self.hop][
            :, :count
        ]
        spectrum = fft.rfft(frames * self.window, axis=-1)
        power = np.square(spectrum.real[0])
        power += np.square(spectrum.imag[0])
        if channels > 1:  # the channels' mean, added in the order np.mean adds them
            for channel in range(1, channels):
                other = np.square(spectrum.real[channel])
                other += np.square(spectrum.imag[channel])
                power += other
            power /= np.float32(channels)
        # a sound is judged on its neighbourhood (noise's own peaks average out, a partial
        # does not), kept open HOLD frames after it (its decay rides under the threshold)
        power = box_sum(box_sum(power, POWER_SMOOTH[0], axis=0), POWER_SMOOTH[1], axis=1)
        sounding = power > self.threshold * np.float32(POWER_SMOOTH[0] * POWER_SMOOTH[1])
        held = hold_after(sounding, HOLD)
        counts = box_sum(held.view(np.uint8), MASK_SMOOTH[0], axis=0)
        counts = box_sum(counts, MASK_SMOOTH[1], axis=1)
        spectrum *= np.take(self.gains, counts)  # the smoothed mask's share open, as a gain
        shaped = fft.irfft(spectrum, n=self.size, axis=-1, overwrite_x=True)
        shaped = shaped.astype(np.float32, copy=False)
        half = self.hop
        rows = max(count + 1, -(-length // half))  # the window's length at least: the output
        joined = np.empty((channels, rows, half), dtype=np.float32)
        # overlap-add of the windowed frames, each half windowed where it lands
        np.multiply(shaped[:, :, :half], self.window[:half], out=joined[:, :count])
        joined[:, count:] = 0.0
        ends = np.multiply(shaped[:, :, half:], self.window[half:], out=shaped[:, :, half:])
        joined[:, 1 : count + 1] += ends
        return joined.reshape(channels, -1)[:, :length]


GATE_PIECE_S = 3.0  # a longer block is gated in pieces: its spectra fit the caches (20 s: +40 %)


def noise_stage(spec: NoiseReduction, *, sample_rate: int) -> PiecewiseStage:
    """The gate over a window of each block and its context; a block longer than
    GATE_PIECE_S (render's 5 s blocks, a whole stem read at once) is fed in pieces, so its
    memory does not grow with the stem and its spectra stay in the caches (its context,
    4 frames, is small: little is worked twice)."""
    gate = NoiseGate(spec, sample_rate=sample_rate)
    stage = LocalStage(gate, context=4 * gate.size, grid=gate.hop)
    piece = piece_frames(stage, sample_rate=sample_rate, seconds=GATE_PIECE_S)
    return PiecewiseStage(stage, piece=piece)
