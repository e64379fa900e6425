"""A mood said of one occurrence of a section ("the last chorus bigger than the others") is
ridden in that occurrence only, and the loudness hold leaves the ride most of its lift; side
clauses that only say how the producer feels do not become moves of their own."""

from __future__ import annotations

import pytest
from brief_checks import Songs, section_rows, version_of

from mixchat.assistant.moves.planner import as_sentences
from mixchat.assistant.reading.reader import read_brief
from mixchat.assistant.turn.conversation import SECTION_RIDE_DRIFT_LU, handle_brief

TRACKS = [("Vox", "vocal"), ("Kit", "drums"), ("Gtr", "guitar")]


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Songs:
    return Songs(tmp_path_factory.mktemp("occurrence"))


def test_a_mood_on_the_last_chorus_rides_that_chorus_and_keeps_its_lift(songs) -> None:
    song = songs["song_1"]
    before = version_of(song, song.base)
    result = handle_brief(
        song.session, "make the last chorus bigger than the others", parent=song.base
    )
    after = version_of(song, result.version)
    calls = [c for c in result.tool_calls if c.tool != "trim_mix"]
    assert calls and {c.tool for c in calls} <= {"automate_section", "set_send"}, calls
    rides = [c.args for c in calls if c.tool == "automate_section"]
    last = len(section_rows(before.metrics, "chorus"))
    assert all(r["section"] == "chorus" and r["occurrence"] == last for r in rides)
    old_rows, new_rows = (
        section_rows(before.metrics, "chorus"),
        section_rows(after.metrics, "chorus"),
    )
    lift = new_rows[-1]["lufs"] - old_rows[-1]["lufs"]
    others = [n["lufs"] - o["lufs"] for o, n in zip(old_rows[:-1], new_rows[:-1], strict=True)]
    assert lift >= 1.5, lift
    assert all(lift - other >= 1.5 for other in others), (lift, others)
    drift = after.metrics["mix"]["integrated_lufs"] - before.metrics["mix"]["integrated_lufs"]
    assert abs(drift) <= SECTION_RIDE_DRIFT_LU + 0.1, drift
    assert "the second chorus vs the rest of the song" in result.reply


@pytest.mark.parametrize(
    ("brief", "concepts"),
    [
        ("plz less echo on my voice its distracting", {"echo"}),
        ("there's a nasty resonance in the snare around 500", {"eq_point"}),
    ],
)
def test_a_thinly_rated_crowd_word_beside_a_plain_ask_is_not_a_second_move(brief, concepts):
    reading = read_brief(brief, tracks=TRACKS)
    assert {a.concept for c in reading.clauses for a in c.asks} == concepts


def test_a_thinly_rated_crowd_word_alone_is_still_read() -> None:
    reading = read_brief("make it distracting", tracks=TRACKS)
    assert [a.word for c in reading.clauses for a in c.asks] == ["distracting"]


@pytest.mark.parametrize(
    "brief",
    ["vocal too compressed, sounds lifeless", "please make the voice more close, like intimate"],
)
def test_a_clause_with_its_subject_left_out_is_about_the_part_just_named(brief) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    assert all([t.value for t in c.targets] == ["vocal"] for c in reading.clauses), reading


def test_notes_from_several_moves_read_as_sentences() -> None:
    said = as_sentences(["no delay sends to take down", "no reverb sends: none.", " "])
    assert said == "No delay sends to take down. No reverb sends: none."


@pytest.mark.parametrize(
    ("brief", "buried", "masker"),
    [
        ("the bass gets buried by the drums", "Bass_DI_Clean", "Drums_Full_Kit"),
        ("the kick gets lost under the bass", "Drums_Full_Kit", "Bass_DI_Clean"),
    ],
)
def test_a_part_buried_by_a_named_part_keeps_its_own_low_end(songs, brief, buried, masker):
    """Kick and bass said as one burying the other, not fighting: the part named as burying
    gives way in full; the buried part gives at most a small slot, comes up, and is heard
    louder than before."""
    song = songs["song_1"]
    before = version_of(song, song.base)
    result = handle_brief(song.session, brief, parent=song.base)
    eq = [c.args for c in result.tool_calls if c.tool == "apply_eq"]
    assert any(a["track"] == masker and a["gain_db"] <= -6.0 for a in eq), eq
    assert all(a["gain_db"] >= -3.0 for a in eq if a["track"] == buried), eq
    after = version_of(song, result.version)
    assert after.metrics["tracks"][buried]["lufs"] > before.metrics["tracks"][buried]["lufs"]


def test_parts_stepping_on_each_other_both_give_way(songs) -> None:
    song = songs["song_1"]
    result = handle_brief(
        song.session, "the bass and kick are stepping on eachother", parent=song.base
    )
    cut = {c.args["track"] for c in result.tool_calls if c.tool == "apply_eq"}
    assert cut == {"Bass_DI_Clean", "Drums_Full_Kit"}, result.tool_calls
