"""Adverbs of degree that are quality words elsewhere ("pretty") say how much, not what."""

import pytest

from mixchat.assistant.reading.reader import read_brief

TRACKS = [("vocals", "vocal"), ("bass", "bass"), ("keys", "keys")]


def _concepts(brief: str) -> list[str]:
    return [a.concept for c in read_brief(brief, tracks=TRACKS).clauses for a in c.asks]


@pytest.mark.parametrize(
    ("brief", "concept"),
    [
        ("the vocal is pretty buried", "buried"),
        ("the bass is pretty boomy", "boom"),
        ("the keys are real harsh", "harsh"),
        ("pretty much everything is too loud", "level"),
    ],
)
def test_a_degree_word_before_a_quality_adds_no_move(brief: str, concept: str) -> None:
    assert _concepts(brief) == [concept]


def test_the_same_word_as_the_quality_itself_is_still_read() -> None:
    assert _concepts("make the keys sound pretty") == ["lexicon"]
