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

import numpy as np
from scipy.signal import lfilter, sosfilt

from mixchat.dsp.cleanup.frames import PeakFrames
from mixchat.dsp.cleanup.spec import DynamicBand

_DB_PER_NEPER = 20.0 / math.log(10.0)


def bandpass_sos(freq_hz: float, q: float, sample_rate: int) -> np.ndarray:
    """RBJ constant 0 dB peak band-pass as one second-order section."""
    w0 = 2.0 * math.pi * min(freq_hz, 0.45 * sample_rate) / sample_rate
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


def band_envelope(
    band: np.ndarray, *, attack_ms: float, sample_rate: int, zi: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(the band's smoothed power, filter state) for (channels, n) band audio."""
    power = np.max(np.square(band, dtype=np.float32), axis=0)
    pole = math.exp(-1000.0 / (attack_ms * sample_rate))
    state = np.zeros(1, dtype=np.float32) if zi is None else zi
    coeffs = np.array([1.0 - pole], dtype=np.float32), np.array([1.0, -pole], dtype=np.float32)
    return lfilter(*coeffs, power, zi=state)


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

    def __init__(self, spec: DynamicBand, sos: np.ndarray, *, sample_rate: int) -> None:
        self.spec = spec
        self.sos = np.asarray(sos, dtype=np.float32)  # float32 all through: no copies
        self.sample_rate = sample_rate
        self.rate_db = _DB_PER_NEPER / (spec.release_ms * sample_rate / 1000.0)
        self.reset()

    def reset(self) -> None:
        self._filter_zi: np.ndarray | None = None
        self._env_zi: np.ndarray | None = None
        self._last_reduction = 0.0

    def reduction_db(self, power: np.ndarray) -> np.ndarray:
        """Gain reduction (dB) for the band's smoothed power: only the samples over the
        threshold need a logarithm, and none after the release has run out."""
        spec = self.spec
        wanted = np.zeros(power.size, dtype=np.float32)
        over = np.flatnonzero(power > np.float32(10.0 ** (spec.threshold_db / 10.0)))
        if over.size:
            level = np.float32(10.0) * np.log10(power[over])
            wanted[over] = np.minimum(
                (level - np.float32(spec.threshold_db)) * np.float32(1.0 - 1.0 / spec.ratio),
                np.float32(spec.reduction_db),
            )
        elif self._last_reduction <= 0.0:
            return wanted
        ramp = np.float32(self.rate_db) * np.arange(wanted.size, dtype=np.float32)
        step = np.float32(self.rate_db)
        held = np.maximum.accumulate(
            np.concatenate(
                [np.array([self._last_reduction], dtype=np.float32), wanted + ramp + step]
            )
        )
        released = held[1:] - ramp - step
        out = np.maximum(wanted, released)
        self._last_reduction = float(out[-1])
        return out

    def process(self, block: np.ndarray) -> np.ndarray:
        if block.shape[1] == 0:
            return block
        if self._filter_zi is None:
            self._filter_zi = np.zeros((self.sos.shape[0], block.shape[0], 2), np.float32)
        band, self._filter_zi = sosfilt(self.sos, block, axis=-1, zi=self._filter_zi)
        band = band.astype(np.float32, copy=False)
        power, self._env_zi = band_envelope(
            band, attack_ms=self.spec.attack_ms, sample_rate=self.sample_rate, zi=self._env_zi
        )
        reduction = self.reduction_db(power)
        out = np.array(block, dtype=np.float32)
        acting = np.flatnonzero(reduction > np.float32(1e-4))
        if acting.size:
            gain = np.power(np.float32(10.0), reduction[acting] / np.float32(-20.0))
            out[:, acting] += (gain - np.float32(1.0)) * band[:, acting]
        return out
