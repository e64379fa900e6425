"""Briefs on a full-kit drum stem, measured on the kit's own render: "more punch" raises the
kit's transients (crest factor and the level of its hits against its body), "less punch"
lowers them; "tame the cymbals" cuts the kit's 6-16 kHz and leaves the kit's loudness where it
was (the cymbals are the kit's top octaves, not its fader). Real drums from
../shared/data/real (MUSDB excerpts: one stereo ``drums`` stem each), skipped when absent.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from brief_checks import Songs, handle_brief, power_sum_db, track_range_db

from mixchat.dsp.dynamics import crest_factor_db
from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.spectrum import mono_sum

KITS = ("falcon69", "mu_too_bright")
HIT_WINDOW_MS = 3.0
BODY_WINDOW_MS = 80.0


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Songs:
    return Songs(tmp_path_factory.mktemp("kits"))


def kit_audio(song, version: int) -> np.ndarray:
    """The kit after its inserts and fader: what the brief changed on it."""
    state = song.session.load(version).state
    kit = state.track("drums")
    return song.engine.insert_output(kit) * np.float32(10 ** (kit.gain_db / 20))


def hits_over_body_db(audio: np.ndarray, *, rate: int) -> float:
    """The mean peak of the kit's loudest hits (the first 3 ms of each) over the level of the
    80 ms after them: how far the transients stand out of the body."""
    level = np.abs(mono_sum(audio)).astype(np.float64)
    hop = int(rate * BODY_WINDOW_MS / 1000)
    frames = level[: level.size // hop * hop].reshape(-1, hop)
    loudest = np.argsort(frames.max(axis=1))[-20:]
    starts = loudest * hop + frames.argmax(axis=1)[loudest]
    hit = int(rate * HIT_WINDOW_MS / 1000)
    ratios = []
    for start in starts:
        peak = level[max(0, start - hit) : start + hit].max()
        body = np.sqrt(np.mean(level[start + hit : start + hop] ** 2))
        if body > 0:
            ratios.append(20 * math.log10(peak / body))
    return float(np.mean(ratios))


def kit_song(songs: Songs, name: str):
    song = songs[name]
    if song.base_version().state.track("drums").role != "drums":
        pytest.skip(f"{name}: the drums stem is not read as a full kit")
    return song


@pytest.mark.parametrize("name", KITS)
def test_more_punch_raises_the_kits_transients(songs: Songs, name: str) -> None:
    song = kit_song(songs, name)
    before = kit_audio(song, song.base)
    result = handle_brief(song.session, "more punch on the drums", parent=song.base)
    assert result.version is not None, result.reply
    after = kit_audio(song, result.version)
    crest = crest_factor_db(after) - crest_factor_db(before)
    hits = hits_over_body_db(after, rate=song.rate) - hits_over_body_db(before, rate=song.rate)
    assert crest >= 1.0, f"{name}: kit crest factor moved {crest:+.2f} dB"
    assert hits >= 1.0, f"{name}: the hits over the body moved {hits:+.2f} dB"
    softer = handle_brief(song.session, "less punchy drums", parent=song.base)
    assert softer.version is not None, softer.reply
    after = kit_audio(song, softer.version)
    crest = crest_factor_db(after) - crest_factor_db(before)
    hits = hits_over_body_db(after, rate=song.rate) - hits_over_body_db(before, rate=song.rate)
    assert crest <= -0.5 and hits <= -0.5, f"{name}: less punch moved crest {crest:+.2f} dB"


@pytest.mark.parametrize(
    "brief", ["tame the cymbals", "the cymbals are way too loud", "the cymbals are way too bright"]
)
@pytest.mark.parametrize("name", KITS)
def test_taming_the_cymbals_cuts_the_kits_top_not_its_level(
    songs: Songs, name: str, brief: str
) -> None:
    song = kit_song(songs, name)
    result = handle_brief(song.session, brief, parent=song.base)
    assert result.version is not None, result.reply
    top_before = track_range_db(song, song.base, ["drums"], 6000, 16000)
    top_after = track_range_db(song, result.version, ["drums"], 6000, 16000)
    assert top_after - top_before <= -3.0, f"kit 6-16 kHz {top_before:.1f}→{top_after:.1f} dB"
    loud_before = integrated_lufs(kit_audio(song, song.base), sample_rate=song.rate)
    loud_after = integrated_lufs(kit_audio(song, result.version), sample_rate=song.rate)
    assert abs(loud_after - loud_before) <= 1.0, f"kit {loud_before:.1f}→{loud_after:.1f} LUFS"


def test_cymbals_that_cannot_be_heard_lift_the_kits_top(songs: Songs) -> None:
    song = kit_song(songs, KITS[0])
    result = handle_brief(song.session, "i cant hear the cymbals", parent=song.base)
    assert result.version is not None, result.reply
    top_before = track_range_db(song, song.base, ["drums"], 6000, 16000)
    top_after = track_range_db(song, result.version, ["drums"], 6000, 16000)
    assert top_after - top_before >= 3.0, f"kit 6-16 kHz {top_before:.1f}→{top_after:.1f} dB"
    metrics = song.session.load(result.version).metrics
    base = song.base_version().metrics
    kit = power_sum_db([metrics["tracks"]["drums"]["lufs"]]) - base["tracks"]["drums"]["lufs"]
    assert abs(kit) <= 1.0, f"kit loudness moved {kit:+.1f} LU"


@pytest.mark.parametrize("brief", ["the kick is missing its click", "more click on the kick"])
def test_the_kicks_click_lifts_the_kits_presence_not_its_fader(songs: Songs, brief: str) -> None:
    song = kit_song(songs, KITS[0])
    result = handle_brief(song.session, brief, parent=song.base)
    assert result.version is not None, result.reply
    click_before = track_range_db(song, song.base, ["drums"], 2000, 6000)
    click_after = track_range_db(song, result.version, ["drums"], 2000, 6000)
    assert click_after - click_before >= 1.5, f"kit 2-6 kHz {click_before:.1f}→{click_after:.1f}"
    before = song.session.load(song.base).state.track("drums").gain_db
    assert song.session.load(result.version).state.track("drums").gain_db == before
