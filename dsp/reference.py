"""A reference track's broad tonal balance, loudness and width, and the gentle moves that bring
a mix toward it: a low shelf, six bells and a high shelf on the master (each within
``TONAL_MATCH_LIMIT_DB``), a mid/side width factor and a loudness target.

``mixchat master --reference`` applies the tonal match to audio (:func:`match_tone`); a
session's "make it sound like PATH" turns the same bands into master EQ settings
(:func:`match_bands`), so the new version replays from its tool calls.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pedalboard as pb

from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.processors import PEDALBOARD_BUFFER_FRAMES, eq_plugins
from mixchat.dsp.spectrum import mono_sum, power_spectrum
from mixchat.dsp.state import EqBand
from mixchat.dsp.stereo import stereo_width

TONAL_MATCH_LIMIT_DB = 4.0
# Broad bands for the tonal match: edges in Hz, a low shelf, six bells, a high shelf.
MATCH_EDGES_HZ = (20.0, 90.0, 200.0, 450.0, 1000.0, 2200.0, 4500.0, 9000.0, 20000.0)
SHELF_Q = 0.7
BELL_Q = 1.2
WIDTH_FACTOR_RANGE = (0.5, 1.6)  # side gain a reference match may use (broad, not a remix)
MATCH_STEP = 0.8  # share of the measured difference corrected per pass
MATCH_PASSES = 2
MATCH_N_FFT = 4096
IMPULSE_FRAMES = 1 << 16  # 1.5 s at 44.1 kHz: the match filters' responses have died by then


@dataclass(frozen=True)
class Profile:
    """What a reference match compares: integrated loudness, the share of energy in each
    broad band (dB, relative to the total) and the stereo width (side over mid energy)."""

    lufs: float
    band_levels_db: tuple[float, ...]
    width: float


def band_edges(sample_rate: float) -> list[float]:
    return [e for e in MATCH_EDGES_HZ if e < sample_rate / 2.0]


def _spectrum(audio: np.ndarray, sample_rate: float) -> tuple[np.ndarray, np.ndarray]:
    return power_spectrum(mono_sum(audio), sample_rate=sample_rate, n_fft=MATCH_N_FFT)


def band_levels_db(audio: np.ndarray, sample_rate: float) -> np.ndarray:
    """Energy per broad band relative to the total (dB), from the averaged spectrum."""
    return _band_levels(*_spectrum(audio, sample_rate), sample_rate)


def _band_levels(freqs: np.ndarray, psd: np.ndarray, sample_rate: float) -> np.ndarray:
    edges = np.asarray(band_edges(sample_rate))
    index = np.searchsorted(edges, freqs, side="right") - 1
    inside = (index >= 0) & (index < edges.size - 1)
    energy = np.bincount(index[inside], weights=psd[inside], minlength=edges.size - 1)
    total = max(float(energy.sum()), 1e-30)
    return 10.0 * np.log10(np.maximum(energy, 1e-30) / total)


def profile(audio: np.ndarray, *, sample_rate: float) -> Profile:
    return Profile(
        lufs=integrated_lufs(audio, sample_rate=sample_rate),
        band_levels_db=tuple(float(v) for v in band_levels_db(audio, sample_rate)),
        width=stereo_width(audio),
    )


def tonal_difference_db(audio: np.ndarray, reference: np.ndarray, *, sample_rate: float):
    """Per broad band: reference minus audio, in dB, each relative to its own total."""
    return band_levels_db(reference, sample_rate) - band_levels_db(audio, sample_rate)


def match_bands(gains_db: np.ndarray | list[float], sample_rate: float) -> tuple[EqBand, ...]:
    """The EQ bands a set of broad-band gains stands for (bands under 0.05 dB are left out):
    a low shelf at the first edge, bells at each band's centre, a high shelf at the last."""
    edges = band_edges(sample_rate)
    centres = [math.sqrt(lo * hi) for lo, hi in zip(edges[:-1], edges[1:], strict=False)]
    last = len(centres) - 1
    bands = []
    for band, (centre, gain) in enumerate(zip(centres, gains_db, strict=False)):
        if abs(gain) < 0.05:
            continue
        if band == 0:
            bands.append(EqBand(kind="low_shelf", freq_hz=edges[1], gain_db=float(gain), q=SHELF_Q))
        elif band == last:
            bands.append(
                EqBand(kind="high_shelf", freq_hz=edges[band], gain_db=float(gain), q=SHELF_Q)
            )
        else:
            bands.append(
                EqBand(kind="bell", freq_hz=round(centre, 1), gain_db=float(gain), q=BELL_Q)
            )
    return tuple(bands)


