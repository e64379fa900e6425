"""A part against the rest of the mix, in wordings that moved nothing or the wrong part:
where a part sits ("on top of the music", "behind the band"), what a move is for ("turn the
keys down so I can hear the vocal": the vocal is not moved), "everything is louder than the
vocal" (the vocal is too quiet), "the accompaniment", "the other tracks", "voice same", and
two complaints typed without a comma. Several of these moved every fader and then kept the
loudness: a version that changed nothing and quoted nothing."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from brief_checks import Case, Songs, run_case

from mixchat.assistant.moves.planner import resolve
from mixchat.assistant.reading.reader import read_brief
from mixchat.assistant.reading.refs import TargetRef
from mixchat.assistant.turn.conversation import handle_brief
from mixchat.dsp.state import MixState, TrackState

TRACKS = [("vocals", "vocal"), ("bass", "bass"), ("keys", "keys"), ("drums", "drums")]


def _said(target) -> str:
    """A track named as its role is said as the role."""
    if target.kind == "track":
        return f"role:{dict(TRACKS)[target.value]}"
    return f"{target.kind}:{target.value}"


def _reading(brief: str) -> list[tuple[str, int, list[str], list[str]]]:
    return [
        (
            a.concept,
            a.direction,
            [_said(t) for t in c.targets],
            [_said(t) for t in c.reference],
        )
        for c in read_brief(brief, tracks=TRACKS).clauses
        for a in c.asks
    ]


@pytest.mark.parametrize(
    ("brief", "part", "direction"),
    [
        ("the vocal needs to be on top of the music", "vocal", 1),
        ("the vocal needs to sit above everything", "vocal", 1),
        ("put the vocal in front of the band", "vocal", 1),
        ("the keys should sit under everything", "keys", -1),
        ("the keys need to sit behind the rest of the band", "keys", -1),
        ("the vocal sits too far above the music", "vocal", -1),
        ("the vocal is behind the music", "vocal", 1),
        ("the drums are on top of everything", "drums", -1),
        ("the vocal isn't on top of the mix", "vocal", 1),
        ("the keys shouldn't be on top of everything", "keys", -1),
        ("the vocal sits on top too much", "vocal", -1),
        ("the vocal sounds pasted on top", "vocal", -1),
    ],
)
def test_where_a_part_sits_against_the_rest_is_its_level(brief, part, direction) -> None:
    [(concept, said, targets, _)] = _reading(brief)
    assert (concept, said) == ("level", direction)
    assert f"role:{part}" in targets or f"group:{part}" in targets


@pytest.mark.parametrize(
    "brief", ["vocal disappears behind the band", "the keys are buried under everything"]
)
def test_lost_behind_the_band_is_buried_not_placed(brief) -> None:
    assert [c for c, *_ in _reading(brief)] == ["buried"]


@pytest.mark.parametrize(
    ("brief", "moved", "served"),
    [
        ("turn the keys down so I can hear the vocal", "role:keys", "role:vocal"),
        ("lower the drums so the vocal comes through", "role:drums", "role:vocal"),
        ("the bass is too loud to hear the drums", "role:bass", "role:drums"),
    ],
)
def test_the_part_a_move_is_for_is_not_moved(brief, moved, served) -> None:
    [(concept, direction, targets, reference)] = _reading(brief)
    assert (concept, direction, targets) == ("level", -1, [moved])
    assert served in reference


def test_a_purpose_about_the_same_part_is_still_read() -> None:
    assert {c for c, *_ in _reading("the bass needs more upper mids so it reads on phones")} >= {
        "presence"
    }


@pytest.mark.parametrize(
    ("brief", "direction", "targets"),
    [
        ("everything is louder than the vocal", 1, ["role:vocal"]),
        ("the mix is louder than the vocal", 1, ["role:vocal"]),
        ("everything is louder than the drums", 1, ["role:drums"]),
        ("the accompaniment is too loud", -1, ["group:band"]),
        ("all instruments volume down, voice same", -1, ["all_but:vocal"]),
        ("can you turn down the music behind the vocal", 1, ["role:vocal"]),
        ("pull all the other tracks down around the vocal", -1, ["group:band"]),
        ("lower everything that isn't the vocal", -1, ["all_but:vocal"]),
        ("raise everything but keep the vocal where it is", 1, ["all_but:vocal"]),
        ("everything needs to come up to match the vocal", -1, ["role:vocal"]),
        ("turn everything down so I can hear the vocal", 1, ["role:vocal"]),
        ("music is louder then voice", -1, ["group:band"]),
        ("the singing is too low compared to the instruments", 1, ["role:vocal"]),
        ("i'm too quiet compared to the band", 1, ["role:vocal"]),
        ("the band is way louder than me", -1, ["group:band"]),
        ("give the vocal 2 dB over the band", 1, ["role:vocal"]),
    ],
)
def test_the_rest_against_a_part(brief, direction, targets) -> None:
    [(concept, said, moved, _)] = _reading(brief)
    assert (concept, said, moved) == ("level", direction, targets)


@pytest.mark.parametrize(
    ("brief", "first", "second"),
    [
        ("drums too loud vocal too low", ("role:drums", -1), ("role:vocal", 1)),
        ("less band more vocal", ("group:band", -1), ("role:vocal", 1)),
        ("more vocal, less everything else", ("role:vocal", 1), ("group:band", -1)),
    ],
)
def test_two_parts_said_in_one_breath_are_two_clauses(brief, first, second) -> None:
    assert _reading(brief) == [
        ("level", first[1], [first[0]], []),
        ("level", second[1], [second[0]], []),
    ]


@pytest.mark.parametrize(
    ("brief", "concepts"),
    [
        ("less mud and more air", ["mud", "air"]),
        ("make it louder, then add reverb", ["level", "wet"]),
        ("tone it down a bit, it's harsh", ["harsh"]),
        ("make it more intimate, like she's singing right next to you", ["mood"]),
    ],
)
def test_what_is_not_a_part_is_read_as_said(brief, concepts) -> None:
    assert [c for c, *_ in _reading(brief)] == concepts


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Songs:
    return Songs(tmp_path_factory.mktemp("placement"))


@pytest.mark.parametrize(
    "brief",
    [
        "all instruments volume down, voice same",
        "everything is louder than the vocal",
        "the accompaniment is too loud",
        "can you turn down the music behind the vocal",
        "the vocal needs to sit above everything",
        "less band more vocal",
        "i'm too quiet compared to the band",
    ],
)
def test_the_vocal_comes_up_against_the_rest_and_the_reply_quotes_it(songs, brief) -> None:
    case = Case(brief=brief, checks=(("level", "vocal", 1, None),), level=True)
    outcome = run_case(songs["demo"], case)
    assert outcome.passed, outcome.detail
    assert outcome.quoted is True


def test_a_signed_number_on_its_own_is_decibels() -> None:
    reading = read_brief("vocal +2 and everything else -2", tracks=TRACKS)
    said = [
        (c.asks[0].direction, c.amount.db, [_said(t) for t in c.targets]) for c in reading.clauses
    ]
    assert said == [(1, 2.0, ["role:vocal"]), (-1, -2.0, ["group:band"])]
    master = read_brief("master to -11 LUFS, ceiling -0.5 dBTP", tracks=TRACKS).clauses[0]
    assert master.amount.db is None


def test_it_all_against_a_part_is_the_part_the_other_way() -> None:
    assert _reading("it all sounds louder than the vocal") == [
        ("level", 1, ["role:vocal"], ["group:band"])
    ]


@pytest.mark.parametrize(
    ("brief", "check"),
    [
        # five tracks moved against five: quoted as one group against the rest
        ("the rhythm section is too loud compared to the vocal", ("level", "bass", -1, None)),
        ("make the drums stand out from everything else", ("level", "drums", 1, None)),
    ],
)
def test_groups_on_a_ten_track_song_move_and_are_quoted(songs, brief, check) -> None:
    song = songs["bearlin_roads"]
    outcome = run_case(song, Case(brief=brief, checks=(check,), level=True))
    assert not outcome.skipped, "bearlin_roads has no such part"
    assert outcome.passed, outcome.detail
    assert outcome.quoted is True


def _state(*roles: tuple[str, str]) -> MixState:
    return MixState(tracks=tuple(TrackState(name=n, role=r) for n, r in roles))


def test_every_part_kept_out_is_kept_out() -> None:
    state = _state(
        ("kick", "kick"), ("snare", "snare"), ("vox", "vocal"), ("gtr", "guitar"), ("pno", "keys")
    )
    refs = (TargetRef("all_but", "drums"), TargetRef("all_but", "vocal"))
    names, excluded, _ = resolve(refs, SimpleNamespace(state=state))
    assert names == ["gtr", "pno"] and set(excluded) == {"kick", "snare", "vox"}


def test_keeping_out_a_part_the_song_lacks_is_the_whole_mix() -> None:
    state = _state(("drums", "drums"), ("bass", "bass"), ("vocals", "vocal"))
    names, excluded, notes = resolve(
        (TargetRef("all_but", "synths"),), SimpleNamespace(state=state)
    )
    assert names is None and excluded == [] and "no synths" in notes[0]


def test_a_melodic_part_kept_out_of_a_split_song_is_its_bed() -> None:
    state = _state(("drums", "drums"), ("bass", "bass"), ("other", "keys"), ("vocals", "vocal"))
    names, excluded, _ = resolve((TargetRef("all_but", "synths"),), SimpleNamespace(state=state))
    assert excluded == ["other"] and names == ["drums", "bass", "vocals"]


@pytest.mark.parametrize(
    ("brief", "concept"), [("the guitar is dull on top", "brightness"), ("more air up top", "air")]
)
def test_on_top_after_a_tone_word_is_still_the_top_end(brief, concept) -> None:
    assert concept in [c for c, *_ in _reading(brief)]


def test_gluing_one_part_in_sends_it_to_the_room_not_the_mix_to_a_compressor(songs) -> None:
    case = Case(brief="glue the vocal into the track", checks=(("reverb", "vocal", 1),))
    outcome = run_case(songs["demo"], case)
    assert outcome.passed, outcome.detail
    assert "set_master_glue" not in outcome.tools and "adjust_track_gain" in outcome.tools


@pytest.mark.parametrize(
    "brief", ["bring the synth up and everything else down", "more synth less band"]
)
def test_the_rest_said_beside_a_part_is_the_rest_of_them(songs, brief) -> None:
    song = songs["song_1"]
    result = handle_brief(song.session, brief, parent=song.base)
    moves: dict[str, list[float]] = {}
    for call in result.tool_calls:
        if call.tool == "adjust_track_gain":
            moves.setdefault(call.args["track"], []).append(call.args["delta_db"])
    assert all(len(deltas) == 1 for deltas in moves.values()), moves  # none up and back
    assert moves["Lead_Synth"][0] > 0 and moves["Synth_Pad"][0] > 0
    assert {n for n, d in moves.items() if d[0] < 0} == {
        "Bass_DI_Clean",
        "Drums_Full_Kit",
        "Guitar_Rhythm",
        "Keys_Piano",
    }


@pytest.mark.parametrize(
    "brief",
    ["the riff louder throughout", "the solo is too loud", "the top line needs more volume"],
)
def test_a_level_said_of_an_unknown_noun_is_asked_back_not_the_whole_mix(brief) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    assert reading.intent == "clarify" and reading.unknown
