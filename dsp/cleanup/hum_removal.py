"""Hum removal: each harmonic of the mains fundamental followed and subtracted.

Hum lives low, so the stem is resampled (soxr) to a rate a little over twice ``highest_hz``
(an exact fraction of the stem's rate, so every window lands on the same samples). There
every harmonic ``k f0`` up to ``highest_hz`` is brought to baseband by its own phase and
smoothed by a linear-phase low-pass (a Kaiser-windowed sinc): flat within ``NOTCH_FLAT``
of the width around the line (so the notch is as deep there as the hum line is wide, and
what is left of the wander after following it stays in), and ``NOTCH_STOP_DB`` down from
``NOTCH_STOP`` of the width on (a partial a semitone's fraction off the line, and the
music's loud partials a few hertz off, are left alone; a bell-shaped window's skirt took
2-3 dB from a partial 1 Hz off). What survives is what holds still at ``k f0``: the
hum, and music only where it sits on the line itself. The smoothed lines rebuild the hum,
which is resampled back and subtracted, ``reduction_db`` deep; between the harmonics, and
above ``highest_hz``, nothing is touched.

The mains wanders (by up to ``drift_hz``), and a wandering fundamental moves its k-th
harmonic k times as far, out of a narrow notch. So the lines are followed: the phase advance
of the lines the detector found (``followed``) over ``TRACK_LAG_S``, divided by the harmonic
number and weighted by how steadily it advances (hum's does, music's does not), gives the
fundamental's offset moment by moment (a line whose advance says the mains moved further
than they can, a loud note beside it in the tracking band, has no say then), and the baseband is turned back by it before
smoothing. Each notch is about ``width_hz`` wide at -3 dB. A notch 1/T Hz wide follows
amplitude changes slower than T, so hum that starts, stops or swells is followed too.

A smoothed line changes slowly, so it is worked out only every ``line_every`` low samples
(on a grid fixed to the stream's start, so any window gives the same samples) and read
linearly in between: the smoothing's spectrum is folded onto that grid, and its inverse
transform is as many times shorter. The followed lines' advance is read every
``track_every`` low samples (TRACK_RATE_HZ) the same way, and the drift between them
interpolated.

The removal works over a window of the block it is given plus ``context`` either side, and
holds about 3 MB a second of window at 1200 Hz (its lines, at baseband, and their
spectra). Render's blocks (5 s) pass whole; a block longer than ``stream.PIECE_S`` past the context
(a whole stem read at once: ``clean_audio``, or a read that starts the chain again from the
stem's start) is fed in equal pieces no longer than that, so the removal's memory does not
grow with the stem.
"""

from __future__ import annotations

import math

import numpy as np
import soxr

from mixchat.dsp import fft
from mixchat.dsp.cleanup.spec import HumRemoval
from mixchat.dsp.cleanup.stream import LocalStage, PiecewiseStage, piece_frames
from mixchat.dsp.iir import kaiser_lowpass

HEADROOM = 0.35  # the highest harmonic sits at this share of the low rate (soxr is flat there)
KAISER_BETA = 10.0  # the line-following windows
NOTCH_FLAT = 0.1  # x width_hz either side of the line: the notch's flat bottom ...
NOTCH_STOP = 0.9  # ... and where the music is left alone (the -3 dB point lies between)
NOTCH_STOP_DB = 40
TRACK_SMOOTH_S = 1.0  # the followed lines, smoothed over this ...
TRACK_LAG_S = 0.25  # ... their phase advance over this lag ...
TRACK_AVERAGE_S = 2.0  # ... averaged over this: the fundamental's offset from the nominal
LINE_READS_PER_HZ = 64.0
TRACK_RATE_HZ = 50.0  # the followed lines read this often (smoothed over 1 s, they hold still)
RESAMPLER_S = 0.05  # the resampler's reach either way
WANDER_REJECT = 4.0  # x drift_hz: a line's own offset from here on is not the mains' wander
MIN_SHARE = 0.05  # a line is rebuilt where this share of its smoothing window plays


def _kaiser(length: int) -> np.ndarray:
    """A unit-gain Kaiser window of ``length`` samples (odd: it has a centre)."""
    window = np.kaiser(length | 1, KAISER_BETA)  # scipy.signal's kaiser, sample for sample
    return np.asarray(window / window.sum())


