"""A weak model's answers checked against the offline reader: tool calls that contradict a
clear brief are refused (and go back to the model as errors), and a rewrite of the brief is
carried out only when the reader can act on it and it keeps the brief's meaning. No model is
called here; the texts stand for what small models were seen to answer."""

from __future__ import annotations

import pytest

from mixchat.assistant.llm.guard import check_call
from mixchat.assistant.llm.rephrase import clean_rephrasing, examples, judge, rephrase_prompt
from mixchat.assistant.reading.reader import read_brief
from mixchat.dsp.state import MixState, TrackState
from mixchat.tools.base import ToolCall

TRACKS = [("Lead Vocal", "vocal"), ("Bass", "bass"), ("Drums", "drums"), ("Keys", "keys")]


@pytest.fixture(scope="module")
def state() -> MixState:
    return MixState(tracks=tuple(TrackState(name=n, role=r, gain_db=-6.0) for n, r in TRACKS))


def call(tool: str, **args) -> ToolCall:
    return ToolCall(tool=tool, args=args)


def problem(brief: str, made: ToolCall, state: MixState, *, question: bool = False) -> str:
    return check_call(made, read_brief(brief, tracks=TRACKS), state, question=question)


# --- tool calls against the frame ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("brief", "made", "needle"),
    [
        (
            "bring the vocal up 3 dB",
            call("set_track_gain", track="Bass", gain_db=23.8),
            "Lead Vocal",
        ),
        ("bring the vocal up 3 dB", call("adjust_track_gain", track="vocal", delta_db=-3), "up"),
        ("bring the vocal up 3 dB", call("adjust_track_gain", track="vocal", delta_db=8), "3 dB"),
        ("make it darker", call("apply_eq", track="Drums", freq_hz=2048, gain_db=17.6), "±9"),
        ("make it darker", call("apply_eq", track="Keys", freq_hz=5000, gain_db=3), "top end"),
        ("a touch brighter", call("apply_master_eq", freq_hz=8000, gain_db=-2), "top end"),
    ],
)
def test_a_call_that_contradicts_a_clear_brief_is_refused(state, brief, made, needle):
    found = problem(brief, made, state)
    assert needle in found and "\n" not in found


@pytest.mark.parametrize(
    ("brief", "made"),
    [
        ("bring the vocal up 3 dB", call("adjust_track_gain", track="Lead Vocal", delta_db=3)),
        ("bring the vocal up 3 dB", call("set_track_gain", track="vocal", gain_db=-3.5)),
        ("bring the vocal up", call("adjust_track_gain", track="vocal", delta_db=2)),
        ("make it darker", call("apply_eq", track="Keys", freq_hz=6000, gain_db=-3)),
        ("make it darker", call("apply_eq", track="Bass", freq_hz=250, gain_db=2)),  # warmth
        # a buried vocal may be fixed by lowering what masks it: not a named level ask
        ("the vocal is buried", call("adjust_track_gain", track="Keys", delta_db=-2)),
        (
            "make it sound like a summer evening",
            call("set_send", track="Keys", bus="reverb", send_db=-12),
        ),
    ],
)
def test_a_call_in_line_with_the_brief_passes(state, brief, made):
    assert problem(brief, made, state) == ""


def test_a_question_only_has_its_size_checked(state):
    made = call("adjust_track_gain", track="Bass", delta_db=2)
    assert problem("how loud is the vocal?", made, state, question=True) == ""
    huge = call("adjust_track_gain", track="Bass", delta_db=20)
    assert problem("how loud is the vocal?", huge, state, question=True)


# --- the model's rewrite of the brief -------------------------------------------------------------
def test_the_prompt_shows_the_reader_vocabulary_and_examples_it_can_read():
    prompt, shown = rephrase_prompt(TRACKS, ["verse", "chorus"])
    assert all(name in prompt for name, _ in TRACKS)
    assert all(word in prompt for word in ("dark", "bright", "wide", "louder", "reverb"))
    assert shown and all(read_brief(e, tracks=TRACKS).intent == "change" for e in shown)
    assert examples(TRACKS, []) and all("chorus" not in e for e in examples(TRACKS, []))


@pytest.mark.parametrize(
    ("text", "cleaned"),
    [
        ('Instruction: "make it darker."', "make it darker"),
        ("Rephrased: warmer vocal!\nMore text the model added.", "warmer vocal"),
        ("I can&#39;t hear the guitar", "I can't hear the guitar"),
        ("\n\n  **less muddy**  ", "less muddy"),
    ],
)
def test_the_rewrite_is_cleaned_to_one_instruction(text, cleaned):
    assert clean_rephrasing(text) == cleaned


@pytest.mark.parametrize(
    ("brief", "answer"),
    [
        ("it should feel like a summer evening", "warmer, with more reverb"),
        ("make it darker", "Make it darker."),  # an echo is fine: the reader reads it
        ("the singer is hiding", "Lead Vocal louder"),
    ],
)
def test_a_rewrite_the_reader_can_act_on_is_accepted(brief, answer):
    judged = judge(answer, read_brief(brief, tracks=TRACKS), tracks=TRACKS)
    assert judged.reading is not None and judged.reading.intent == "change" and not judged.problem


@pytest.mark.parametrize(
    ("brief", "answer", "needle"),
    [
        ("make it darker", "", "did not rephrase"),
        ("make it darker", "make it brighter", "other way"),
        ("make it darker", "brighter or darker, whichever you like", "brightness"),
        ("bring the vocal up", "Bass louder", "other tracks"),
        (
            "make it sound like a summer evening",
            "The sound of a summer evening is lovely",
            "reader",
        ),
        (
            "give the keys more space",
            "The keys to a great mix are the ones that make your music sound amazing to everyone",
            "prose",
        ),
        ("make it sound like a summer evening", "Lead Vocal 3 dB louder", "copied"),
    ],
)
def test_a_rewrite_that_cannot_be_trusted_is_refused_with_a_reason(brief, answer, needle):
    _, shown = rephrase_prompt(TRACKS, ["verse", "chorus"])
    judged = judge(answer, read_brief(brief, tracks=TRACKS), tracks=TRACKS, shown=shown)
    assert judged.reading is None and needle in judged.problem
