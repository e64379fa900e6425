"""The whole mix said in other words ("every track", "the stems"), parts said to be left as
they are, and parts said apart that together are the whole mix."""

from __future__ import annotations

import pytest
from brief_checks import Songs, version_of

from mixchat.assistant.reading.reader import read_brief
from mixchat.assistant.turn.conversation import handle_brief

TRACKS = [
    ("Bass", "bass"),
    ("Drums", "drums"),
    ("Keys", "keys"),
    ("Lead", "lead"),
    ("Vox", "vocal"),
]


def _said(brief: str) -> list[tuple[str, int, list[tuple[str, str]]]]:
    reading = read_brief(brief, tracks=TRACKS)
    return [
        (a.concept, a.direction, [(t.kind, t.value) for t in c.targets])
        for c in reading.clauses
        for a in c.asks
    ]


@pytest.mark.parametrize(
    ("brief", "direction"),
    [
        ("the mix down 2 dB", -1),
        ("bring every track up a little", 1),
        ("turn up the stems", 1),
        ("all stems down 2 dB", -1),
        ("every track needs to come down", -1),
        ("turn everyone up", 1),
    ],
)
def test_the_whole_mix_in_other_words_is_its_level(brief, direction) -> None:
    assert _said(brief) == [("level", direction, [("mix", "")])]


@pytest.mark.parametrize(
    ("brief", "part"),
    [
        ("lead louder, everything else the same", "Lead"),
        ("everything else the same, just the lead louder", "Lead"),
        ("bass up, drums stay as they are", "Bass"),
        ("keys up a bit, the rest unchanged", "Keys"),
    ],
)
def test_parts_said_to_stay_are_not_moved(brief, part) -> None:
    assert _said(brief) == [("level", 1, [("track", part)])]


def test_the_part_kept_out_of_a_group_move_still_is() -> None:
    assert _said("the vocal stays, everything else down") == [("level", -1, [("all_but", "vocal")])]


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Songs:
    return Songs(tmp_path_factory.mktemp("whole-mix"))


def test_parts_said_apart_that_make_the_whole_mix_move_its_level(songs) -> None:
    song = songs["song_1"]
    result = handle_brief(
        song.session, "turn up all the instruments and the vocal", parent=song.base
    )
    tools = [c.tool for c in result.tool_calls]
    assert "shift_all_faders" not in tools  # not taken back as a loudness drift
    before = version_of(song, song.base).metrics["mix"]["integrated_lufs"]
    after = version_of(song, result.version).metrics["mix"]["integrated_lufs"]
    assert after - before >= 1.5


def test_a_level_on_a_noun_that_is_no_part_asks_which_part(songs) -> None:
    song = songs["song_1"]
    result = handle_brief(song.session, "the solo is too loud", parent=song.base)
    assert result.version is None and not result.tool_calls
    assert "which part 'the solo' is" in result.reply and "Lead_Synth" in result.reply


@pytest.mark.parametrize(
    "brief", ["make the flute brighter", "cut 300 on the sax", "more trumpets in the chorus"]
)
def test_an_instrument_the_session_does_not_have_is_asked_back(songs, brief) -> None:
    song = songs["song_1"]
    result = handle_brief(song.session, brief, parent=song.base)
    assert result.version is None and not result.tool_calls
    assert "There is no" in result.reply and "Lead_Synth" in result.reply


def test_a_radio_sound_on_a_part_changes_nothing_and_says_so(songs) -> None:
    song = songs["song_1"]
    result = handle_brief(
        song.session, "make the vocal sound like it's on the radio", parent=song.base
    )
    assert result.version is None and not result.tool_calls
    assert "radio or telephone sound" in result.reply


def test_an_instrument_said_beside_a_part_is_left_out_and_said(songs) -> None:
    song = songs["song_1"]
    result = handle_brief(
        song.session, "make the vocal brighter and the sax louder", parent=song.base
    )
    assert {c.args["track"] for c in result.tool_calls} == {"Lead_Vocal_Main"}
    assert "There is no sax among your tracks" in result.reply


@pytest.mark.parametrize(
    "brief",
    [
        "the lead should be the loudest thing after the vocal",
        "the keys should be second loudest after the vocal",
    ],
)
def test_the_part_a_ranking_comes_after_is_not_moved(brief) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    (clause,) = reading.clauses
    assert [t.kind for t in clause.targets] == ["track"]
    assert clause.targets[0].value in ("Lead", "Keys")
    assert [t.value for t in clause.reference] == ["vocal"]


def test_a_mood_word_on_a_part_keeps_the_mix_loudness(songs) -> None:
    song = songs["demo"]
    result = handle_brief(song.session, "the vocal sound small, make it more big", parent=song.base)
    before = version_of(song, song.base).metrics["mix"]["integrated_lufs"]
    after = version_of(song, result.version).metrics["mix"]["integrated_lufs"]
    assert abs(after - before) <= 1.0
    assert "Lead Vocal vs the rest" in result.reply


def test_a_busy_part_comes_down_it_is_not_brightened(songs) -> None:
    song = songs["song_1"]
    result = handle_brief(song.session, "the keys are too busy", parent=song.base)
    assert [(c.tool, c.args["track"]) for c in result.tool_calls] == [
        ("adjust_track_gain", "Keys_Piano")
    ]
    assert result.tool_calls[0].args["delta_db"] < -1.5
