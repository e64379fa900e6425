"""What the automix measures on each stem, once: loudness blocks, spectrum, levels, bands.

Every figure is taken on the raw stem and is shifted by the trim (a pure gain), so the
decisions never depend on the level a stem was exported at.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import soxr

from mixchat.dsp import loudness
from mixchat.dsp.masking import StemBands, stem_bands
from mixchat.dsp.spectrum import mono_sum, power_spectrum
from mixchat.dsp.state import Section
from mixchat.dsp.threads import pool_size

RMS_BLOCK_S = 0.05
QUICK_DECIMATE = 4
ACTIVE_BELOW_LOUD_DB = 30.0
PROCESSED_BELOW_LU = 3.0  # phrase-level loudness range of a stem that arrives processed


@dataclass(frozen=True)
class StemAnalysis:
    name: str
    channels: int
    lufs: float
    blocks: np.ndarray  # K-weighted mean power of 400 ms blocks every 100 ms
    freqs_hz: np.ndarray
    psd: np.ndarray  # long-term power spectral density of the mono sum
    loud_rms_db: float  # 90th percentile of the 50 ms RMS of active passages, dBFS
    active_share: float = 0.0  # share of 50 ms blocks within 30 dB of the loud level
    bands: StemBands | None = None
    range_lu: float | None = None  # phrase-level loudness range where it plays (None: unknown)
    plays: float = 1.0  # share of the song's 400 ms blocks in which it plays

    def shifted(self, gain_db: float) -> StemAnalysis:
        """The same stem after a gain: every level moves by ``gain_db``."""
        scale = 10.0 ** (gain_db / 10.0)
        return StemAnalysis(
            name=self.name,
            channels=self.channels,
            lufs=self.lufs + gain_db,
            blocks=self.blocks * scale,
            freqs_hz=self.freqs_hz,
            psd=self.psd * scale,
            loud_rms_db=self.loud_rms_db + gain_db,
            active_share=self.active_share,
            bands=shift_bands(self.bands, gain_db) if self.bands is not None else None,
            range_lu=self.range_lu,
            plays=self.plays,
        )

    @property
    def already_even(self) -> bool:
        """Its loudness already holds within PROCESSED_BELOW_LU phrase to phrase: a stem
        that comes processed (compressed, carved) and needs no corrective move."""
        return self.range_lu is not None and self.range_lu <= PROCESSED_BELOW_LU

    def range_db(self, low_hz: float, high_hz: float) -> float:
        inside = (self.freqs_hz >= low_hz) & (self.freqs_hz < high_hz)
        step = float(self.freqs_hz[1] - self.freqs_hz[0])
        return 10.0 * math.log10(max(float(self.psd[inside].sum()) * step, 1e-20))

    def below_share_db(self, cutoff_hz: float) -> float:
        """Energy under ``cutoff_hz`` relative to the whole stem, dB."""
        total = float(self.psd[self.freqs_hz >= 20.0].sum()) + 1e-30
        below = float(self.psd[(self.freqs_hz >= 20.0) & (self.freqs_hz < cutoff_hz)].sum())
        return 10.0 * math.log10(max(below, 1e-30) / total)

    def peak_hz(self, low_hz: float, high_hz: float) -> float:
        inside = np.flatnonzero((self.freqs_hz >= low_hz) & (self.freqs_hz < high_hz))
        if inside.size == 0:
            return math.sqrt(low_hz * high_hz)
        return float(self.freqs_hz[inside[np.argmax(self.psd[inside])]])


def shift_bands(bands: StemBands, gain_db: float) -> StemBands:
    scale = np.float32(10.0 ** (gain_db / 10.0))
    return StemBands(
        edges_hz=bands.edges_hz,
        power=bands.power * scale,
        levels_db=bands.levels_db + np.float32(gain_db),
        active=bands.active,
    )


def loudness_blocks(audio: np.ndarray, *, sample_rate: int) -> np.ndarray:
    power = loudness.weighted_power(audio, sample_rate=sample_rate)
    return loudness.momentary_block_powers(power, sample_rate=sample_rate)


def gated_lufs(blocks: np.ndarray) -> float:
    if blocks.size == 0:
        return -120.0
    value = loudness.gated_integrated(blocks)
    return value if math.isfinite(value) else -120.0


def section_blocks(blocks: np.ndarray, section: Section) -> np.ndarray:
    centres = np.arange(blocks.size) * loudness.BLOCK_HOP_S + loudness.BLOCK_S / 2
    return blocks[(centres >= section.start_s) & (centres < section.end_s)]


def _loud_rms_db(audio: np.ndarray, sample_rate: int) -> tuple[float, float]:
    """(90th percentile of the active 50 ms RMS levels in dBFS, share of active blocks)."""
    mono = mono_sum(audio)
    size = max(1, round(RMS_BLOCK_S * sample_rate))
    count = mono.size // size
    if count == 0:
        return -120.0, 0.0
    framed = mono[: count * size].reshape(count, size)
    squares = np.einsum("bs,bs->b", framed, framed, dtype=np.float64) / size
    levels = 10.0 * np.log10(np.maximum(squares, 1e-20))
    loudest = float(np.percentile(levels, 95))
    active = levels[levels > max(loudest - ACTIVE_BELOW_LOUD_DB, -100.0)]
    if not active.size:
        return -120.0, 0.0
    return float(np.percentile(active, 90)), active.size / count


def analyze(
    name: str, audio: np.ndarray, *, sample_rate: int, lufs: float | None, bands: bool
) -> StemAnalysis:
    """One stem's figures; ``lufs`` when already known (the engine caches it), else measured."""
    audio = np.asarray(audio, dtype=np.float32)
    blocks = loudness_blocks(audio, sample_rate=sample_rate) if lufs is None else np.zeros(0)
    freqs, psd = power_spectrum(mono_sum(audio), sample_rate=sample_rate, n_fft=8192)
    loud, share = _loud_rms_db(audio, sample_rate)
    return StemAnalysis(
        name=name,
        channels=audio.shape[0],
        lufs=gated_lufs(blocks) if lufs is None else lufs,
        blocks=blocks,
        freqs_hz=freqs,
        psd=psd,
        loud_rms_db=loud,
        active_share=share,
        bands=stem_bands(audio, sample_rate=sample_rate) if bands else None,
    )


