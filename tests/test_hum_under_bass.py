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

from mixchat.dsp.cleanup.chain import clean_audio
from mixchat.dsp.cleanup.detect import detect_faults
from mixchat.dsp.cleanup.hum import detect_hum
from mixchat.dsp.state import MixState, TrackState
from mixchat.tools.catalog import ToolCall, ToolContext, apply_calls

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
    # found by the comb above the bass's notes (line 1 hidden; line 2, the bass playing on
    # it too, is read only bare in the gaps)
    assert {5, 6, 7} <= set(hum.harmonics) and 1 not in hum.harmonics, hum
    assert not detect_hum(clean, sample_rate=rate).found


def test_a_note_at_twice_the_mains_with_its_harmonics_is_not_hum() -> None:
    clean, rate = _clean("real", "falcon69", "other.flac")  # lines at 2, 4 and 6 x 49.97 Hz
    assert not detect_hum(clean, sample_rate=rate).found


def test_hum_bare_in_the_gaps_under_a_bass_playing_on_its_lines_is_found_by_its_comb() -> None:
    # mu_too_bright's bass plays on the hum's low lines (its notes read with the hum in the
    # long spectrum); in the quiet frames the hum's lines stand bare, a comb of 60.08 Hz
    clean, rate = _clean("real", "mu_too_bright", "bass.flac")
    faulty, info = random_hum(clean, rate, np.random.default_rng(5002))
    hum = detect_hum(faulty, sample_rate=rate)
    assert hum.found, hum
    assert abs(hum.fundamental_hz - info["f0"]) < 0.05, (info["f0"], hum)
    assert len(hum.harmonics) >= 3, hum
    assert not detect_hum(clean, sample_rate=rate).found


def _line_power(audio: np.ndarray, cycles: np.ndarray, harmonic: int) -> float:
    """The power on the planted hum's own wandering line (a least-squares fit over the stem)."""
    phase = 2 * np.pi * harmonic * cycles
    basis = np.stack([np.cos(phase), np.sin(phase)], axis=1)
    coeffs, *_ = np.linalg.lstsq(basis, audio.mean(axis=0), rcond=None)
    return float(np.sum(coeffs**2) / 2)


def test_hum_found_by_a_comb_over_a_bass_is_removed_up_to_its_highest_line() -> None:
    # bearlin's bass hides the lines up to the 2nd: the hum is found by its comb 3, 5, 7,
    # and its removal reaches the 7th (the run of found lines alone stopped at the 4th)
    clean, rate = _clean("real", "bearlin_roads", "bass.flac")
    faulty, info = random_hum(clean, rate, np.random.default_rng(5011))
    faults = detect_faults(faulty, sample_rate=rate, role="bass")
    assert faults.hum.found and 7 in faults.hum.harmonics, faults.hum
    state = MixState(tracks=(TrackState(name="Bass", role="bass"),))
    context = ToolContext(sample_rate=rate, faults=lambda name: faults)
    after, _ = apply_calls(state, [ToolCall(tool="remove_hum", args={"track": "Bass"})], context)
    spec = after.track("Bass").cleanup.hum
    assert spec is not None and spec.highest_hz > 7 * info["f0"], spec
    cleaned = clean_audio(faulty, after.track("Bass").cleanup, sample_rate=rate)
    before = _line_power(faulty, info["cycles"], 7)
    left = _line_power(cleaned, info["cycles"], 7)
    assert 10 * np.log10(before / left) > 10.0
