"""A part's level in some sections, quoted where a section move acts: after the fader and
the track's own automation, from the stored loudness blocks."""

from __future__ import annotations

import re

import numpy as np
import pytest
from brief_checks import Songs, version_of

from mixchat.assistant.turn.conversation import handle_brief
from mixchat.assistant.turn.section_levels import section_level_db
from mixchat.dsp.automation import envelope_at_db, gain_envelope_db
from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.panning import pan_and_width
from mixchat.dsp.state import MixState, Section, SectionAutomation, TrackState

SECTIONS = (
    Section(label="verse", start_s=0.0, end_s=10.0),
    Section(label="chorus", start_s=10.0, end_s=20.0),
    Section(label="verse", start_s=20.0, end_s=30.0),
)


class SteadyBlocks:
    """An engine whose every track plays at one loudness the whole song long."""

    def __init__(self, lufs: dict[str, float], blocks: int = 297) -> None:
        self.powers = {n: np.full(blocks, 10 ** ((v + 0.691) / 10)) for n, v in lufs.items()}

    def track_blocks(self, track: TrackState) -> np.ndarray:
        return self.powers[track.name]


def _state(*automation: SectionAutomation, bass_gain_db: float = 0.0) -> MixState:
    tracks = (TrackState(name="bass", gain_db=bass_gain_db), TrackState(name="keys"))
    return MixState(tracks=tracks, automation=automation)


def _level(state: MixState, label: str, occurrence: int | None = None) -> float | None:
    engine = SteadyBlocks({"bass": -20.0, "keys": -20.0})
    return section_level_db(
        engine,  # type: ignore[arg-type]
        state,
        SECTIONS,
        names=["bass"],
        label=label,
        occurrence=occurrence,
    )


def test_a_ride_moves_the_part_in_its_sections_only() -> None:
    ride = SectionAutomation(track="bass", label="verse", start_s=20.0, end_s=30.0, gain_db=-6.0)
    state = _state(ride, bass_gain_db=1.0)
    assert _level(_state(), "verse") == pytest.approx(0.0, abs=0.01)
    assert _level(state, "verse", 2) == pytest.approx(-5.0, abs=0.05)
    assert _level(state, "verse", 1) == pytest.approx(1.0, abs=0.05)
    assert _level(state, "chorus") == pytest.approx(1.0, abs=0.05)


def test_a_ride_on_the_mix_bus_moves_nothing_against_the_rest() -> None:
    ride = SectionAutomation(track=None, label="verse", start_s=0.0, end_s=10.0, gain_db=-6.0)
    assert _level(_state(ride), "verse", 1) == pytest.approx(0.0, abs=0.01)


def test_no_such_section_is_no_figure() -> None:
    assert _level(_state(), "bridge") is None
    assert _level(_state(), "verse", 3) is None


def test_the_envelope_read_at_instants_is_the_renders() -> None:
    rides = (
        SectionAutomation(track="bass", start_s=0.0, end_s=1.0, gain_db=-3.0, ramp_ms=200.0),
        SectionAutomation(track="bass", start_s=0.5, end_s=2.0, gain_db=4.0, ramp_ms=80.0),
    )
    rate = 1000
    rendered = gain_envelope_db(rides, track="bass", frames=3 * rate, sample_rate=rate)
    assert rendered is not None
    read = envelope_at_db(rides, track="bass", times_s=np.arange(3 * rate) / rate)
    np.testing.assert_allclose(read, rendered, atol=1e-5)


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Songs:
    return Songs(tmp_path_factory.mktemp("section-levels"))


def _quoted(reply: str, label: str) -> tuple[float, float]:
    number = r"([-+]?[\d.]+) LU"
    found = re.search(re.escape(label) + rf"\w* {number} → {number}", " ".join(reply.split()))
    assert found, reply
    return float(found[1]), float(found[2])


@pytest.mark.parametrize(
    ("brief", "part", "label", "sign"),
    [
        ("bring the bass up in the verses", "Bass_DI_Clean", "verse", 1),
        ("the drums are too loud in the choruses", "Drums_Full_Kit", "chorus", -1),
    ],
)
def test_a_section_move_on_a_part_quotes_the_part_in_those_sections(
    songs, brief, part, label, sign
) -> None:
    song = songs["song_1"]
    result = handle_brief(song.session, brief, parent=song.base)
    before, after = _quoted(result.reply, f"{part} vs the rest in the {label}")
    assert sign * (after - before) >= 1.5
    # measured again on the audio, each track placed and ridden as the render does
    assert _heard(song, result.version, part, label) == pytest.approx(after, abs=0.5)
    assert _heard(song, song.base, part, label) == pytest.approx(before, abs=0.5)


def _heard(song, version: int, part: str, label: str) -> float:
    state = version_of(song, version).state
    rate = song.rate
    spans = [(s.start_s, s.end_s) for s in song.session.meta.sections if s.label == label]
    sums: dict[bool, np.ndarray] = {}
    for track in state.audible_tracks():
        own = np.asarray(song.engine.insert_output(track), dtype=np.float32)
        audio = pan_and_width(own, pan=track.pan, width=track.width).astype(np.float64)
        envelope = gain_envelope_db(
            state.automation, track=track.name, frames=audio.shape[1], sample_rate=rate
        )
        offset_db = track.gain_db + (0.0 if envelope is None else envelope)
        placed = audio * np.power(10.0, np.asarray(offset_db) / 20.0)
        inside = track.name == part
        sums[inside] = sums[inside] + placed if inside in sums else placed
    pieces = {
        k: np.concatenate([v[:, int(a * rate) : int(b * rate)] for a, b in spans], axis=1)
        for k, v in sums.items()
    }
    return integrated_lufs(pieces[True], sample_rate=rate) - integrated_lufs(
        pieces[False], sample_rate=rate
    )