def notch_kernel(*, width_hz: float, rate_hz: float) -> np.ndarray:
    """The low-pass the baseband lines are smoothed by: unit gain (within NOTCH_STOP_DB)
    up to NOTCH_FLAT x width_hz, NOTCH_STOP_DB down from NOTCH_STOP x width_hz (the Kaiser
    design formulas for its length and shape)."""
    transition = (NOTCH_STOP - NOTCH_FLAT) * width_hz / rate_hz  # cycles per sample
    taps = int(math.ceil((NOTCH_STOP_DB - 7.95) / (2.285 * 2.0 * math.pi * transition))) | 1
    beta = 0.1102 * (NOTCH_STOP_DB - 8.7)
    cutoff = (NOTCH_FLAT + NOTCH_STOP) * width_hz / rate_hz  # relative to Nyquist
    return kaiser_lowpass(max(taps, 3), cutoff, beta=beta)


def _smoothed(values: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Each row of ``values`` (rows, samples) run through ``window`` (odd length, unit gain),
    centred (zeros beyond the ends)."""
    samples = values.shape[-1]
    size = fft.next_fast_len(samples + window.size)
    response = fft.fft(window.astype(values.real.dtype), n=size)
    spectrum = fft.fft(values, n=size, axis=-1)
    spectrum *= response
    half = window.size // 2
    return fft.ifft(spectrum, axis=-1, overwrite_x=True)[:, half : half + samples]


def _smoothed_every(
    values: np.ndarray, window: np.ndarray, *, every: int, first: int
) -> np.ndarray:
    """``_smoothed(values, window)`` at the samples whose absolute index (``first`` for
    the first one) is a multiple of ``every``, from the last one at or before the first
    sample to the first one past the last: the spectrum folded onto that coarser grid, so
    the inverse transform is ``every`` times shorter."""
    padded, place = _padded(values.shape, values.dtype, window, every=every, first=first)
    padded[place] = values
    return _smoothed_padded(padded, window, every=every, samples=values.shape[-1], first=first)


def _padded(
    shape: tuple[int, ...], dtype: np.dtype, window: np.ndarray, *, every: int, first: int
) -> tuple[np.ndarray, tuple[slice, ...]]:
    """The zeros ``_smoothed_every`` transforms for ``values`` of ``shape``, and where in
    them the values go (to be written there in place)."""
    lead = first % every  # the first coarse point sits this far before the first sample
    samples = shape[-1] + lead
    coarse = fft.next_fast_len(-(-(samples + window.size) // every))
    padded = np.zeros((*shape[:-1], coarse * every), dtype=dtype)
    return padded, (*(slice(None),) * (len(shape) - 1), slice(lead, samples))


def _smoothed_padded(
    padded: np.ndarray, window: np.ndarray, *, every: int, samples: int, first: int
) -> np.ndarray:
    """``_smoothed_every`` of the values ``padded`` holds (``_padded``), overwriting it."""
    samples += first % every
    size = padded.shape[-1]
    coarse = size // every
    half = window.size // 2
    centred = np.zeros(size, dtype=padded.real.dtype)  # the window, its centre at 0
    centred[: half + 1] = window[half:]
    centred[size - half :] = window[:half]
    spectrum = fft.fft(padded, axis=-1, overwrite_x=True)
    spectrum *= fft.fft(centred)
    folded = spectrum.reshape(*padded.shape[:-1], every, coarse).sum(axis=-2)
    smoothed = fft.ifft(folded, axis=-1, overwrite_x=True) / every
    return smoothed[..., : -(-samples // every) + 1]


def _interpolated(coarse: np.ndarray, *, every: int, first: int, samples: int) -> np.ndarray:
    """``samples`` points from ``_smoothed_every``'s: linear in between."""
    share = (np.arange(every) / every).astype(coarse.real.dtype)
    rise = (coarse[..., 1:] - coarse[..., :-1])[..., None] * share
    rise += coarse[..., :-1, None]
    lead = first % every
    return rise.reshape(*coarse.shape[:-1], -1)[..., lead : lead + samples]


def _powers(phasor: np.ndarray, count: int) -> np.ndarray:
    """(count, n): phasor**1 ... phasor**count, by repeated products (no exp per harmonic)."""
    out = np.empty((count, phasor.size), dtype=phasor.dtype)
    out[0] = phasor
    for k in range(1, count):
        np.multiply(out[k - 1], phasor, out=out[k])
    return out


def _playing(audio: np.ndarray, step: int) -> np.ndarray:
    """Per ``step`` samples (the last ones may be fewer): whether any channel holds a sample
    that is not zero."""
    channels, length = audio.shape
    whole = length // step * step
    playing = np.empty(-(-length // step), dtype=bool)
    nonzero = np.not_equal(audio[:, :whole], 0.0).reshape(channels, -1, step)
    playing[: whole // step] = nonzero.any(axis=(0, 2))
    if whole < length:
        playing[-1] = bool(np.any(audio[:, whole:]))
    return playing


class HumRemover:
    """The removal as a local operation over a window that starts on the low rate's grid."""

    def __init__(self, spec: HumRemoval, *, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.f0 = spec.fundamental_hz
        self.harmonics = np.arange(1, max(1, int(spec.highest_hz // spec.fundamental_hz)) + 1)
        top = float(self.harmonics[-1]) * self.f0
        self.step = max(1, int(sample_rate * HEADROOM // top))  # stem samples per low sample
        self.low_rate = sample_rate / self.step
        self.kernel = notch_kernel(width_hz=spec.width_hz, rate_hz=self.low_rate)
        self.length = self.kernel.size
        # the smoothed lines hold nothing past NOTCH_STOP x width_hz but what the kernel's
        # skirt lets through: read LINE_READS_PER_HZ times a width_hz, linear in between,
        # a line comes back within 1e-5 of its level, and what the skirt lets through of
        # loud music is misplaced about 60 dB under the music (tests/test_cleanup_fast.py)
        self.line_every = max(1, int(self.low_rate / (LINE_READS_PER_HZ * spec.width_hz)))
        self.drift_hz = spec.drift_hz
        followed = [k for k in spec.followed if k <= self.harmonics.size]
        self.followed = np.array(followed or self.harmonics.tolist()) - 1
        self.track_smooth = _kaiser(max(1, int(round(TRACK_SMOOTH_S * self.low_rate))))
        self.track_every = max(1, int(self.low_rate / TRACK_RATE_HZ))  # low samples
        self.track_lag = self.track_every * max(
            1, int(round(TRACK_LAG_S * self.low_rate / self.track_every))
        )
        track_rate = self.low_rate / self.track_every
        self.track_average = _kaiser(max(1, int(round(TRACK_AVERAGE_S * track_rate))))
        self.depth = 1.0 - 10.0 ** (-spec.reduction_db / 20.0)

    @property
    def context(self) -> int:
        average = self.track_average.size * self.track_every  # low samples
        tracking = (self.track_smooth.size + average) // 2 + self.track_lag + self.track_every
        reach = self.length // 2 + tracking + int(2 * RESAMPLER_S * self.low_rate)
        return (reach + 2) * self.step

    def drift_phase(self, lines: np.ndarray, *, first: int) -> np.ndarray:
        """Per low sample, the fundamental's phase (radians) gained over the nominal since
        the window's start, from the followed lines' steady phase advance, within drift_hz.
        ``lines``: (followed harmonics, samples) at baseband, the channels summed. The
        followed lines, smoothed over TRACK_SMOOTH_S, change slowly: their advance is read
        every ``track_every`` low samples and the drift between them interpolated."""
        samples = lines.shape[-1]
        if self.drift_hz <= 0.0:
            return np.zeros(samples)
        harmonics = self.harmonics[self.followed]
        every = self.track_every
        followed = _smoothed_every(lines, self.track_smooth, every=every, first=first)
        lag = self.track_lag // every  # in coarse samples
        advance = np.zeros_like(followed)
        advance[:, :-lag] = followed[:, lag:] * np.conj(followed[:, :-lag])
        both = np.concatenate([advance, np.abs(advance).astype(advance.dtype)])
        both = _smoothed(both, self.track_average)
        summed, spread = both[: harmonics.size], both[harmonics.size :].real
        steadiness = np.abs(summed) / np.maximum(spread, 1e-30)
        lag_s = lag * every / self.low_rate
        offset_hz = np.angle(summed) / (2.0 * math.pi * harmonics[:, None] * lag_s)
        # a line that advances faster than the mains can wander follows a note beside it
        # (a loud one within the tracking band swamps a hum line): it has no say
        plausible = np.clip(WANDER_REJECT - np.abs(offset_hz) / self.drift_hz, 0.0, 1.0)
        weight = np.abs(summed) * steadiness**2 * harmonics[:, None] * plausible
        total = weight.sum(axis=0)
        drift = (weight * offset_hz).sum(axis=0) / np.maximum(total, 1e-30)
        drift = np.clip(np.where(total > 0, drift, 0.0), -self.drift_hz, self.drift_hz)
        # the advance over [n, n + lag] is at its middle
        middles = every * (np.arange(drift.size) + lag / 2.0) - first % every
        drift = np.interp(np.arange(samples), middles, drift)
        return 2.0 * math.pi * np.cumsum(drift) / self.low_rate

    def __call__(self, audio: np.ndarray, start: int) -> np.ndarray:
        channels, length = audio.shape
        out = np.array(audio, dtype=np.float32)
        if length < 4 * self.step:
            return out
        low = soxr.resample(out.T, self.sample_rate, self.low_rate, quality="HQ")
        low = low.reshape(low.shape[0], channels).T  # (channels, samples)
        # each low sample's phase, in cycles of the fundamental (absolute: long streams
        # keep their precision, and every window agrees)
        positions = start + self.step * np.arange(low.shape[1])
        cycles = np.mod(self.f0 * positions / self.sample_rate, 1.0)
        # where the stem plays: digital silence (before and after it, in its gaps) holds
        # no hum, so the estimates lean on the playing side only and silence stays silent
        playing = _playing(out, self.step)
        weight = np.zeros(low.shape[1], dtype=np.float32)
        weight[: min(playing.size, weight.size)] = playing[: weight.size]
        low = low * weight
        mono = low.sum(axis=0)
        followed = self.harmonics[self.followed]
        nominal = _powers(np.exp(-2j * math.pi * cycles), int(followed.max()))[followed - 1]
        first = start // self.step  # the window's first low sample, counted from the stream's
        drift = self.drift_phase(mono * nominal, first=first)
        phasor = np.exp(-1j * (2.0 * math.pi * cycles + drift)).astype(np.complex64)
        turn = _powers(phasor, self.harmonics.size)  # (harmonics, samples)
        count = self.harmonics.size
        samples, every = low.shape[1], self.line_every
        grid = {"every": every, "first": first}
        # the lines at baseband, made where their smoothing transforms them (no copy held)
        padded, place = _padded((channels, count, samples), turn.dtype, self.kernel, **grid)
        np.multiply(low.astype(np.float32)[:, None, :], turn[None], out=padded[place])
        padded = padded.reshape(channels * count, -1)
        lines = _smoothed_padded(padded, self.kernel, samples=samples, **grid)
        del padded  # held still but for the music
        lines = _interpolated(lines, samples=samples, **grid).reshape(channels, count, -1)
        share = _smoothed_every(weight[None, :].astype(np.complex64), self.kernel, **grid)
        share = _interpolated(share, samples=samples, **grid)[0].real
        lines *= np.where(share > MIN_SHARE, weight / np.maximum(share, MIN_SHARE), 0.0)
        np.conjugate(turn, out=turn)  # turned back (in place: it is not needed after)
        hum_low = np.einsum("chs,hs->cs", lines, turn).real * (2.0 * self.depth)
        hum = soxr.resample(
            hum_low.T.astype(np.float32), self.low_rate, self.sample_rate, quality="HQ"
        )
        usable = min(hum.shape[0], length)
        out[:, :usable] -= hum[:usable].reshape(usable, channels).T
        return out


def hum_stage(spec: HumRemoval, *, sample_rate: int) -> PiecewiseStage:
    remover = HumRemover(spec, sample_rate=sample_rate)
    stage = LocalStage(remover, context=remover.context, grid=remover.step)
    return PiecewiseStage(stage, piece=piece_frames(stage, sample_rate=sample_rate))
