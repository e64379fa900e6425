"""Briefs about one part against the rest: the part kept out of "everything else", "than the
rest" as what the part is compared with, a part described against another as a complaint,
and a wish for a part to sit on top. Each wording here read the wrong parts or the wrong way
(e.g. "turn everything else down except the vocal" turned the vocal down too, a no-op after
the loudness was kept)."""

import pytest

from mixchat.assistant.reading.reader import read_brief

TRACKS = [("vocals", "vocal"), ("bass", "bass"), ("keys", "keys"), ("drums", "drums")]


def _reading(brief: str) -> list[tuple[str, int, list[tuple[str, str]], list[tuple[str, str]]]]:
    return [
        (
            a.concept,
            a.direction,
            [(t.kind, t.value) for t in c.targets],
            [(t.kind, t.value) for t in c.reference],
        )
        for c in read_brief(brief, tracks=TRACKS).clauses
        for a in c.asks
    ]


@pytest.mark.parametrize(
    ("brief", "direction", "spared"),
    [
        ("turn everything else down except the vocal", -1, "vocal"),
        ("bring everything down but the drums", -1, "drums"),
        ("all the instruments down except the voice", -1, "vocal"),
        ("lower all tracks except vocals", -1, "vocal"),
        ("everything is too loud except the vocal", -1, "vocal"),
        ("lower the rest, leave the vocal", -1, "vocal"),
        ("make the instruments quieter but not the vocal", -1, "vocal"),
        ("everything else needs to come down, vocal stays", -1, "vocal"),
        ("bring everything else up but the bass", 1, "bass"),
        ("the vocal stays, everything else down", -1, "vocal"),
        ("the mix is too loud except the vocal", -1, "vocal"),
    ],
)
def test_the_part_kept_out_is_not_moved(brief, direction, spared) -> None:
    assert _reading(brief) == [("level", direction, [("all_but", spared)], [])]


def test_but_keep_the_part_spares_it() -> None:
    assert _reading("turn it all down but keep the vocal") == [
        ("level", -1, [("all_but", "vocal")], [])
    ]


@pytest.mark.parametrize(
    "brief",
    [
        "make the vocal louder than the rest",
        "the vocals are too dry compared to the rest",
        "make the vocal stand out from the rest",
    ],
)
def test_the_rest_is_what_the_part_is_compared_with(brief) -> None:
    [(_, direction, targets, reference)] = _reading(brief)
    assert direction == 1 and targets in ([("role", "vocal")], [("track", "vocals")])
    assert reference == [("group", "band")]


@pytest.mark.parametrize(
    ("brief", "direction"),
    [
        ("the vocal is quieter than the rest of the mix", 1),
        ("the vocal is a bit lower than the rest", 1),
        ("the bass is louder than the kick", -1),
        ("make the bass quieter than the kick", -1),
        ("the vocal should be louder than everything else", 1),
    ],
)
def test_a_part_described_against_another_moves_the_other_way(brief, direction) -> None:
    [(concept, said, _, _)] = _reading(brief)
    assert (concept, said) == ("level", direction)


@pytest.mark.parametrize(
    ("brief", "direction"),
    [
        ("the vocal should sit on top of everything", 1),
        ("i want the vocal to sit on top of everything", 1),
        ("the bass swallows everything", -1),
    ],
)
def test_a_wish_to_sit_on_top_is_louder_a_complaint_is_quieter(brief, direction) -> None:
    [(concept, said, _, _)] = _reading(brief)
    assert (concept, said) == ("level", direction)