def analyze_all(
    stems: Mapping[str, np.ndarray],
    *,
    sample_rate: int,
    lufs: Mapping[str, float] | None = None,
    bands: bool = True,
) -> dict[str, StemAnalysis]:
    known = lufs or {}

    def one(item: tuple[str, np.ndarray]) -> StemAnalysis:
        name, audio = item
        return analyze(name, audio, sample_rate=sample_rate, lufs=known.get(name), bands=bands)

    with ThreadPoolExecutor(max_workers=pool_size(at_most=2)) as pool:
        return {result.name: result for result in pool.map(one, stems.items())}


def quick_blocks(audio: np.ndarray, *, sample_rate: int) -> np.ndarray:
    """Loudness blocks measured at a quarter of the rate (K-weighting up to ~5 kHz): cheap,
    and close enough to compare one part with the band section by section."""
    rate = max(8000, sample_rate // QUICK_DECIMATE)
    channels = np.asarray(audio, dtype=np.float32)
    low = soxr.resample(channels.T, sample_rate, rate, quality="LQ").T
    return loudness_blocks(np.ascontiguousarray(low, dtype=np.float32), sample_rate=rate)


def blocks_of_all(tracks: Mapping[str, np.ndarray], *, sample_rate: int) -> dict[str, np.ndarray]:
    with ThreadPoolExecutor(max_workers=pool_size(at_most=2)) as pool:
        measured = pool.map(lambda a: quick_blocks(a, sample_rate=sample_rate), tracks.values())
        return dict(zip(tracks, measured, strict=True))


SHORT_TERM_BLOCKS = 27  # 3 s of 400 ms blocks every 100 ms
PHRASE_BLOCKS = 121  # 12 s: the local reference the phrase-level range is taken against


def loudness_range_lu(blocks: np.ndarray, *, below_lu: float = 20.0) -> float:
    """How much a part's loudness moves phrase to phrase where it plays: the 95th minus
    10th percentile of its short-term (3 s) loudness (LRA-like, EBU Tech 3342) after removing
    the 12 s moving median, so verse/chorus arrangement changes do not count."""
    if blocks.size < SHORT_TERM_BLOCKS:
        return 0.0
    kernel = np.ones(SHORT_TERM_BLOCKS) / SHORT_TERM_BLOCKS
    short = np.convolve(blocks, kernel, mode="valid")
    levels = loudness.power_to_lufs(np.maximum(short, 1e-30))
    playing = levels >= gated_lufs(blocks) - below_lu
    if playing.sum() < 2:
        return 0.0
    half = PHRASE_BLOCKS // 2
    padded = np.pad(levels, half, mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, PHRASE_BLOCKS)[::10]
    local = np.repeat(np.median(windows, axis=1), 10)[: levels.size]
    moves = (levels - local)[playing]
    return float(np.percentile(moves, 95) - np.percentile(moves, 10))


def power_sum_db(levels: list[float]) -> float:
    total = sum(10.0 ** (v / 10.0) for v in levels if v > -119.0)
    return 10.0 * math.log10(total) if total > 0 else -120.0
