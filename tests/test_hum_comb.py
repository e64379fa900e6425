"""Mains hum is a comb: a fundamental near 50 or 60 Hz and harmonics at its exact multiples,
steady all along. A bass playing the semitones either side of the mains flanks the hum's
fundamental with louder lines; the hum's other harmonics still say it is hum. A single
line with louder lines beside it stays a played note (tests/test_hum_long_bass.py)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from conftest import shared_path

from mixchat.dsp.cleanup.hum import detect_hum

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from cleanup_faults import plant_hum  # noqa: E402

TRANSFORMER = [1.0 if k % 2 == 0 else 0.2 for k in range(9)]  # odd harmonics strong


def test_hum_whose_fundamental_a_bass_flanks_is_found_by_its_comb() -> None:
    audio, rate = sf.read(
        str(shared_path("songs", "song_1", "Bass_DI_Clean.flac")), dtype="float32", always_2d=True
    )
    clean = audio.T.copy()
    faulty, _ = plant_hum(
        clean,
        rate,
        f0=59.87,
        harmonics=len(TRANSFORMER),
        level_db=-35.0,
        rng=np.random.default_rng(5),
        drift_hz=0.02,
        weights=TRANSFORMER,
    )
    hum = detect_hum(faulty, sample_rate=rate)
    assert hum.found, hum
    assert abs(hum.fundamental_hz - 59.87) < 0.02, hum
    assert 1 in hum.harmonics and len(hum.harmonics) >= 3, hum
    assert not detect_hum(clean, sample_rate=rate).found
