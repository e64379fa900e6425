"""What a brief says with "not" is what must stay ("the vocal louder, not the guitar"), and a
quality said after a description with only a degree word is the same description ("the mix
sounds muddy, kinda dark" wants it brighter)."""

import pytest

from mixchat.assistant.reading.reader import read_brief

TRACKS = [("vocals", "vocal"), ("guitar", "guitar"), ("bass", "bass"), ("drums", "drums")]


def _asks(brief: str) -> set[tuple[str, int]]:
    reading = read_brief(brief, tracks=TRACKS)
    return {(a.concept, a.direction) for c in reading.clauses for a in c.asks}


def _targets(brief: str) -> set[str]:
    reading = read_brief(brief, tracks=TRACKS)
    return {t.value for c in reading.clauses for t in c.targets}


def test_a_part_said_after_not_is_not_moved() -> None:
    assert _targets("make the vocal louder, not the guitar") == {"vocal"}


@pytest.mark.parametrize(
    ("brief", "kept", "left_out"),
    [
        ("cut the mud but not the warmth", ("mud", -1), "warmth"),
        ("the vocal needs air, not more 3k", ("air", 1), "eq_point"),
        ("it's harsh, not the esses", ("harsh", -1), "sibilance"),
        ("more punch, not more level", ("punch", 1), "level"),
    ],
)
def test_a_quality_said_after_not_is_left_out(brief, kept, left_out) -> None:
    asks = _asks(brief)
    assert kept in asks
    assert left_out not in {concept for concept, _ in asks}


@pytest.mark.parametrize(
    ("brief", "ask"),
    [
        ("brighter, not harsher", ("harsh", -1)),  # a guard beside brightening stays
        ("more reverb but not too much", ("wet", 1)),  # an amount, not a negation
        ("the kick, not punchy enough", ("punch", 1)),
    ],
)
def test_not_as_a_guard_an_amount_or_a_lack_is_still_read(brief, ask) -> None:
    assert ask in _asks(brief)


def test_a_part_kept_out_of_a_level_on_everything_is_spared() -> None:
    reading = read_brief("turn everything up, not the vocal", tracks=TRACKS)
    assert [(t.kind, t.value) for c in reading.clauses for t in c.targets] == [("all_but", "vocal")]


@pytest.mark.parametrize(
    ("brief", "ask"),
    [
        ("the mix sounds muddy, kinda dark", ("brightness", 1)),
        ("the guitar is muddy, really dark", ("brightness", 1)),
        ("the mix is loud, really bright", ("brightness", -1)),
        ("the vocal is sibilant-ish around 7k, not the esses, just bright", ("brightness", -1)),
    ],
)
def test_a_quality_after_a_description_is_described_too(brief, ask) -> None:
    asks = _asks(brief)
    assert ask in asks
    assert (ask[0], -ask[1]) not in asks


@pytest.mark.parametrize(
    "brief",
    [
        "make the snare crack but don't make it louder",
        "make the chorus hit harder without making it louder overall",
    ],
)
def test_a_level_said_not_to_change_is_not_asked(brief) -> None:
    assert "level" not in {concept for concept, _ in _asks(brief)}
    assert ("punch", 1) in _asks(brief)


def test_leave_it_is_not_read_as_level() -> None:
    reading = read_brief("the bass is fine, leave it. the drums need more weight", tracks=TRACKS)
    assert not reading.approximations
    assert _asks("the bass is fine, leave it. the drums need more weight") == {("low_end", 1)}


def test_roughing_it_up_is_drive_not_level() -> None:
    assert _asks("it's too polished, rough it up a bit") == {("saturation", 1)}


@pytest.mark.parametrize(
    "brief",
    [
        "the guitar is masking the vocal in the upper mids",
        "the guitars bury the vocal in the low mids",
    ],
)
def test_the_range_a_masking_is_said_in_is_not_a_complaint_of_its_own(brief) -> None:
    assert _asks(brief) == {("buried", -1)}


def test_too_says_of_a_quality_in_several_words_what_it_says_of_the_first() -> None:
    assert _asks("the mix is too dry and in your face") == {("wet", 1), ("presence", -1)}


@pytest.mark.parametrize(
    ("brief", "moved", "way", "against"),
    [
        ("make the guitar sit behind the vocal", "guitar", -1, "vocal"),
        ("the guitar should sit behind the vocal", "guitar", -1, "vocal"),
        ("the vocal sits behind the guitars", "vocal", 1, "guitar"),
    ],
)
def test_a_part_to_sit_behind_another_moves_against_it(brief, moved, way, against) -> None:
    (clause,) = read_brief(brief, tracks=TRACKS).clauses
    assert [t.value for t in clause.targets] == [moved]
    assert [t.value for t in clause.reference] == [against]
    assert [(a.concept, a.direction) for a in clause.asks] == [("level", way)]


@pytest.mark.parametrize(
    "brief",
    [
        "the vocal is peaky, some words jump out",
        "the vocal is too peaky",
        "some words poke out of the vocal",
    ],
)
def test_a_peaky_part_is_compressed(brief) -> None:
    assert ("compression", 1) in _asks(brief)
    assert ("compression", -1) not in _asks(brief)


@pytest.mark.parametrize(
    "brief",
    [
        "the drums in the verse are too busy, pull them back",
        "the guitar is way too loud, pull it back a touch",
    ],
)
def test_a_part_too_much_then_brought_down_is_one_move(brief) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    assert len([a for c in reading.clauses for a in c.asks]) == 1


@pytest.mark.parametrize("brief", ["the chorus needs more oomph", "make the drums more powerful"])
def test_oomph_and_power_are_punch(brief) -> None:
    assert _asks(brief) == {("punch", 1)}


@pytest.mark.parametrize(
    "brief",
    ["make the vocal sound like it's on the radio", "make the vocal sound like a telephone"],
)
def test_a_radio_sound_asked_of_a_part_is_lo_fi_not_a_master(brief) -> None:
    assert _asks(brief) == {("mood", 1)}
    assert _targets(brief) == {"vocal"}


def test_sounding_like_a_radio_as_a_complaint_is_not_asked_for() -> None:
    assert ("mood", 1) not in _asks("it sounds like a cheap radio")


def test_some_notes_jumping_out_is_not_the_part_too_loud() -> None:
    assert _asks("on the bass some notes jump out") == {("compression", 1)}
