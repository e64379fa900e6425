"""What an engineer measures on a mix or a stem, in one pass, as JSON-ready models.

``analyze_audio`` reuses its intermediate results: one K-weighting pass gives integrated,
momentary and short-term loudness and LRA; one mid/side spectrum gives band energies and
shares, centroid, tilt and low-end width; one set of channel energies gives width,
correlation and mono compatibility. Quantities that would be -inf (silence) are floored at
``FLOOR_DB`` so every model stays JSON-serialisable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from mixchat.dsp import loudness
from mixchat.dsp.dynamics import crest_factor_from, mean_square, peak_linear, plr_from
from mixchat.dsp.errors import StateError
from mixchat.dsp.meters import EnergyMeter, LoudnessMeter, PeakMeter, SpectrumMeter
from mixchat.dsp.spectrum import (
    FLOOR_DB,
    as_channels,
    band_energies_from_spectrum,
    band_shares_from_spectrum,
    centroid_from_spectrum,
    mono_sum,
    power_db,
    power_spectrum,
    tilt_from_spectrum,
)
from mixchat.dsp.state import Section, build
from mixchat.dsp.stereo import (
    ChannelEnergies,
    correlation_from,
    low_end_width_from_spectra,
    mono_compatibility_from,
    side_mid_db_from,
    width_from,
)

SILENCE_PEAK_DBFS = -80.0
ACTIVITY_BLOCK_S = 0.05
ACTIVITY_BELOW_LOUD_DB = 30.0  # a block is active within this many dB of the stem's loud level
CLIP_LEVEL = 0.999
CLIP_MIN_RUN = 3
CLIP_FLAT_TOLERANCE = 1e-6
LIMITED_MAX_PLR_DB = 12.5  # sample peak minus integrated loudness
LIMITED_CEILING_DB = 0.5  # block peaks this close to the stem's peak sit "at the ceiling"
LIMITED_MIN_CEILING_SHARE = 0.15
LIMITED_MIN_BLOCK_CREST_DB = 7.0  # transient material, not a steady tone
_MEASURE_BLOCK = 1 << 20


def _finite(value: float | np.ndarray, floor: float = FLOOR_DB) -> float:
    value = float(value)
    return value if np.isfinite(value) and value > floor else floor


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class MixMetrics(_Model):
    integrated_lufs: float
    short_term_max_lufs: float
    momentary_max_lufs: float
    loudness_range_lu: float
    true_peak_dbtp: float
    sample_peak_dbfs: float
    rms_dbfs: float
    crest_factor_db: float
    plr_db: float
    spectral_centroid_hz: float
    spectral_tilt_db_per_octave: float
    band_energies_db: dict[str, float]
    band_shares_db: dict[str, float]
    stereo_width: float = Field(description="side/mid energy ratio, 0 for mono")
    side_mid_ratio_db: float
    correlation: float = Field(ge=-1.0, le=1.0)
    mono_compatibility_db: float = Field(description="level change folded to mono, <0 = loss")
    low_end_width: float = Field(description="side/mid energy ratio below 150 Hz")
    duration_s: float


class _Loudness(_Model):
    integrated_lufs: float
    short_term_max_lufs: float
    momentary_max_lufs: float
    loudness_range_lu: float


def _check_rate(sample_rate: float) -> None:
    if not sample_rate or sample_rate < 8000:
        raise StateError(f"sample_rate={sample_rate!r} must be >= 8000 Hz")


def _hop(sample_rate: float, seconds: float) -> int:
    return max(1, int(round(seconds * sample_rate)))


def _weighted_power(audio: np.ndarray, sample_rate: float) -> np.ndarray:
    return loudness.weighted_power(audio, sample_rate=sample_rate)


def _loudness_from_power(power: np.ndarray, sample_rate: float) -> _Loudness:
    blocks = loudness.momentary_block_powers(power, sample_rate=sample_rate)
    short = loudness.short_term_block_powers(power, sample_rate=sample_rate)
    return _Loudness(
        integrated_lufs=_finite(loudness.gated_integrated(blocks)),
        short_term_max_lufs=_finite(loudness.power_to_lufs(np.max(short))),
        momentary_max_lufs=_finite(loudness.power_to_lufs(np.max(blocks))),
        loudness_range_lu=float(loudness.gated_range(short)),
    )


def _true_peak(channels: np.ndarray, sample_rate: float) -> float:
    return _finite(loudness.true_peak_dbtp(channels, sample_rate=sample_rate))


def analyze_audio(audio: np.ndarray, *, sample_rate: float) -> MixMetrics:
    """Loudness, peaks, dynamics, tonal balance and stereo image of a mix (or any audio)."""
    return analyze_mix(audio, sample_rate=sample_rate)[0]


def analyze_mix(
    audio: np.ndarray,
    *,
    sample_rate: float,
    sections: Sequence[Section | Mapping] = (),
) -> tuple[MixMetrics, list[dict]]:
    """``analyze_audio`` plus ``section_loudness`` of ``sections`` from the same K-weighting
    pass."""
    analysis = measure_mix(audio, sample_rate=sample_rate, sections=sections)
    return analysis.metrics, analysis.sections


@dataclass(frozen=True)
class MixAnalysis:
    """``analyze_mix``'s metrics and sections, and the long-term spectrum of the mono sum
    (mid) they were measured from (``power_spectrum``'s ``freqs_hz, psd``)."""

    metrics: MixMetrics
    sections: list[dict]
    freqs_hz: np.ndarray
    mono_psd: np.ndarray
    peak: float = 0.0  # the largest |sample|, linear (exact, for choosing a file format)


def measure_mix(
    audio: np.ndarray,
    *,
    sample_rate: float,
    sections: Sequence[Section | Mapping] = (),
) -> MixAnalysis:
    """``analyze_mix`` keeping its spectrum: a ``MixMeter`` fed the whole array."""
    _check_rate(sample_rate)
    channels = as_channels(audio).astype(np.float32, copy=False)
    if channels.shape[1] == 0:
        raise StateError(f"audio shape={channels.shape} has no samples to analyse")
    meter = MixMeter(
        channels=channels.shape[0],
        sample_rate=sample_rate,
        total=channels.shape[1],
        sections=sections,
    )
    with ThreadPoolExecutor(max_workers=1) as pool:
        for start in range(0, channels.shape[1], _MEASURE_BLOCK):
            meter.feed(channels[:, start : start + _MEASURE_BLOCK], pool=pool)
    return meter.result()


class MixMeter:
    """``measure_mix`` of a signal fed block by block (``total`` samples in all, known up
    front). With a ``pool``, each block's K-weighting runs there while the peaks, spectra
    and energies are measured on the calling thread (numpy and scipy release the GIL)."""

    def __init__(
        self,
        *,
        channels: int,
        sample_rate: float,
        total: int,
        sections: Sequence[Section | Mapping] = (),
    ) -> None:
        _check_rate(sample_rate)
        self.sample_rate, self.total = sample_rate, total
        self._sections = [
            item if isinstance(item, Section) else build(Section, item) for item in sections
        ]
        for section in self._sections:
            if section.end_s <= section.start_s:
                raise StateError(
                    f"section {section.label!r} end_s={section.end_s} must be after "
                    f"start_s={section.start_s}"
                )
        ranges = tuple(
            (int(round(s.start_s * sample_rate)), int(round(s.end_s * sample_rate)))
            for s in self._sections
        )
        self.loudness = LoudnessMeter(channels=channels, sample_rate=sample_rate, ranges=ranges)
        self.peaks = PeakMeter(channels=channels)
        self.spectrum = SpectrumMeter(
            channels=channels, sample_rate=sample_rate, total=total, rows="mid_side"
        )
        if channels < 2:
            self.spectrum = SpectrumMeter(
                channels=channels, sample_rate=sample_rate, total=total, rows="mono"
            )
        self.energies = EnergyMeter()

    def feed(self, block: np.ndarray, *, pool: ThreadPoolExecutor | None = None) -> None:
        block = as_channels(block).astype(np.float32, copy=False)
        weighting = pool.submit(self.loudness.feed, block) if pool is not None else None
        if weighting is None:
            self.loudness.feed(block)
        self.peaks.feed(block)
        self.spectrum.feed(block)
        self.energies.feed(block)
        if weighting is not None:
            weighting.result()

    def result(self, sections: Sequence[Section | Mapping] | None = None) -> MixAnalysis:
        """The measures; ``sections`` given only now are measured on the 100 ms grid."""
        peak, over = self.peaks.finish()
        freqs, psd = self.spectrum.result()
        mid_psd = psd[0]
        side_psd = psd[1] if psd.shape[0] > 1 else np.zeros_like(mid_psd)
        totals = self.energies.totals
        energies = ChannelEnergies(*(float(v) for v in totals))
        mean_sq = self.energies.mean_square()
        blocks, short = self.loudness.momentary(), self.loudness.short_term()
        level = _Loudness(
            integrated_lufs=_finite(loudness.gated_integrated(blocks)),
            short_term_max_lufs=_finite(loudness.power_to_lufs(np.max(short))),
            momentary_max_lufs=_finite(loudness.power_to_lufs(np.max(blocks))),
            loudness_range_lu=float(loudness.gated_range(short)),
        )
        true_peak = _finite(20.0 * np.log10(over)) if over > 0 else FLOOR_DB
        metrics = MixMetrics(
            **level.model_dump(),
            true_peak_dbtp=true_peak,
            sample_peak_dbfs=_finite(power_db(peak * peak)),
            rms_dbfs=_finite(power_db(mean_sq)),
            crest_factor_db=crest_factor_from(peak, mean_sq),
            plr_db=plr_from(true_peak, level.integrated_lufs) if peak > 0 else 0.0,
            spectral_centroid_hz=centroid_from_spectrum(freqs, mid_psd),
            spectral_tilt_db_per_octave=tilt_from_spectrum(freqs, mid_psd),
            band_energies_db=band_energies_from_spectrum(freqs, mid_psd),
            band_shares_db=band_shares_from_spectrum(freqs, mid_psd),
            stereo_width=width_from(energies),
            side_mid_ratio_db=side_mid_db_from(energies),
            correlation=correlation_from(energies),
            mono_compatibility_db=mono_compatibility_from(energies),
            low_end_width=low_end_width_from_spectra(freqs, mid_psd, side_psd),
            duration_s=self.energies.samples / float(self.sample_rate),
        )
        chosen = self._sections
        section_blocks = self.loudness.range_blocks()
        if sections is not None:
            chosen = [s if isinstance(s, Section) else build(Section, s) for s in sections]
            section_blocks = [
                self.loudness.snapped_blocks(
                    int(round(s.start_s * self.sample_rate)), int(round(s.end_s * self.sample_rate))
                )
                for s in chosen
            ]
        rows = [
            SectionLoudness(
                label=section.label,
                start_s=section.start_s,
                end_s=section.end_s,
                lufs=_finite(loudness.gated_integrated(blocks)) if blocks.size else FLOOR_DB,
            ).model_dump()
            for section, blocks in zip(chosen, section_blocks, strict=True)
        ]
        return MixAnalysis(metrics, rows, freqs, mid_psd, peak)


# ---------------------------------------------------------------- sections and curves


class SectionLoudness(_Model):
    label: str
    start_s: float
    end_s: float
    lufs: float


def section_loudness(
    audio: np.ndarray, *, sample_rate: float, sections: Sequence[Section | Mapping]
) -> list[dict]:
    """Integrated loudness of each section, as SectionLoudness dicts (one K-weighting pass
    for all of them). Sections are ``Section`` models or dicts with label, start_s, end_s."""
    _check_rate(sample_rate)
    return _sections_from_power(
        _weighted_power(as_channels(audio), sample_rate), sample_rate, sections
    )


def _sections_from_power(
    power: np.ndarray, sample_rate: float, sections: Sequence[Section | Mapping]
) -> list[dict]:
    hop = _hop(sample_rate, loudness.BLOCK_HOP_S)
    window = _hop(sample_rate, loudness.BLOCK_S)
    rows = []
    for section in (
        item if isinstance(item, Section) else build(Section, item) for item in sections
    ):
        if section.end_s <= section.start_s:
            raise StateError(
                f"section {section.label!r} end_s={section.end_s} must be after "
                f"start_s={section.start_s}"
            )
        start = min(int(round(section.start_s * sample_rate)), power.size)
        stop = min(int(round(section.end_s * sample_rate)), power.size)
        blocks: np.ndarray | list[float] = (
            loudness.window_means(power[start:stop], window=window, hop=hop) if stop > start else []
        )
        lufs = _finite(loudness.gated_integrated(np.asarray(blocks))) if len(blocks) else FLOOR_DB
        rows.append(
            SectionLoudness(
                label=section.label, start_s=section.start_s, end_s=section.end_s, lufs=lufs
            ).model_dump()
        )
    return rows


def loudness_curve(
    audio: np.ndarray, *, sample_rate: float, hop_s: float = 0.5
) -> tuple[np.ndarray, np.ndarray]:
    """Short-term loudness every ``hop_s`` for plots: ``(times_s, lufs)``; each time is the
    centre of its 3 s window, and silence reads the -70 LUFS absolute gate."""
    values = loudness.short_term_lufs(audio, sample_rate=sample_rate, hop_s=hop_s)
    times = loudness.SHORT_TERM_S / 2 + np.arange(values.size) * hop_s
    return times, np.maximum(np.nan_to_num(values, neginf=-70.0), loudness.ABSOLUTE_GATE_LUFS)


# ---------------------------------------------------------------- stems


class StemMetrics(_Model):
    name: str
    lufs: float
    true_peak_dbtp: float
    sample_peak_dbfs: float
    rms_dbfs: float
    crest_factor_db: float
    spectral_centroid_hz: float
    band_shares_db: dict[str, float]
    active_pct: float = Field(ge=0.0, le=100.0)
    dc_offset: float = Field(description="largest per-channel mean, signed, full scale = 1")
    clipped_samples: int = Field(ge=0, description="samples in flat runs of >=3 at |x| >= 0.999")
    clipped_runs: int = Field(ge=0)
    looks_limited: bool
    is_silent: bool


def _block_stats(channels: np.ndarray, sample_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """Per 50 ms block: peak (linear, over channels) and mean square."""
    size = _hop(sample_rate, ACTIVITY_BLOCK_S)
    count = max(1, channels.shape[1] // size)
    usable = channels[:, : count * size] if channels.shape[1] >= size else channels
    shaped = usable.reshape(channels.shape[0], count, -1)
    peaks = np.maximum(shaped.max(axis=(0, 2)), -shaped.min(axis=(0, 2)))
    mean_sq = np.einsum("cbs,cbs->b", shaped, shaped, dtype=np.float64) / (
        shaped.shape[0] * shaped.shape[2]
    )
    return peaks, mean_sq


def _active_blocks(mean_sq: np.ndarray) -> np.ndarray:
    levels = power_db(mean_sq)
    loud = float(np.percentile(levels, 95))
    return levels > max(SILENCE_PEAK_DBFS + 20.0, loud - ACTIVITY_BELOW_LOUD_DB)


def clip_runs(channels: np.ndarray) -> tuple[int, int]:
    """(samples, runs) of flat tops at full scale: >= CLIP_MIN_RUN consecutive samples at
    |x| >= 0.999 that hold the same value (a full-scale sine touches 0.999 without clipping)."""
    hot = np.abs(channels) >= CLIP_LEVEL
    if not hot[:, 1:].any():
        return 0, 0
    held = hot[:, 1:] & hot[:, :-1] & (np.abs(np.diff(channels, axis=1)) <= CLIP_FLAT_TOLERANCE)
    padded = np.pad(held.astype(np.int8), ((0, 0), (1, 1)))
    edges = np.diff(padded, axis=1)
    starts, stops = np.nonzero(edges == 1)[1], np.nonzero(edges == -1)[1]
    samples = stops - starts + 1  # row-major order keeps starts and stops paired per channel
    long_runs = samples[samples >= CLIP_MIN_RUN]
    return int(long_runs.sum()), int(long_runs.size)


def _looks_limited(
    peaks: np.ndarray, mean_sq: np.ndarray, active: np.ndarray, peak_to_loudness_db: float
) -> bool:
    """Loud for its peak, with transient blocks whose peaks pile up at one ceiling.

    A steady tone (pad, organ) also has even block peaks, but its blocks have a low crest
    factor; limited drums or a limited vocal keep spiky blocks pinned at the same peak."""
    if peak_to_loudness_db > LIMITED_MAX_PLR_DB or active.sum() < 20:
        return False
    peak_db = 20.0 * np.log10(np.maximum(peaks[active], 1e-12))
    at_ceiling = peak_db >= peak_db.max() - LIMITED_CEILING_DB
    if at_ceiling.mean() < LIMITED_MIN_CEILING_SHARE:
        return False
    block_crest = peak_db[at_ceiling] - power_db(mean_sq[active][at_ceiling])
    return bool(np.median(block_crest) >= LIMITED_MIN_BLOCK_CREST_DB)


def analyze_stem(audio: np.ndarray, *, sample_rate: float, name: str) -> StemMetrics:
    """Level, tone and preparation problems (clipping, limiting, DC, silence) of one stem."""
    _check_rate(sample_rate)
    channels = as_channels(audio).astype(np.float32, copy=False)
    if channels.shape[1] == 0:
        raise StateError(f"stem {name!r} has no samples to analyse")
    peak, mean_sq = peak_linear(channels), mean_square(channels)
    dc = channels.mean(axis=1)  # float32 pairwise summation: accurate and 20x cheaper
    dc_offset = float(dc[np.argmax(np.abs(dc))])
    silent = peak <= 10.0 ** (SILENCE_PEAK_DBFS / 20.0)
    if silent:
        return _silent_stem(name, peak, mean_sq, dc_offset)
    lufs = _finite(loudness.gated_integrated(_momentary_blocks(channels, sample_rate)))
    true_peak = _true_peak(channels, sample_rate)
    freqs, psd = power_spectrum(mono_sum(channels), sample_rate=sample_rate)
    block_peaks, block_mean_sq = _block_stats(channels, sample_rate)
    active = _active_blocks(block_mean_sq)
    clipped_samples, runs = clip_runs(channels)
    sample_peak = _finite(power_db(peak * peak))
    peak_to_loudness = sample_peak - lufs if lufs > FLOOR_DB else 0.0
    return StemMetrics(
        name=name,
        lufs=lufs,
        true_peak_dbtp=true_peak,
        sample_peak_dbfs=sample_peak,
        rms_dbfs=_finite(power_db(mean_sq)),
        crest_factor_db=crest_factor_from(peak, mean_sq),
        spectral_centroid_hz=centroid_from_spectrum(freqs, psd),
        band_shares_db=band_shares_from_spectrum(freqs, psd),
        active_pct=100.0 * float(active.mean()),
        dc_offset=dc_offset,
        clipped_samples=clipped_samples,
        clipped_runs=runs,
        looks_limited=_looks_limited(block_peaks, block_mean_sq, active, peak_to_loudness),
        is_silent=False,
    )


def _momentary_blocks(channels: np.ndarray, sample_rate: float) -> np.ndarray:
    power = _weighted_power(channels, sample_rate)
    return loudness.momentary_block_powers(power, sample_rate=sample_rate)


def _silent_stem(name: str, peak: float, mean_sq: float, dc_offset: float) -> StemMetrics:
    return StemMetrics(
        name=name,
        lufs=FLOOR_DB,
        true_peak_dbtp=_finite(power_db(peak * peak)),
        sample_peak_dbfs=_finite(power_db(peak * peak)),
        rms_dbfs=_finite(power_db(mean_sq)),
        crest_factor_db=crest_factor_from(peak, mean_sq),
        spectral_centroid_hz=0.0,
        band_shares_db=band_shares_from_spectrum(np.array([0.0, 1.0]), np.zeros(2)),
        active_pct=0.0,
        dc_offset=dc_offset,
        clipped_samples=0,
        clipped_runs=0,
        looks_limited=False,
        is_silent=True,
    )


# ---------------------------------------------------------------- before / after

_ABSOLUTE_THRESHOLDS = {
    "stereo_width": 0.02,
    "low_end_width": 0.02,
    "correlation": 0.02,
    "duration_s": 0.05,
    "spectral_tilt_db_per_octave": 0.1,
}
_DB_THRESHOLD = 0.2
_CENTROID_RELATIVE = 0.02
NEGLIGIBLE_DB = -90.0


def _noticeable(name: str, before: float, after: float) -> bool:
    if name.startswith(("band_", "side_mid")) and max(before, after) < NEGLIGIBLE_DB:
        return False  # changes down in the noise floor say nothing
    if name == "spectral_centroid_hz":
        return abs(after - before) >= _CENTROID_RELATIVE * max(abs(before), 1.0)
    return abs(after - before) >= _ABSOLUTE_THRESHOLDS.get(name.split(".")[0], _DB_THRESHOLD)


def _flat(metrics: MixMetrics) -> dict[str, float]:
    flat: dict[str, float] = {}
    for name, value in metrics.model_dump().items():
        if isinstance(value, dict):
            flat.update({f"{name}.{band}": float(v) for band, v in value.items()})
        else:
            flat[name] = float(value)
    return flat


def metric_deltas(before: MixMetrics, after: MixMetrics) -> dict[str, tuple[float, float]]:
    """``{field: (before, after)}`` for the fields that changed noticeably (0.2 dB / LU for
    levels, 2 % for the centroid, 0.02 for width and correlation); dict fields are flattened
    as ``band_shares_db.air``."""
    old, new = _flat(before), _flat(after)
    return {
        name: (old[name], new[name])
        for name in old
        if name in new and _noticeable(name, old[name], new[name])
    }
