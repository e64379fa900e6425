"""The mix spectrogram's features that sections and tempo read, measured as a stream.

The mono mix is resampled to ``ANALYSIS_RATE`` (soxr's stream: the same samples as its
one-shot resample), cut in Hann frames of ``N_FFT`` every ``HOP`` (centred: half a frame of
zeros at both ends), and each frame's power spectrum is projected at once onto 40 log-spaced
bands, 12 pitch classes and 4 broad bands, so the spectrogram itself is never kept.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from mixchat.dsp import fft
from mixchat.dsp.meters import Framer
from mixchat.dsp.resampling import METER_PIECE_FRAMES, PiecewiseResampler

ANALYSIS_RATE = 22050
HOP = 512
N_FFT = 2048
_FRAMES_PER_CHUNK = 256
LEVELLED_STEM_LUFS = -18.0  # every stem's loudness in the sum sections and tempo read
SILENT_STEM_LUFS = -70.0  # a stem this quiet (the BS.1770 gate) adds nothing to that sum
_ROWS = (40, 12, 4)  # log-spaced bands, pitch classes, broad bands


@dataclass(frozen=True)
class SpectralFeatures:
    """The mix spectrogram's projections sections and tempo read, one column per hop of
    HOP samples at ANALYSIS_RATE: 40 log-spaced bands, 12 pitch classes, 4 broad bands."""

    bands: np.ndarray
    chroma: np.ndarray
    broad: np.ndarray


def spectral_features(y: np.ndarray) -> SpectralFeatures:
    """``SpectralFeatures`` of a whole mono signal at ANALYSIS_RATE."""
    spec = _spectrogram(y)
    return SpectralFeatures(
        bands=_band_matrix(_ROWS[0]) @ spec,
        chroma=_chroma_matrix() @ spec,
        broad=_broad_band_matrix() @ spec,
    )


def levelled_sum(parts: Iterable[tuple[SpectralFeatures, float]]) -> SpectralFeatures:
    """The features of the stems' sum with every stem at ``LEVELLED_STEM_LUFS``: each
    stem's features (of its own mono signal, paired with its integrated loudness) scaled by
    the power gain that takes it there, and added as powers. Sections and tempo then do not
    depend on the levels the stems were exported at; stems below ``SILENT_STEM_LUFS`` are
    left out. ``parts`` is read one stem at a time (a generator keeps one in memory)."""
    total: list[np.ndarray] = []
    for features, lufs in parts:
        rows = (features.bands, features.chroma, features.broad)
        if not total:
            total = [np.zeros((r.shape[0], 0), np.float32) for r in rows]
        for index, part in enumerate(rows):
            if part.shape[1] > total[index].shape[1]:
                grown = np.zeros(part.shape, np.float32)
                grown[:, : total[index].shape[1]] = total[index]
                total[index] = grown
        if not np.isfinite(lufs) or lufs <= SILENT_STEM_LUFS:
            continue
        gain = np.float32(10.0 ** ((LEVELLED_STEM_LUFS - lufs) / 10.0))
        for index, part in enumerate(rows):
            total[index][:, : part.shape[1]] += gain * part
    if not total:
        return SpectralFeatures(*(np.zeros((rows, 0), np.float32) for rows in _ROWS))
    return SpectralFeatures(*total)


def _spectrogram(y: np.ndarray) -> np.ndarray:
    """Power spectrogram (bins, frames) at ANALYSIS_RATE, hop HOP (scipy.fft, float32)."""
    y = np.pad(y, (N_FFT // 2, N_FFT // 2))
    frames = np.lib.stride_tricks.sliding_window_view(y, N_FFT)[::HOP]
    window = np.hanning(N_FFT).astype(np.float32)
    return (np.abs(fft.rfft(frames * window, axis=1, workers=2)) ** 2).T


def _band_matrix(n_bands: int) -> np.ndarray:
    """Triangular filters evenly spaced on a log-frequency axis from 40 Hz to 10 kHz."""
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / ANALYSIS_RATE)
    edges = np.geomspace(40.0, 10000.0, n_bands + 2)
    lower, centre, upper = edges[:-2, None], edges[1:-1, None], edges[2:, None]
    rising = (freqs - lower) / (centre - lower)
    falling = (upper - freqs) / (upper - centre)
    return np.maximum(0.0, np.minimum(rising, falling)).astype(np.float32)


def _chroma_matrix() -> np.ndarray:
    """Each FFT bin from 55 Hz to 4 kHz summed into its pitch class."""
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / ANALYSIS_RATE)
    matrix = np.zeros((12, freqs.size), dtype=np.float32)
    usable = np.flatnonzero((freqs >= 55.0) & (freqs <= 4000.0))
    pitch_class = np.round(12 * np.log2(freqs[usable] / 440.0) + 69).astype(int) % 12
    matrix[pitch_class, usable] = 1.0
    return matrix


def _broad_band_matrix() -> np.ndarray:
    """Four broad bands (low, low-mid, presence, air) over the FFT bins."""
    freqs = np.fft.rfftfreq(N_FFT, 1.0 / ANALYSIS_RATE)
    edges = [0.0, 150.0, 1000.0, 5000.0, ANALYSIS_RATE]
    return np.array(
        [(freqs >= lo) & (freqs < hi) for lo, hi in zip(edges[:-1], edges[1:])], np.float32
    )


@lru_cache(maxsize=1)
def _projections() -> tuple[np.ndarray, ...]:
    """The band, pitch-class and broad-band matrices, made once and shared by every meter
    (read-only): a session's stems are measured side by side, a meter each."""
    matrices = (_band_matrix(_ROWS[0]), _chroma_matrix(), _broad_band_matrix())
    for matrix in matrices:
        matrix.flags.writeable = False
    return matrices


