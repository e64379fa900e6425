"""Conversation-level behaviour that is not a mix move: role corrections typed as briefs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixchat.assistant.turn.conversation import handle_brief, role_assignment
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    root = tmp_path_factory.mktemp("conv")
    stems = root / "stems"
    stems.mkdir()
    rate = 44100
    t = np.arange(6 * rate) / rate
    rng = np.random.default_rng(3)
    sf.write(stems / "Audio_01.wav", (0.2 * np.sin(2 * np.pi * 330 * t)).astype(np.float32), rate)
    sf.write(stems / "Audio_02.wav", (0.1 * rng.standard_normal(t.size)).astype(np.float32), rate)
    made, _ = create_session(stems, root / "s.mix")
    return made


def test_role_sentences_are_recognised(session: Session) -> None:
    assert role_assignment(session, "Audio_01=keys") == "Audio_01=keys"
    assert role_assignment(session, "audio_02 is actually the drums") == "Audio_02=drums"
    assert role_assignment(session, "make it darker") is None
    assert role_assignment(session, "Audio_01 is too loud") is None


def test_a_role_correction_in_chat_is_versioned(session: Session) -> None:
    before = session.latest_number()
    result = handle_brief(session, "Audio_01 is the keys")
    assert result.version == before + 1
    reopened = Session.open(Path(session.path))
    assert reopened.load().state.track("Audio_01").role == "keys"
    assert reopened.meta.stem("Audio_01").role == "keys"
    assert reopened.meta.stem("Audio_01").role_source == "user"


def test_a_brief_that_changes_nothing_makes_no_version(session: Session) -> None:
    """Audio_01 is centred: panning it to the centre needs no new version to A/B."""
    before = session.latest_number()
    result = handle_brief(session, "pan Audio_01 to the centre")
    assert result.version is None and result.tool_calls == ()
    assert "nothing changed" in result.reply
    assert session.latest_number() == before


def test_a_no_op_call_is_not_listed_as_a_change() -> None:
    from mixchat.dsp.state import MixState, TrackState
    from mixchat.tools.base import ToolCall, ToolContext
    from mixchat.tools.catalog import apply_calls

    state = MixState(tracks=(TrackState(name="gtr", pan=-0.5),))
    calls = [
        ToolCall(tool="set_pan", args={"track": "gtr", "pan": -0.5}),
        ToolCall(tool="set_pan", args={"track": "gtr", "pan": 0.5}),
    ]
    after, changes = apply_calls(state, calls, ToolContext())
    assert after.track("gtr").pan == 0.5 and len(changes) == 1


def test_a_brief_that_takes_the_mix_over_full_scale_says_so() -> None:
    from mixchat.assistant.turn.conversation import _over_full_scale
    from mixchat.dsp.state import MasterState, MixState

    off = MixState(tracks=())
    under, over = {"mix": {"true_peak_dbtp": -1.2}}, {"mix": {"true_peak_dbtp": 0.4}}
    [note] = _over_full_scale(under, over, off)
    assert "+0.4 dBTP" in note and "master it" in note
    assert _over_full_scale(over, over, off) == []  # said already when it crossed
    assert _over_full_scale(under, under, off) == []
    mastered = off.model_copy(update={"master": MasterState(enabled=True)})
    assert _over_full_scale(under, over, mastered) == []


def test_what_did_you_change_answers_with_the_versions_own_reply(session: Session) -> None:
    made = handle_brief(session, "turn Audio_02 down 3 dB")
    told = handle_brief(session, "what did you change?", parent=made.version)
    assert told.version is None
    stored = session.load(made.version).reply
    assert stored and stored in told.reply and "adjust_track_gain(" not in told.reply
