"""Hum under a bass's notes. A bass playing the semitones either side of the mains flanks
the hum's fundamental with louder lines, and its notes cover the hum's lowest harmonics.
Held in ~4 s frames (whose bins part the line from notes a semitone away) and standing over
its ring in the quiet 1 s frames, a flanked fundamental is hum on its own; over a bass that
hides the low lines, a comb of harmonics with no common factor is hum too. A bass's own held
note (tests/test_hum_long_bass.py) and a note at a multiple of the mains are not."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import soundfile as sf
from conftest import shared_path

from mixchat.dsp.cleanup.hum import detect_hum

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from cleanup_faults import random_hum  # noqa: E402


def _clean(*parts: str) -> tuple[np.ndarray, int]:
    audio, rate = sf.read(str(shared_path(*parts)), dtype="float32", always_2d=True)
    return audio.T.copy(), rate


def test_hum_whose_fundamental_a_bass_flanks_is_found_held_in_the_fine_frames() -> None:
    clean, rate = _clean("songs", "song_1", "Bass_DI_Clean.flac")
    for seed in (5001, 5007):
        faulty, info = random_hum(clean, rate, np.random.default_rng(seed))
        hum = detect_hum(faulty, sample_rate=rate)
        assert hum.found, (seed, hum)
        assert abs(hum.fundamental_hz - info["f0"]) < 0.02, (seed, info["f0"], hum)
        assert 1 in hum.harmonics, hum
    assert not detect_hum(clean, sample_rate=rate).found


def test_hum_whose_low_lines_a_bass_hides_is_found_by_its_comb() -> None:
    clean, rate = _clean("real", "bearlin_roads", "bass.flac")
    faulty, info = random_hum(clean, rate, np.random.default_rng(5002))
    hum = detect_hum(faulty, sample_rate=rate)
    assert hum.found, hum
    assert abs(hum.fundamental_hz - info["f0"]) < 0.05, (info["f0"], hum)
    assert not set(hum.harmonics) & {1, 2}, hum  # the bass hides them: found without
    assert not detect_hum(clean, sample_rate=rate).found


def test_a_note_at_twice_the_mains_with_its_harmonics_is_not_hum() -> None:
    clean, rate = _clean("real", "falcon69", "other.flac")  # lines at 2, 4 and 6 x 49.97 Hz
    assert not detect_hum(clean, sample_rate=rate).found
