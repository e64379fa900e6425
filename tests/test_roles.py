"""Stem roles from producers' names, from the audio when the name says nothing, and corrections."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import shared_path
from scipy.signal import fftconvolve

from mixchat.dsp.errors import StateError
from mixchat.dsp.roles import (
    ROLES,
    infer_role,
    parse_role_assignments,
    role_from_audio,
    role_from_name,
)

NAMES = {
    "Lead_Vocal_Main": "vocal",
    "Vox Take 4 comp": "vocal",
    "03_Vox Lead": "vocal",
    "vocals": "vocal",
    "LeadVox_print": "vocal",
    "Ad-libs": "vocal",
    "BV": "backing_vocal",
    "BVs": "backing_vocal",
    "Backing Vox": "backing_vocal",
    "Harmony": "backing_vocal",
    "VoxDbl L": "backing_vocal",
    "Choir": "backing_vocal",
    "01 Kit": "drums",
    "drums": "drums",
    "Drums_Full_Kit": "drums",
    "Kick In": "kick",
    "KD": "kick",
    "Kick2.wav": "kick",
    "Snr Top": "snare",
    "Snare_Bottom": "snare",
    "Hat": "hats",
    "HiHat": "hats",
    "OH L": "overheads",
    "Room": "overheads",
    "Toms": "toms",
    "Perc": "percussion",
    "Shaker": "percussion",
    "Tamb": "percussion",
    "808": "bass",
    "bass": "bass",
    "Bass_DI_Clean": "bass",
    "Sub Bass": "bass",
    "Gtr L": "guitar",
    "guitar": "guitar",
    "Acoustic Gtr": "guitar",
    "Guitar_Rhythm": "guitar",
    "keys": "keys",
    "Keys_Piano": "keys",
    "Rhodes": "keys",
    "ePiano R": "keys",
    "Organ": "keys",
    "pad": "pad",
    "Synth_Pad": "pad",
    "lead": "lead",
    "Lead_Synth": "lead",
    "Arp": "synth",
    "Strings": "strings",
    "Violins": "strings",
    "Brass": "brass",
    "Trumpet": "brass",
    "FX riser": "fx",
}
NAMELESS = ["Audio_03", "Track 7", "untitled", "Audio 1-02.wav", "Bounce 4"]


@pytest.mark.parametrize(("name", "role"), NAMES.items())
def test_role_from_name(name, role):
    guess = role_from_name(name)
    assert guess is not None, name
    assert guess[0] == role
    assert guess[1] >= 0.9
    assert guess[0] in ROLES


@pytest.mark.parametrize("name", NAMELESS)
def test_names_that_say_nothing(name):
    assert role_from_name(name) is None


def test_conflicting_words_lower_the_confidence():
    role, confidence = role_from_name("Gtr Vox bleed")
    assert confidence < 0.9


def load_stems(folder: Path) -> tuple[dict[str, np.ndarray], int, dict[str, str]]:
    truth = json.loads((folder / "truth.json").read_text())["stems"]
    stems, rate = {}, 0
    for path in sorted(folder.glob("*.flac")):
        data, rate = sf.read(path, dtype="float32", always_2d=True)
        stems[path.stem] = data.T
    roles = {Path(name).stem: role for name, role in truth.items()}
    return stems, rate, roles


@pytest.fixture(scope="module")
def songs():
    return {name: load_stems(shared_path("songs", name)) for name in ("song_1", "song_2")}


@pytest.mark.parametrize("song", ["song_1", "song_2"])
def test_truth_roles_by_name(songs, song):
    stems, rate, roles = songs[song]
    for name, role in roles.items():
        guess = infer_role(name, stems[name], sample_rate=rate)
        assert (guess.role, guess.source) == (role, "name")


@pytest.mark.parametrize("song", ["song_1", "song_2"])
def test_audio_fallback_on_renamed_stems(songs, song):
    stems, rate, roles = songs[song]
    right, slowest = {}, 0.0
    print(f"\n{song}: audio fallback")
    for index, (name, audio) in enumerate(stems.items(), start=1):
        started = time.perf_counter()
        guess = infer_role(f"Audio_{index:02d}", audio, sample_rate=rate)
        slowest = max(slowest, time.perf_counter() - started)
        right[roles[name]] = guess.role == roles[name]
        print(
            f"  Audio_{index:02d} (truth {roles[name]:<6}) -> {guess.role:<7} {guess.confidence:.2f}"
        )
        assert guess.source == "audio"
        assert 0.0 < guess.confidence < 0.9
    print(f"  slowest {slowest:.2f} s per stem")
    assert right["drums"] and right["bass"] and right["vocal"]


def test_audio_fallback_on_synthetic_signals():
    rate = 44100
    rng = np.random.default_rng(3)
    t = np.arange(rate * 20) / rate
    bass = 0.5 * np.sin(2 * np.pi * 55 * t) + 0.2 * np.sin(2 * np.pi * 110 * t)
    hits = np.zeros_like(t)
    hits[:: rate // 4] = 1.0
    n = np.arange(4000)
    kit = rng.standard_normal(n.size) * np.exp(-n / 300) + np.sin(
        2 * np.pi * 60 * n / rate
    ) * np.exp(-n / 1500)
    drums = fftconvolve(hits, kit)[: t.size]
    assert role_from_audio(bass[None, :].astype(np.float32), sample_rate=rate)[0] == "bass"
    assert role_from_audio(drums[None, :].astype(np.float32), sample_rate=rate)[0] == "drums"


def test_silent_stem_is_other_with_low_confidence():
    role, confidence = role_from_audio(np.zeros((2, 44100 * 5), np.float32), sample_rate=44100)
    assert role == "other" and confidence <= 0.3


def test_parse_role_assignments():
    tracks = ["Audio_03", "Audio_04", "Lead Vox"]
    assert parse_role_assignments("Audio_03=keys", known_tracks=tracks) == {"Audio_03": "keys"}
    parsed = parse_role_assignments(
        "Audio_03=keys, audio_04 = bass Lead Vox=vocal", known_tracks=tracks
    )
    assert parsed == {"Audio_03": "keys", "Audio_04": "bass", "Lead Vox": "vocal"}


def test_parse_role_assignments_errors_name_the_bad_value():
    tracks = ["Audio_03", "Audio_04"]
    with pytest.raises(StateError, match="role='kyes' is not a role; did you mean 'keys'"):
        parse_role_assignments("Audio_03=kyes", known_tracks=tracks)
    with pytest.raises(StateError, match="track='Audio_09'.*Audio_03"):
        parse_role_assignments("Audio_09=keys", known_tracks=tracks)
    with pytest.raises(StateError, match="TRACK=ROLE"):
        parse_role_assignments("make it keys", known_tracks=tracks)
