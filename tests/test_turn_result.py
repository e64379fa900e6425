"""A turn's result as the command line prints it: the same keys `say --json` and
`automix --json` have always printed, and the tool calls the version records."""

from __future__ import annotations

from mixchat.assistant.turn.result import AutomixResult, TurnResult
from mixchat.dsp.state import MixState, TrackState
from mixchat.tools.session import ToolCallRecord, Version

CALL = ToolCallRecord(tool="adjust_track_gain", args={"track": "vox", "delta_db": 2.0})


def _version() -> Version:
    state = MixState(tracks=(TrackState(name="vox", role="vocal", gain_db=2.0),))
    return Version(version=3, parent=2, tool_calls=(CALL,), state=state)


def test_a_committed_turn_carries_the_recorded_calls() -> None:
    result = TurnResult.committed(_version(), planner="offline", reply="**Version 3**")
    assert result.model_dump(mode="json") == {
        "version": 3,
        "parent": 2,
        "planner": "offline",
        "intent": "change",
        "tool_calls": [{"tool": "adjust_track_gain", "args": {"track": "vox", "delta_db": 2.0}}],
        "reply": "**Version 3**",
    }


def test_a_turn_without_a_version() -> None:
    result = TurnResult.no_version(parent=2, planner="llm", intent="question", reply="-14 LUFS")
    dumped = result.model_dump(mode="json")
    assert dumped["version"] is None and dumped["tool_calls"] == []
    assert list(dumped) == ["version", "parent", "planner", "intent", "tool_calls", "reply"]


def test_automix_json_keys() -> None:
    result = AutomixResult(
        version=1,
        parent=0,
        planner="automix",
        tool_calls=(CALL,),
        reply="**Version 1**",
        premaster_lufs=-18.2,
        true_peak_dbtp=-3.1,
        vocal_vs_band_lu=None,
    )
    assert list(result.model_dump(mode="json")) == [
        "version",
        "parent",
        "planner",
        "tool_calls",
        "reply",
        "premaster_lufs",
        "true_peak_dbtp",
        "vocal_vs_band_lu",
    ]
