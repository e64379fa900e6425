"""A frequency said in numbers is read as an EQ ask where it stands, whatever words sit
between it and the word that says which way ("a whistle near 4k", "the low mids need some
love, around 250"); numbers that are not frequencies stay what they are."""

from __future__ import annotations

import pytest

from mixchat.assistant.reading.reader import read_brief

TRACKS = [("Gtr", "guitar"), ("Kit", "drums"), ("Kick", "kick"), ("Vox", "vocal"), ("Bass", "bass")]


def _eq_asks(brief: str) -> list[tuple[int, object]]:
    reading = read_brief(brief, tracks=TRACKS)
    return [
        (a.direction, a.descriptor)
        for c in reading.clauses
        for a in c.asks
        if a.concept == "eq_point"
    ]


@pytest.mark.parametrize(
    ("brief", "direction", "where"),
    [
        ("there's a whistle near 4k on everything", -1, 4000.0),
        ("the low mids need some love around 250", 1, 250.0),
        ("way too much happening under 50hz", -1, (20.0, 50.0)),
        ("i'd like a bit more sparkle above 10k", 1, (10000.0, 20000.0)),
        ("more warmth in the mix, somewhere around 200", 1, 200.0),
        ("the mix is piercing at about 2.5 khz", -1, 2500.0),
    ],
)
def test_a_frequency_away_from_its_verb_is_an_eq_ask_there(brief, direction, where) -> None:
    assert _eq_asks(brief) == [(direction, where)]


@pytest.mark.parametrize(
    "brief",
    [
        "push the second chorus 2 dB harder",
        "the vocal is 3 db too loud in chorus 2",
        "make the drums hit harder at 1:30",
    ],
)
def test_numbers_that_are_not_frequencies_are_no_eq_ask(brief) -> None:
    assert _eq_asks(brief) == []


def test_too_much_at_a_frequency_is_a_brief_not_a_step_back() -> None:
    reading = read_brief("there is too much in the 500hz range", tracks=TRACKS)
    assert reading.intent == "change"
    assert [(a.concept, a.direction) for c in reading.clauses for a in c.asks] == [("eq_point", -1)]


def test_the_word_beside_a_frequency_only_says_which_way() -> None:
    reading = read_brief("give the mix more chest around 150", tracks=TRACKS)
    assert [a.concept for c in reading.clauses for a in c.asks] == ["eq_point"]
    assert not reading.approximations


@pytest.mark.parametrize("brief", ["the kick click is too much", "the kick's click is too loud"])
def test_the_click_of_a_kick_is_its_attack_band_not_a_fault(brief) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    asks = [(a.concept, a.direction) for c in reading.clauses for a in c.asks]
    assert asks == [("presence", -1)], asks


@pytest.mark.parametrize(
    ("brief", "db"),
    [
        ("drums down a db", 1.0),
        ("bring the bass up a couple of db", 2.0),
        ("the vocal half a db louder", 0.5),
        ("guitars up a few decibels", 3.0),
    ],
)
def test_decibels_said_in_words_are_an_amount_in_db(brief, db) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    assert [c.amount.db for c in reading.clauses] == [db]


@pytest.mark.parametrize(
    ("brief", "where"),
    [
        ("vocal up and less 300 on it", 300.0),
        ("turn the vocal up and take some 300 out of it", 300.0),
        ("cut 250 on the guitar", 250.0),
    ],
)
def test_a_bare_number_right_after_a_cut_is_a_frequency(brief, where) -> None:
    assert _eq_asks(brief) == [(-1, where)]


@pytest.mark.parametrize("brief", ["more 808 in the chorus", "less 2 on the vocal"])
def test_gear_and_small_numbers_after_a_verb_are_not_frequencies(brief) -> None:
    assert _eq_asks(brief) == []


@pytest.mark.parametrize(
    ("brief", "asks"),
    [
        ("the kick is missing its click", [("presence", 1)]),
        ("the kick has no click", [("presence", 1)]),
        ("there's a click on the kick at 1:02", [("clicks", -1)]),
        ("there's a click in the bass", [("clicks", -1)]),
        ("the guitar is missing its bite", [("presence", 1)]),
        ("the bass lost its punch", [("punch", 1)]),
    ],
)
def test_a_part_missing_its_quality_lacks_it(brief, asks) -> None:
    reading = read_brief(brief, tracks=TRACKS)
    assert [(a.concept, a.direction) for c in reading.clauses for a in c.asks] == asks


def test_small_beside_a_size_wish_is_the_wish_said_again() -> None:
    """ "Sounds small, I want it wide and big": no low-end shelf that would narrow the mix."""
    reading = read_brief("mix sounds small, i want it wide and big", tracks=TRACKS)
    asks = [(a.concept, a.direction) for c in reading.clauses for a in c.asks]
    assert asks == [("width", 1), ("mood", 1)]
    alone = read_brief("it sounds thin and small", tracks=TRACKS)
    assert ("low_end", 1) in [(a.concept, a.direction) for c in alone.clauses for a in c.asks]
