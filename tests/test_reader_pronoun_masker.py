"""A part said before and then "it covers the vocal": "it" is the masker of the part buried,
so the unmasking works on that part and not on every other one."""

import pytest

from mixchat.assistant.reading.reader import read_brief

TRACKS = [("vocals", "vocal"), ("piano", "keys"), ("guitar", "guitar"), ("drums", "drums")]


def _buried_targets(brief: str) -> list[str]:
    reading = read_brief(brief, tracks=TRACKS)
    return [
        t.value
        for c in reading.clauses
        if any(a.concept == "buried" for a in c.asks)
        for t in c.targets
    ]


@pytest.mark.parametrize(
    "brief",
    [
        "the piano is way too loud, it covers the vocal",
        "piano is too much. it drowns out the vocals",
        "the keys are too loud and they mask the vocal",
    ],
)
def test_it_stands_for_the_part_said_before_as_the_masker(brief) -> None:
    buried, *maskers = _buried_targets(brief)
    assert buried in ("vocal", "vocals")  # the role or the track of that name
    assert maskers and set(maskers) <= {"piano", "keys"}


def test_the_direct_form_reads_the_same_parts() -> None:
    assert _buried_targets("the piano covers the vocal") == _buried_targets(
        "the piano is way too loud, it covers the vocal"
    )


def test_after_a_complaint_about_the_mix_there_is_no_masker() -> None:
    assert _buried_targets("the mix is muddy, it buries the vocal") in (["vocal"], ["vocals"])
