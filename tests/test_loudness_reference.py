"""Our BS.1770 meter (mixchat.dsp.loudness) against pyloudnorm, the independent reference.

pyloudnorm is read with its ``"DeMan"`` filter: the exact BS.1770 K-weighting coefficients
(the ones our meter and libebur128 use). Its default ``"K-weighting"`` filter approximates the
shelf (1500 Hz, +4 dB, Q 0.71) and reads 0.04 LU low on everything, the ITU 1 kHz sine
included (-3.05 instead of -3.01), so it would only measure that approximation.

Two pyloudnorm quirks, handled here rather than hidden in wide tolerances:
* it counts ``round((T - 0.4) / 0.1) + 1`` gating blocks, so the last one may be a partial
  block that BS.1770 does not count (+0.05 LU on a 6 s excerpt). Programme material is cut
  to whole 100 ms hops after the first 400 ms block before both meters read it.
* its loudness range appends 1.5 s of silence and steps 90 ms (not 100 ms); our LRA is read
  on the same padded signal, and only on 10 s or more of programme (below ~70 short-term
  values the 10th and 95th percentiles move by a whole step between the two hops).

pyloudnorm has no true-peak meter: ours is checked against the EBU Tech 3341 true-peak files
and scipy's ``resample_poly`` in test_loudness.py.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pyloudnorm
import pytest
import soundfile as sf
from conftest import SHARED_DATA, shared_path

from mixchat.dsp.loudness import BLOCK_HOP_S, BLOCK_S, integrated_lufs, loudness_range_lu

REFERENCE_FILTER = "DeMan"
# Same filter and gates; what is left is float32 vs float64 arithmetic and summation order
# (measured: at most 0.0012 LU on 28 stems and 5 mixes, 0.00005 on the conformance files).
INTEGRATED_TOLERANCE_LU = 0.01
# Same padding; what is left is the 90 vs 100 ms short-term hop (measured: at most 0.03 LU).
RANGE_TOLERANCE_LU = 0.05
RANGE_MIN_SECONDS = 10.0
REFERENCE_PAD_S = 1.5

CONFORMANCE_FILES = sorted(
    path.relative_to(SHARED_DATA / "loudness").as_posix()
    for path in (SHARED_DATA / "loudness").glob("*/*.wav")
)
SONGS = sorted(
    path.relative_to(SHARED_DATA).as_posix()
    for folder in ("real", "songs")
    for path in (SHARED_DATA / folder).glob("*")
    if path.is_dir()
)


def reference_lufs(audio: np.ndarray, rate: int) -> float:
    meter = pyloudnorm.Meter(rate, filter_class=REFERENCE_FILTER)
    return float(meter.integrated_loudness(audio.T.astype(np.float64)))


def reference_range_lu(audio: np.ndarray, rate: int) -> float:
    meter = pyloudnorm.Meter(rate, filter_class=REFERENCE_FILTER)
    return float(meter.loudness_range(audio.T.astype(np.float64)))


def whole_blocks(audio: np.ndarray, rate: int) -> np.ndarray:
    """``audio`` cut to one 400 ms block plus whole 100 ms hops (no partial last block)."""
    block, hop = round(BLOCK_S * rate), round(BLOCK_HOP_S * rate)
    return audio[:, : block + (audio.shape[1] - block) // hop * hop]


def read(path: Path) -> tuple[np.ndarray, int]:
    audio, rate = sf.read(path, dtype="float32", always_2d=True)
    return audio.T, rate


@cache  # each song is read once for both tests
def stems_and_mix(folder: Path) -> tuple[dict[str, np.ndarray], np.ndarray, int]:
    """Every stem as stereo (a mono stem on both sides) and their sum, made on the fly."""
    stems, rates = {}, set()
    for path in sorted(folder.glob("*.flac")):
        audio, rate = read(path)
        stems[path.name] = np.vstack([audio, audio]) if audio.shape[0] == 1 else audio
        rates.add(rate)
    if not stems:
        pytest.skip(f"no stems in {folder}")
    assert len(rates) == 1, f"{folder}: stems at several rates {rates}"
    return stems, sum(stems.values()), rates.pop()


@pytest.mark.parametrize("name", CONFORMANCE_FILES or ["ebu/seq-3341-1-16bit.wav"])
def test_integrated_loudness_agrees_on_the_conformance_files(name: str) -> None:
    audio, rate = read(shared_path("loudness", name))
    ours = integrated_lufs(audio, sample_rate=rate)
    assert ours == pytest.approx(reference_lufs(audio, rate), abs=INTEGRATED_TOLERANCE_LU)


@pytest.mark.parametrize("song", SONGS or ["real/falcon69"])
def test_integrated_loudness_agrees_on_programme_material(song: str) -> None:
    stems, mix, rate = stems_and_mix(shared_path(*song.split("/")))
    for name, audio in {**stems, "the mix": mix}.items():
        audio = whole_blocks(audio, rate)
        ours = integrated_lufs(audio, sample_rate=rate)
        reference = reference_lufs(audio, rate)
        assert ours == pytest.approx(reference, abs=INTEGRATED_TOLERANCE_LU), f"{song}: {name}"


@pytest.mark.parametrize("song", SONGS or ["songs/song_1"])
def test_loudness_range_agrees_on_programme_material(song: str) -> None:
    _, mix, rate = stems_and_mix(shared_path(*song.split("/")))
    if mix.shape[1] < RANGE_MIN_SECONDS * rate:
        pytest.skip(f"{song} is {mix.shape[1] / rate:.1f} s; LRA is compared on 10 s or more")
    padded = np.pad(mix, ((0, 0), (0, int(REFERENCE_PAD_S * rate))))
    ours = loudness_range_lu(padded, sample_rate=rate)
    assert ours == pytest.approx(reference_range_lu(mix, rate), abs=RANGE_TOLERANCE_LU)
