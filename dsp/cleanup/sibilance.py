"""Sibilance: 5-10 kHz bursts on a vocal that stand out of the rest of it, tamed by a
de-esser (a dynamic bell on the sibilance band keyed on that band, see ``sidechain``).

Detection frames the vocal (about 23 ms) and calls a frame an ess when its 5-10 kHz power
comes within ``-ESS_OVER_REST_DB`` of the rest of the spectrum (80 Hz-5 kHz; a mixed vocal's
esses carry its reverb and bleed, so they seldom beat the body outright). The esses are harsh
when they come close to the vocal's own loud level: a burst counts when its sibilance band
reaches within ``HARSH_BELOW_LOUD_DB`` of the loud frames' total level, and sibilance is
found when there are ``MIN_BURSTS`` such bursts, or on a short vocal with few esses,
``MIN_SHORT_BURSTS`` making up ``HARSH_SHARE`` of them. Sibilance laid over the singing (a
harsh band on a sustained vowel, which never beats the vowel) is found too: frames whose band
alone comes within ``LOUD_BURST_BELOW_LOUD_DB`` of the loud level, whatever is under it, when
such bursts come at least ``MIN_LOUD_BURST_RATE`` per second of singing (a clean vocal's own
esses reach that close a few times a stem). The de-esser's threshold comes from the same band
the stage listens to: between the voiced frames' band level and the esses'.
"""

from __future__ import annotations

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mixchat.dsp import fft
from mixchat.dsp.cleanup.frames import FrameStream
from mixchat.dsp.cleanup.sidechain import (
    DynamicBandStage,
    EnvelopePeaks,
    NativeBand,
    bandpass_sos,
)
from mixchat.dsp.cleanup.spec import DeEsser

BAND_HZ = (5000.0, 10000.0)
REST_HZ = (80.0, 5000.0)
FRAME_S = 0.023
ESS_OVER_REST_DB = -6.0
HARSH_BELOW_LOUD_DB = 6.0
MIN_BURSTS = 3
MIN_SHORT_BURSTS = 2  # a short vocal with few esses: two harsh ones, ...
HARSH_SHARE = 0.4  # ... when they are this share of its esses
THRESHOLD_BELOW_BURSTS_DB = 15.0
CEILING_PERCENTILE = 50.0  # the band's typical level in frames without an ess
LOUD_BURST_BELOW_LOUD_DB = 10.0
MIN_LOUD_BURST_RATE = 0.4  # per second of singing (the clean vocals reach at most 0.31)


class SibilanceFinding(BaseModel):
    model_config = ConfigDict(frozen=True)

    found: bool
    bursts: int = Field(default=0, description="harsh 5-10 kHz bursts")
    times_s: list[float] = Field(default_factory=list)
    esses: int = 0
    band_over_rest_db: float = Field(default=0.0, description="median, in the harsh bursts")
    band_against_loud_db: float = Field(default=-120.0, description="median burst vs loud level")
    threshold_db: float | None = Field(default=None, description="suggested de-esser threshold")


def _db(x: np.ndarray) -> np.ndarray:
    return 10.0 * np.log10(np.maximum(x, 1e-20))


def _runs(mask: np.ndarray) -> list[tuple[int, int]]:
    edges = np.diff(np.concatenate([[0], mask.astype(np.int8), [0]]))
    return list(zip(np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)))


def frame_size(sample_rate: int) -> int:
    return int(2 ** round(np.log2(FRAME_S * sample_rate)))