def run_plugins(plugins: list[pb.Plugin], audio: np.ndarray, sample_rate: float) -> np.ndarray:
    """``audio`` through ``plugins`` in one fresh board (unchanged when there are none)."""
    if not plugins:
        return audio
    board = pb.Pedalboard(plugins)
    return board(
        audio, float(sample_rate), buffer_size=PEDALBOARD_BUFFER_FRAMES, reset=True
    ).astype(np.float32, copy=False)


def run_eq(bands: tuple[EqBand, ...], audio: np.ndarray, sample_rate: float) -> np.ndarray:
    return run_plugins(eq_plugins(bands), audio, sample_rate)


def next_gains(gains: np.ndarray, processed: np.ndarray, reference: np.ndarray, sample_rate: float):
    """One pass of the tonal match: the gains moved by MATCH_STEP of the remaining difference
    (its median taken out: a broad level offset is the gain stage's job), kept within
    +-TONAL_MATCH_LIMIT_DB."""
    difference = tonal_difference_db(processed, reference, sample_rate=sample_rate)
    difference -= np.median(difference)
    return np.clip(gains + MATCH_STEP * difference, -TONAL_MATCH_LIMIT_DB, TONAL_MATCH_LIMIT_DB)


def _power_response(bands: tuple[EqBand, ...], freqs: np.ndarray, sample_rate: float):
    """|H(f)|^2 of an EQ (linear filters) at ``freqs``, from its impulse response."""
    impulse = np.zeros((1, IMPULSE_FRAMES), dtype=np.float32)
    impulse[0, 0] = 1.0
    response = run_eq(bands, impulse, sample_rate)[0]
    spectrum = np.abs(np.fft.rfft(response.astype(np.float64))) ** 2
    grid = np.fft.rfftfreq(IMPULSE_FRAMES, d=1.0 / sample_rate)
    return np.interp(freqs, grid, spectrum)


def match_tone(
    audio: np.ndarray, reference: np.ndarray, *, sample_rate: float
) -> tuple[np.ndarray, np.ndarray]:
    """Gentle shelves and bells (each within +-4 dB) moving ``audio``'s broad tonal balance
    toward ``reference``'s. Returns the processed audio and the band gains used.

    The EQ is refined over MATCH_PASSES steps; each step after the first measures the
    spectrum the previous step's EQ would give (the input's spectrum times the EQ's power
    response, the filters being linear) instead of running it over the song: one pass of
    the final EQ over the audio in all."""
    freqs, psd = _spectrum(audio, sample_rate)
    target = band_levels_db(reference, sample_rate)
    levels = _band_levels(freqs, psd, sample_rate)
    gains = np.zeros(levels.size)
    for step in range(MATCH_PASSES):
        difference = target - levels
        difference -= np.median(difference)  # a broad level offset is the gain stage's job
        gains = np.clip(
            gains + MATCH_STEP * difference, -TONAL_MATCH_LIMIT_DB, TONAL_MATCH_LIMIT_DB
        )
        if step < MATCH_PASSES - 1:
            response = _power_response(match_bands(gains, sample_rate), freqs, sample_rate)
            levels = _band_levels(freqs, psd * response, sample_rate)
    return run_eq(match_bands(gains, sample_rate), audio, sample_rate), gains


def width_factor(current: float, reference: float) -> float:
    """The side gain that moves a mix's width (side over mid energy) to the reference's,
    within WIDTH_FACTOR_RANGE: side energy scales with the factor squared."""
    if current <= 1e-6 or reference <= 1e-6:
        return 1.0
    low, high = WIDTH_FACTOR_RANGE
    return float(np.clip(math.sqrt(reference / current), low, high))