class SpectralFeatureMeter:
    """``spectral_features`` of a mono signal at ``sample_rate``, fed block by block.
    ``spill=True`` writes them to a temporary file as they are measured and reads them back
    in ``result()``, so a meter per stem holds no features while the song streams."""

    def __init__(self, *, sample_rate: float, spill: bool = False) -> None:
        self._resampler = PiecewiseResampler(
            sample_rate,
            ANALYSIS_RATE,
            1,
            dtype="float32",
            quality="HQ",
            piece_frames=METER_PIECE_FRAMES,
        )
        self._framer = Framer(rows=1, size=N_FFT, hop=HOP, head=N_FFT // 2)
        self._window = np.hanning(N_FFT).astype(np.float32)
        self._matrices = _projections()
        self._parts: list[np.ndarray] = []  # (56, frames) chunks, when not spilled
        self._spill = tempfile.TemporaryFile() if spill else None  # closed in result()
        self._frames = 0

    def feed(self, mono: np.ndarray) -> None:
        """A block of the mono signal: 1-D, or (1, n)."""
        mono = np.asarray(mono, np.float32).reshape(-1)
        self._frames_of(self._resampler.resample(mono))

    def _frames_of(self, y: np.ndarray, *, tail: int | None = None) -> None:
        chunks = (
            self._framer.feed(y[np.newaxis].astype(np.float32))
            if tail is None
            else self._framer.finish(tail)
        )
        for frames in chunks:
            for start in range(0, frames.shape[1], _FRAMES_PER_CHUNK):
                part = frames[0, start : start + _FRAMES_PER_CHUNK]
                spec = (np.abs(fft.rfft(part * self._window, axis=1)) ** 2).T
                stacked = np.vstack([m @ spec for m in self._matrices]).astype(np.float32)
                self._frames += stacked.shape[1]
                if self._spill is not None:
                    self._spill.write(np.ascontiguousarray(stacked.T).tobytes())
                else:
                    self._parts.append(stacked)

    def result(self) -> SpectralFeatures:
        self._frames_of(self._resampler.resample(np.zeros(0, np.float32), last=True))
        self._frames_of(np.zeros(0, np.float32), tail=N_FFT // 2)
        if self._spill is not None:
            self._spill.seek(0)
            flat = np.frombuffer(self._spill.read(), np.float32)
            self._spill.close()
            self._spill = None
            stacked = flat.reshape(self._frames, sum(_ROWS)).T
        elif self._parts:
            stacked = np.concatenate(self._parts, axis=1)
        else:
            stacked = np.zeros((sum(_ROWS), 0), np.float32)
        bands, chroma = _ROWS[0], _ROWS[0] + _ROWS[1]
        return SpectralFeatures(
            bands=stacked[:bands], chroma=stacked[bands:chroma], broad=stacked[chroma:]
        )
