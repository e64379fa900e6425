"""Wordings from the second batch of other voices (tests/briefs/wild2.jsonl): each is read as
the move an engineer would make."""

from __future__ import annotations

import pytest

from mixchat.assistant.reading.reader import read_brief

TRACKS = [("Piano", "keys"), ("Pad", "pad"), ("Kit", "drums"), ("Vox", "vocal"), ("Bass", "bass")]


def _asks(brief: str) -> list[tuple[str, int, list[str]]]:
    reading = read_brief(brief, tracks=TRACKS)
    return [
        (a.concept, a.direction, [t.value for t in c.targets])
        for c in reading.clauses
        for a in c.asks
    ]


@pytest.mark.parametrize(
    "brief",
    [
        "make the vocal sit in the mix",
        "the vocal should sit more in the track",
        "blend the vocal into the mix",
    ],
)
def test_a_part_that_should_sit_in_the_mix_comes_down(brief) -> None:
    assert _asks(brief) == [("level", -1, ["vocal"])]


@pytest.mark.parametrize(
    ("brief", "concept"),
    [
        ("everything feels flat, no depth", "wet"),
        ("there's no space in the mix", "wet"),
        ("no width at all", "width"),
    ],
)
def test_no_quality_an_effect_gives_asks_for_more_of_it(brief, concept) -> None:
    assert (concept, 1) in [(c, d) for c, d, _ in _asks(brief)]


@pytest.mark.parametrize("brief", ["no reverb on the vocal", "no delay on the vocal"])
def test_no_effect_on_a_part_still_takes_it_away(brief) -> None:
    assert all(d < 0 for _, d, _ in _asks(brief))


@pytest.mark.parametrize(
    "brief", ["the whole thing is too loud and smashed", "the vocal is pumping"]
)
def test_an_overcompressed_sound_asks_for_less_compression(brief) -> None:
    assert ("compression", -1) in [(c, d) for c, d, _ in _asks(brief)]


def test_a_part_eating_a_range_has_too_much_of_it() -> None:
    assert _asks("the 808 is eating the whole low end") == [("low_end", -1, ["bass"])]


def test_hearing_myself_is_the_artists_vocal() -> None:
    assert _asks("i cant hear myself") == [("buried", -1, ["vocal"])]


def test_instrument_slang_for_a_thin_bright_part() -> None:
    assert _asks("piano sounds too plinky") == [("harsh", -1, ["Piano"])]
