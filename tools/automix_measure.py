"""What the automix reads on each stem: loudness blocks, spectrum, levels, bands.

Every figure was measured once on the raw stem, when the session was made (``new``), and is
shifted by the trim (a pure gain), so the decisions never depend on the level a stem was
exported at.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from mixchat.dsp import loudness
from mixchat.dsp.ingest import ingest
from mixchat.dsp.masking import StemBands, bands_from_power
from mixchat.dsp.state import Section
from mixchat.dsp.stems import ArrayStem
from mixchat.dsp.track_meter import AUTOMIX_N_FFT

PROCESSED_BELOW_LU = 3.0  # phrase-level loudness range of a stem that arrives processed
PRINTED_SPACE_DB = -30.0  # side over mid of a one-mic source that carries printed stereo effects
ONE_MIC_ROLES = frozenset({"vocal", "lead_vocal", "bass", "kick", "snare"})


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
    side_db: float = -120.0  # stereo side power over mid power, dB (-120: mono)
    processed: bool | None = None  # arrived processed (None: judge by ``already_even``)

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
            side_db=self.side_db,
            processed=self.processed,
        )

    @property
    def already_even(self) -> bool:
        """Its loudness already holds within PROCESSED_BELOW_LU phrase to phrase: a stem
        that comes processed (compressed, carved) and needs no corrective move."""
        return self.range_lu is not None and self.range_lu <= PROCESSED_BELOW_LU

    @property
    def arrived_processed(self) -> bool:
        """It comes with its producer's inserts printed: no corrective EQ, compression,
        space or width is justified (``processed`` when the session decided, else even)."""
        return self.already_even if self.processed is None else self.processed

    def shows_processing(self, role: str) -> bool:
        """Evidence that its producer processed it: its loudness already holds phrase to
        phrase, or a source recorded with one microphone arrives with a stereo image (its
        reverb, delay or widening printed)."""
        return self.already_even or (role in ONE_MIC_ROLES and self.side_db >= PRINTED_SPACE_DB)

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


def side_to_mid_db(*, mid: float, side: float, channels: int) -> float:
    """Power of the stereo side signal over the mid's, dB (-120 for mono or dual mono)."""
    if channels < 2 or mid <= 0.0 or side <= 0.0:
        return -120.0
    return max(-120.0, 10.0 * math.log10(side / mid))


def mixed_export(stems: Mapping[str, StemAnalysis], roles: Mapping[str, str]) -> bool:
    """Stems come from one session: when at least half of them show their producer's
    processing, the set is an export of a finished mix, every part's inserts printed."""
    showing = sum(stem.shows_processing(roles[n]) for n, stem in stems.items())
    return bool(stems) and 2 * showing >= len(stems)


def processed_parts(stems: Mapping[str, StemAnalysis], roles: Mapping[str, str]) -> frozenset[str]:
    """The parts that arrive processed: all of a mixed export, else those that show it."""
    if mixed_export(stems, roles):
        return frozenset(stems)
    return frozenset(n for n, stem in stems.items() if stem.shows_processing(roles[n]))


def _analysis(name: str, rate: int, facts: Any, blocks, extras, bands) -> StemAnalysis:  # noqa: ANN001
    return StemAnalysis(
        name=name,
        channels=int(facts["channels"]),
        lufs=round(facts["lufs"], 2),
        blocks=blocks,
        freqs_hz=np.fft.rfftfreq(AUTOMIX_N_FFT, d=1.0 / rate),
        psd=extras.psd,
        loud_rms_db=extras.loud_rms_db,
        active_share=extras.active_share,
        bands=bands_from_power(bands) if bands is not None else None,
        side_db=side_to_mid_db(
            mid=float(facts.get("mid", 0.0)),
            side=float(facts.get("side", 0.0)),
            channels=int(facts["channels"]),
        ),
    )


def analyze_all(
    stems: Mapping[str, np.ndarray], *, sample_rate: int, bands: bool = True
) -> dict[str, StemAnalysis]:
    """Stems held in memory, measured as ``new`` measures a session's (one streaming pass)."""
    frames = max(np.shape(a)[1] for a in stems.values())
    found = ingest(
        {n: ArrayStem(np.asarray(a, np.float32), frames=frames) for n, a in stems.items()},
        sample_rate=sample_rate,
        frames=frames,
    )
    return {
        name: _analysis(
            name,
            sample_rate,
            report.analysis.facts,
            report.analysis.blocks,
            report.extras,
            report.analysis.bands if bands else None,
        )
        for name, report in found.stems.items()
    }


def blocks_of_all(stems: Mapping[str, np.ndarray], *, sample_rate: int) -> dict[str, np.ndarray]:
    """Each stem's momentary loudness blocks."""
    return {n: a.blocks for n, a in analyze_all(stems, sample_rate=sample_rate).items()}


def stored_analyses(engine: Any, names: list[str]) -> dict[str, StemAnalysis]:
    """Each raw stem's figures from the session's analysis (measured once, by ``new``); the
    masking bands stay in their files (``engine.band_powers`` reads them a chunk at a time)."""
    rate = engine.meta.sample_rate
    return {
        name: _analysis(name, rate, raw.facts, raw.blocks, raw.extras, None)
        for name, raw in engine.raw_analyses(names).items()
    }


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
