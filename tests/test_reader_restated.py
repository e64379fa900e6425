"""A brief that says one thing twice ("it's buried, bring it up a touch") is one move, with the
amount either clause names."""

import pytest

from mixchat.assistant.reading.reader import read_brief

TRACKS = [("vocals", "vocal"), ("bass", "bass"), ("keys", "keys"), ("drums", "drums")]


def _moves(brief: str) -> list[tuple[str, int, float]]:
    reading = read_brief(brief, tracks=TRACKS)
    return [(a.concept, a.direction, c.amount.scale) for c in reading.clauses for a in c.asks]


@pytest.mark.parametrize(
    ("brief", "concept", "direction", "compare"),
    [
        ("the vocal is too quiet, bring it up a lot", "level", 1, "louder"),
        ("the bass is too loud, turn it down a touch", "level", -1, "softer"),
        ("low mids are a mess, way too muddy", "mud", -1, "louder"),
        ("the vocal is too washy, dry it up a bit", "wet", -1, "softer"),
    ],
)
def test_a_restated_ask_keeps_the_amount_said_second(brief, concept, direction, compare) -> None:
    (only,) = _moves(brief)
    plain = _moves(brief.split(",")[0])[0][2]
    assert only[:2] == (concept, direction)
    assert only[2] > plain if compare == "louder" else only[2] < plain


@pytest.mark.parametrize(
    "brief",
    [
        "the vocal is kinda buried, can u bring it up a bit",
        "bring the vocal up a bit, it's buried",
        "the vocal is buried, bring it up a touch",
    ],
)
def test_buried_and_up_on_one_part_are_one_move_not_two(brief) -> None:
    moves = _moves(brief)
    assert len(moves) == 1
    concept, direction, scale = moves[0]
    assert (concept, direction) == ("buried", -1)  # the level move that also unmasks
    assert scale < _moves("the vocal is buried")[0][2]  # "a bit" / "a touch" is kept


def test_different_parts_stay_apart() -> None:
    moves = _moves("the vocal is buried, bring the keys up a bit")
    assert [(c, d) for c, d, _ in moves] == [("buried", -1), ("level", 1)]
