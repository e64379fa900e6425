"""Parts that crowd, squash or narrow the mix, said in other voices: each is read as the
move an engineer would make, not as the nearest single word."""

from __future__ import annotations

import pytest

from mixchat.assistant.reading.reader import read_brief

TRACKS = [("Piano", "keys"), ("Pad", "pad"), ("Gtr", "guitar"), ("Vox", "vocal")]


def _asks(brief: str) -> list[tuple[str, int, list[str], list[str]]]:
    reading = read_brief(brief, tracks=TRACKS)
    return [
        (
            a.concept,
            a.direction,
            [t.value for t in c.targets],
            [str(getattr(r, "value", r)) for r in c.reference],
        )
        for c in reading.clauses
        for a in c.asks
    ]


@pytest.mark.parametrize(
    ("brief", "part"),
    [
        ("the pad is hogging all the space", "Pad"),
        ("the piano is taking up too much room", "Piano"),
        ("get the piano out of the way", "Piano"),
    ],
)
def test_a_part_crowding_the_mix_comes_down(brief, part) -> None:
    assert _asks(brief) == [("level", -1, [part], [])]


def test_out_of_the_way_of_a_part_is_down_against_it() -> None:
    assert _asks("can we get the piano a little out of the way of my voice") == [
        ("level", -1, ["Piano"], ["vocal"])
    ]


def test_a_part_muddying_up_another_masks_it() -> None:
    asks = _asks("guitars are muddying up the vocal")
    assert [(c, d) for c, d, *_ in asks] == [("buried", -1)]
    assert asks[0][2] == ["vocal", "guitar"]  # the buried part first, then its masker


@pytest.mark.parametrize("brief", ["its all squashed, let it breathe", "it's all crushed"])
def test_all_squashed_is_a_complaint(brief) -> None:
    assert {(c, d) for c, d, *_ in _asks(brief)} == {("compression", -1)}


@pytest.mark.parametrize(
    "brief", ["the mix is too much in the middle, open it up", "open up the stereo image"]
)
def test_open_beside_the_width_is_the_width(brief) -> None:
    assert [(c, d) for c, d, *_ in _asks(brief)] == [("width", 1)]


@pytest.mark.parametrize(
    "brief",
    ["the stereo feels lopsided, guitar is all on one side", "the guitar is too far to one side"],
)
def test_a_part_on_one_side_comes_towards_the_centre_and_nothing_widens(brief) -> None:
    asks = _asks(brief)
    assert [(c, d) for c, d, *_ in asks] == [("width", -1)]
    assert "guitar" in asks[0][2]


@pytest.mark.parametrize("brief", ["the mix is lopsided", "the stereo image feels unbalanced"])
def test_a_lopsided_mix_with_no_part_is_asked_back_not_widened(brief) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    assert reading.intent == "clarify" and reading.vague


@pytest.mark.parametrize(
    "brief",
    [
        "vocals feel a bit detached from the beat, like floating on top",
        "the vocal floats on top of the mix",
    ],
)
def test_a_part_floating_on_the_mix_comes_down_not_a_mood(brief) -> None:
    asks = _asks(brief)
    assert [(c, d) for c, d, *_ in asks] == [("level", -1)]
    assert "vocal" in asks[0][2]


@pytest.mark.parametrize(
    ("brief", "asks"),
    [
        ("bring the pad down theyre piercing", [("level", -1), ("harsh", -1)]),
        ("turn the vocal down its harsh", [("level", -1), ("harsh", -1)]),
        ("the pad is weedy, fatten up its bottom", [("low_end", 1)]),  # "its": the pad's
    ],
)
def test_a_move_then_why_typed_without_a_comma_is_both(brief, asks) -> None:
    assert [(c, d) for c, d, *_ in _asks(brief)] == asks


@pytest.mark.parametrize(
    ("brief", "asks"),
    [
        ("everything sounds far away and washed out", [("wet", -1)]),
        ("the vocal has too much 200 hz", [("eq_point", -1)]),
        ("not enough 100 hz in the pad", [("eq_point", 1)]),
        ("can u make the pad less farty", [("boom", -1)]),
        ("the pad should swell in the chorus", [("level", 1)]),
    ],
)
def test_words_from_other_voices(brief, asks) -> None:
    assert [(c, d) for c, d, *_ in _asks(brief)] == asks


def test_the_others_after_a_section_are_the_other_sections() -> None:
    reading = read_brief("i want the last chorus to be bigger than the others", tracks=TRACKS)
    (clause,) = reading.clauses
    assert clause.targets == () and [s.label for s in clause.sections] == ["chorus"]


def test_a_part_said_again_as_them_keeps_its_section() -> None:
    reading = read_brief("the piano in the chorus is too busy, back it off", tracks=TRACKS)
    assert all([s.label for s in c.sections] == ["chorus"] for c in reading.clauses)