class SibilanceMeter:
    """``detect_sibilance`` fed block by block: each 23 ms frame's sibilance-band and rest
    power, and the de-esser's detector peaks per frame (for a threshold on the esses, which
    are found only at the end)."""

    def __init__(self, *, sample_rate: int) -> None:
        self.sample_rate = sample_rate
        self.size = frame_size(sample_rate)
        self._frames = FrameStream(self.size)
        freqs = np.fft.rfftfreq(self.size, 1.0 / sample_rate)
        self._in_band = (freqs >= BAND_HZ[0]) & (freqs < BAND_HZ[1])
        self._in_rest = (freqs >= REST_HZ[0]) & (freqs < REST_HZ[1])
        self._band: list[np.ndarray] = []
        self._rest: list[np.ndarray] = []
        spec = DeEsser(threshold_db=0.0)
        self._envelope = EnvelopePeaks(
            bandpass_sos(spec.freq_hz, spec.q, sample_rate),
            attack_ms=spec.attack_ms,
            sample_rate=sample_rate,
            size=self.size,
        )

    def feed(self, audio: np.ndarray, mono: np.ndarray) -> None:
        """``audio`` (channels, n) and its channel mean."""
        frames = self._frames.push(mono)
        if frames.shape[0]:
            hann = np.hanning(self.size).astype(np.float32)
            spectrum = fft.rfft(frames * hann, axis=1)
            power = spectrum.real**2 + spectrum.imag**2
            self._band.append(power[:, self._in_band].sum(axis=1))
            self._rest.append(power[:, self._in_rest].sum(axis=1))
        self._envelope.feed(audio)

    def result(self) -> SibilanceFinding:
        if self.sample_rate < 2.2 * BAND_HZ[1]:
            return SibilanceFinding(found=False)
        band = np.concatenate(self._band) if self._band else np.zeros(0)
        rest = np.concatenate(self._rest) if self._rest else np.zeros(0)
        if band.size < 20:
            return SibilanceFinding(found=False)
        total_db = _db(band + rest)
        loud = float(np.percentile(total_db, 95))
        ess = (_db(band) - _db(rest) >= ESS_OVER_REST_DB) & (total_db > loud - 40.0)
        harsh = ess & (_db(band) >= loud - HARSH_BELOW_LOUD_DB)
        singing = total_db > loud - 40.0
        loud_bursts = singing & (_db(band) >= loud - LOUD_BURST_BELOW_LOUD_DB)
        singing_s = float(singing.sum()) * self.size / self.sample_rate
        loud_runs = _runs(loud_bursts)
        over_singing = len(loud_runs) >= max(MIN_BURSTS, MIN_LOUD_BURST_RATE * singing_s)
        if over_singing:
            harsh = harsh | loud_bursts
        ess_runs, harsh_runs = _runs(ess), _runs(harsh)
        found = (
            over_singing
            or len(harsh_runs) >= MIN_BURSTS
            or (
                len(harsh_runs) >= MIN_SHORT_BURSTS
                and len(harsh_runs) >= HARSH_SHARE * len(ess_runs)
            )
        )
        times = [round(float(a * self.size / self.sample_rate), 3) for a, _ in harsh_runs[:100]]
        over = float(np.median(_db(band[harsh]) - _db(rest[harsh]))) if harsh.any() else 0.0
        against = float(np.median(_db(band[harsh]) - loud)) if harsh.any() else -120.0
        return SibilanceFinding(
            found=bool(found),
            bursts=len(harsh_runs),
            times_s=times,
            esses=len(ess_runs),
            band_over_rest_db=round(over, 2),
            band_against_loud_db=round(against, 2),
            threshold_db=self._threshold(ess | harsh),
        )

    def _threshold(self, frames: np.ndarray) -> float | None:
        """A threshold on the de-esser's own detector: THRESHOLD_BELOW_BURSTS_DB under the
        esses' median peak level (so a typical ess loses about 12 dB at 6:1 and every ess is
        touched), never under the band's typical (median) level in frames without an ess."""
        if not frames.any():
            return None
        peaks = self._envelope.peaks(frames.size)
        bursts = float(np.median(peaks[frames]))
        others = peaks[~frames & (peaks > bursts - 40.0)]
        ceiling = float(np.percentile(others, CEILING_PERCENTILE)) if others.size else -90.0
        return round(
            float(np.clip(max(bursts - THRESHOLD_BELOW_BURSTS_DB, ceiling), -90.0, 0.0)), 1
        )


def detect_sibilance(audio: np.ndarray, *, sample_rate: int) -> SibilanceFinding:
    meter = SibilanceMeter(sample_rate=sample_rate)
    meter.feed(audio, np.asarray(audio, dtype=np.float32).mean(axis=0))
    return meter.result()


def de_esser_stage(spec: DeEsser, *, sample_rate: int) -> DynamicBandStage:
    band = NativeBand.bandpass(spec.freq_hz, spec.q, sample_rate=sample_rate)
    return DynamicBandStage(spec, band, sample_rate=sample_rate)
