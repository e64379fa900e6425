"""`ask`: answers carry the facts an engineer would check (numbers, units, absent controls)."""

from __future__ import annotations

import re

import pytest

from mixchat.assistant.knowledge.ask import (
    SessionFacts,
    TrackFacts,
    answer_question,
    grounding_text,
)
from mixchat.assistant.knowledge.plugins import load, named_entries, retrieve


def _numbers_before(text: str, unit: str) -> list[float]:
    """Every number (ranges count both ends) written just before the unit."""
    found = []
    for match in re.finditer(
        rf"(-?\d+(?:\.\d+)?)(?:\s*[-–]\s*(-?\d+(?:\.\d+)?))?\s*{unit}\b", text
    ):
        found += [float(g) for g in match.groups() if g is not None]
    return found


def test_knowledge_base_loads_with_sources():
    kb = load()
    ids = {e.id for e in kb.entries}
    assert {
        "1176",
        "la2a",
        "cl1b",
        "ssl_bus",
        "api_2500",
        "distressor",
        "fairchild",
        "pultec_eqp1a",
        "neve_1073",
        "api_550",
        "de_esser",
        "gate",
        "limiter",
        "reverb",
    } <= ids
    for entry in kb.entries:
        assert entry.sources and all(key in kb.sources for key in entry.sources), entry.id


@pytest.mark.parametrize(
    ("query", "entry_id"),
    [
        ("cl-1b", "cl1b"),
        ("tube tech", "cl1b"),
        ("teletronix", "la2a"),
        ("la2a", "la2a"),
        ("urei", "1176"),
        ("g-bus", "ssl_bus"),
        ("eqp1a", "pultec_eqp1a"),
        ("api 2500", "api_2500"),
    ],
)
def test_aliases_retrieve_the_unit(query, entry_id):
    assert retrieve(f"settings for the {query}")[0].id == entry_id
    assert [e.id for e in named_entries(query)][:1] == [entry_id]


def test_cl1b_ballad_vocal_attack():
    answer = answer_question("what attack on a CL1B for a ballad vocal?")
    assert "CL 1B" in answer.answer and answer.sources
    attacks = _numbers_before(answer.answer, "ms")
    assert any(5 <= a <= 30 for a in attacks)
    assert re.search(r"[34]:1", answer.answer)


def test_1176_rap_vocal():
    answer = answer_question("1176 settings for a rap vocal")
    assert "1176" in answer.answer and answer.sources
    assert re.search(r"\b(4|8):1", answer.answer)
    assert _numbers_before(answer.answer, "us") or _numbers_before(answer.answer, "µs")


def test_la2a_has_no_attack_control():
    answer = answer_question("how do I set an LA-2A's attack")
    assert "LA-2A" in answer.answer and "no attack" in answer.answer.lower()
    assert 10.0 in _numbers_before(answer.answer, "ms")


def test_ssl_glue_ratio():
    answer = answer_question("ratio for glue on the mix bus with an SSL bus comp")
    assert "SSL" in answer.answer and "2:1" in answer.answer
    assert {10.0, 30.0} & set(_numbers_before(answer.answer, "ms"))
    assert "auto" in answer.answer.lower()


def test_pultec_low_end_trick_on_kick():
    answer = answer_question("Pultec low end trick on kick")
    assert "Pultec" in answer.answer and "atten" in answer.answer.lower()
    assert any(f in _numbers_before(answer.answer, "Hz") for f in (30.0, 60.0, 100.0))


def test_snare_release_at_120_bpm():
    answer = answer_question("release for a 120 bpm snare compressor")
    assert "500 ms" in answer.answer
    releases = _numbers_before(answer.answer, "ms")
    assert any(100 <= r <= 250 for r in releases)
    assert "quarter_note_ms=500" in answer.facts


def test_hpf_on_acoustic_guitar():
    answer = answer_question("HPF on acoustic guitar")
    assert any(60 <= f <= 200 for f in _numbers_before(answer.answer, "Hz"))
    assert answer.sources


def test_spotify_loudness_target():
    answer = answer_question("what's the loudness target for Spotify")
    assert "-14 LUFS" in answer.answer and "-1 dBTP" in answer.answer
    assert any("Spotify" in source for source in answer.sources)


def test_compare_genres_says_what_differs():
    answer = answer_question("attack for ballad vs rap vocal")
    assert "ballad" in answer.answer and "rap" in answer.answer and "Difference" in answer.answer


def test_compare_units():
    answer = answer_question("1176 vs LA-2A on a vocal")
    assert "1176" in answer.answer and "LA-2A" in answer.answer and "Difference" in answer.answer


def test_session_facts_are_quoted():
    facts = SessionFacts(
        tempo_bpm=104, tracks=[TrackFacts(name="lead vocal", role="vocal", crest_factor_db=19)]
    )
    answer = answer_question(
        "what attack and release for my vocal compressor?", session_facts=facts
    )
    assert re.search(r"\b19(\.0)? dB", answer.answer) and "577 ms" in answer.answer
    assert any(3 <= a <= 5 for a in _numbers_before(answer.answer, "ms"))


def test_answers_stay_short_and_grounding_is_available():
    for question in (
        "1176 vs LA-2A on a vocal",
        "de-essing a female vocal",
        "parallel compression on drums",
    ):
        answer = answer_question(question)
        assert 0 < len(answer.answer.splitlines()) <= 15 and answer.sources
    text = grounding_text("CL1B ballad vocal attack")
    assert "CL 1B" in text and "0.5-300" in text
