"""What is measured on a track's audio as it streams past, so nothing reads it twice.

``TrackMeter`` gives the facts a version stores about a track (integrated loudness, band
energies, spectral centroid, crest factor, channel count, mid and side energies: one mono
spectrum for bands and centroid), its momentary loudness blocks (the automix's section rides
read them) and, when asked, its masking bands. ``StemMeter`` adds what the automix, the role
guess and the section finder read on a raw stem: a finer spectrum, the level of its loud
passages, and block powers. Render feeds a ``TrackMeter`` each processed track; a new
session feeds a ``StemMeter`` each stem while decoding it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixchat.dsp import loudness
from mixchat.dsp.dynamics import crest_factor_from
from mixchat.dsp.meters import BandMeter, BlockPowers, EnergyMeter, LoudnessMeter, SpectrumMeter
from mixchat.dsp.spectrum import FLOOR_DB, band_energies_from_spectrum, centroid_from_spectrum
from mixchat.dsp.spill import Spill

FACT_KEYS = (
    "lufs",
    "band_energies_db",
    "spectral_centroid_hz",
    "crest_factor_db",
    "channels",
    "mid",
    "side",
)
RMS_BLOCK_S = 0.05  # the automix's "loud passages" level
ACTIVITY_BLOCK_S = 0.1  # roles: the loudest excerpt and the audible share
SECTION_HOP_S = 512 / 22050  # sections: one stem level per spectrogram hop
ACTIVE_BELOW_LOUD_DB = 30.0
AUTOMIX_N_FFT = 8192


def finite(value: float, floor: float = -120.0) -> float:
    """A JSON-safe figure: rounded to 3 decimals, ``floor`` for -inf and NaN."""
    value = float(value)
    return round(value, 3) if np.isfinite(value) else floor


@dataclass(frozen=True)
class TrackAnalysis:
    facts: dict[str, Any]
    blocks: np.ndarray  # momentary (400 ms every 100 ms) K-weighted block powers
    bands: np.ndarray | None = None  # (24, frames) masking band powers, when measured


@dataclass(frozen=True)
class StemExtras:
    psd: np.ndarray  # mono power spectral density, AUTOMIX_N_FFT frames
    loud_rms_db: float  # 90th percentile of the active 50 ms RMS levels, dBFS
    active_share: float  # share of 50 ms blocks within 30 dB of the loud level
    activity_powers: np.ndarray  # 100 ms block powers, summed over channels
    section_powers: np.ndarray  # block powers on the section finder's hop
    peak: float
    finite_samples: bool


def gained(analysis: TrackAnalysis, *, gain_db: float) -> TrackAnalysis | None:
    """``analysis`` of a signal made that of the signal times ``gain_db`` (a track whose
    inserts are a trim): powers scale by the gain squared, levels move by ``gain_db``, and
    the centroid and crest factor stay. The loudness is gated again on the scaled blocks, as
    a meter of the scaled signal gates it. None when a band energy floored at FLOOR_DB
    would be raised (its level under the floor is unknown)."""
    energies = analysis.facts["band_energies_db"]
    if gain_db > 0.0 and any(v <= FLOOR_DB for v in energies.values()):
        return None
    scale = 10.0 ** (gain_db / 10.0)
    blocks = np.asarray(analysis.blocks) * scale
    facts = {
        **analysis.facts,
        "lufs": finite(loudness.gated_integrated(blocks)),
        "band_energies_db": {k: finite(max(v + gain_db, FLOOR_DB)) for k, v in energies.items()},
        "mid": float(analysis.facts["mid"]) * scale,
        "side": float(analysis.facts["side"]) * scale,
    }
    bands = analysis.bands
    if bands is not None:
        bands = np.asarray(bands, dtype=np.float32) * np.float32(scale)
    return TrackAnalysis(facts=facts, blocks=blocks, bands=bands)


def facts_from(
    *, lufs: float, freqs: np.ndarray, psd: np.ndarray, peak: float, energies: EnergyMeter
) -> dict[str, Any]:
    left, right, mid, side = (float(v) for v in energies.totals)
    mean_sq = (left + right) / (2 * max(energies.samples, 1))
    return {
        "lufs": finite(lufs),
        "band_energies_db": {
            k: finite(v) for k, v in band_energies_from_spectrum(freqs, psd).items()
        },
        "spectral_centroid_hz": finite(centroid_from_spectrum(freqs, psd)),
        "crest_factor_db": finite(crest_factor_from(peak, mean_sq)),
        "channels": float(energies.channels),
        "mid": mid,
        "side": side,
    }


class TrackMeter:
    """Facts, loudness blocks and (``bands``) masking bands of a ``total``-sample signal fed
    block by block; ``bands_put`` sends the band frames to a writer instead of memory."""

    def __init__(
        self,
        *,
        channels: int,
        sample_rate: int,
        total: int,
        bands: bool = False,
        bands_put: Callable[[int, np.ndarray], None] | None = None,
    ) -> None:
        self.sample_rate = sample_rate
        self.loudness = LoudnessMeter(channels=channels, sample_rate=sample_rate)
        self.spectrum = SpectrumMeter(
            channels=channels, sample_rate=sample_rate, total=total, rows="mono"
        )
        self.energies = EnergyMeter()
        self.peak = 0.0
        self.bands = (
            BandMeter(sample_rate=sample_rate, total=total, put=bands_put) if bands else None
        )

    def feed(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32)
        if block.shape[1] == 0:
            return
        self.loudness.feed(block)
        self.spectrum.feed(block)
        self.energies.feed(block)
        self.peak = max(self.peak, float(max(block.max(), -block.min())))
        if self.bands is not None:
            self.bands.feed(block)

    def result(self) -> TrackAnalysis:
        freqs, psd = self.spectrum.result()
        blocks = self.loudness.momentary()
        facts = facts_from(
            lufs=loudness.gated_integrated(blocks),
            freqs=freqs,
            psd=psd[0],
            peak=self.peak,
            energies=self.energies,
        )
        bands = self.bands.finish() if self.bands is not None else None
        return TrackAnalysis(facts=facts, blocks=blocks, bands=bands)


class StemMeter(TrackMeter):
    """A ``TrackMeter`` (with bands) plus what the automix, roles and sections read; given a
    ``spill``, the block powers wait there until ``extras`` (many stems measured side by
    side: memory does not grow with the song's length)."""

    def __init__(
        self,
        *,
        channels: int,
        sample_rate: int,
        total: int,
        bands_put: Callable[[int, np.ndarray], None] | None = None,
        spill: Spill | None = None,
    ) -> None:
        super().__init__(
            channels=channels, sample_rate=sample_rate, total=total, bands=True, bands_put=bands_put
        )
        self.fine = SpectrumMeter(
            channels=channels,
            sample_rate=sample_rate,
            total=total,
            rows="mono",
            n_fft=AUTOMIX_N_FFT,
        )
        self.rms = BlockPowers(size=round(RMS_BLOCK_S * sample_rate), mono=True, spill=spill)
        self.activity = BlockPowers(size=max(1, sample_rate // 10), spill=spill)
        self.section = BlockPowers(
            size=max(1, int(round(sample_rate * SECTION_HOP_S))), spill=spill
        )
        self.finite_samples = True

    def feed(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32)
        if block.shape[1] == 0:
            return
        if self.finite_samples and not np.isfinite(block).all():
            self.finite_samples = False
            block = np.nan_to_num(block, nan=0.0, posinf=0.0, neginf=0.0)
        super().feed(block)
        for meter in (self.fine, self.rms, self.activity, self.section):
            meter.feed(block)

    def extras(self) -> StemExtras:
        _, psd = self.fine.result()
        loud, share = loud_rms_db(self.rms.result())
        return StemExtras(
            psd=psd[0],
            loud_rms_db=loud,
            active_share=share,
            activity_powers=self.activity.result(),
            section_powers=self.section.result(),
            peak=self.peak,
            finite_samples=self.finite_samples,
        )


def loud_rms_db(squares: np.ndarray) -> tuple[float, float]:
    """(90th percentile of the active 50 ms RMS levels in dBFS, share of active blocks)."""
    if squares.size == 0:
        return -120.0, 0.0
    levels = 10.0 * np.log10(np.maximum(squares, 1e-20))
    loudest = float(np.percentile(levels, 95))
    active = levels[levels > max(loudest - ACTIVE_BELOW_LOUD_DB, -100.0)]
    if not active.size:
        return -120.0, 0.0
    return float(np.percentile(active, 90)), active.size / squares.size


def lufs_of(blocks: np.ndarray) -> float:
    """Gated integrated loudness of momentary blocks (-120 for silence)."""
    if blocks.size == 0:
        return -120.0
    value = loudness.gated_integrated(blocks)
    return value if math.isfinite(value) else -120.0
