"""The record replays: every version's tool calls, applied to its parent's state, give its
state. A varied session on the demo song goes through every path that makes a version (the
automix, briefs with and without loudness compensation, follow-ups, undo and revert by brief
and on the command line, role corrections, LLM turns) and, between them, every tool in the
registry."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage
from typer.testing import CliRunner

from mixchat.assistant.cli.main import app
from mixchat.assistant.demo.song import build_demo_stems
from mixchat.assistant.llm.planner import LLMPlanner
from mixchat.assistant.llm.settings import LLMSettings
from mixchat.assistant.turn.actions import run_automix
from mixchat.assistant.turn.conversation import handle_brief
from mixchat.dsp.state import MixState
from mixchat.tools.catalog import REGISTRY, ToolCall, ToolContext, apply_calls
from mixchat.tools.cleanup_faults import faults_lookup
from mixchat.tools.engine import Engine
from mixchat.tools.record_tools import REPLAY_ONLY
from mixchat.tools.session import Session, Version
from mixchat.tools.workspace import create_session

BRIEFS = (
    "make it darker",
    "a bit more",
    "too much, go halfway back",
    "undo that",
    "make it wider",
    "push the chorus 2 dB",
    "more reverb on the vocal",
    "longer reverb",
    "more delay on the guitar",
    "make the drums punchier",
    "compress the vocal",
    "glue the mix",
    "saturate the bass",
    "solo the vocal",
    "unsolo the vocal",
    "mute the hats",
    "remove the high pass on the vocal",
    "low pass the guitar at 8 kHz",
    "set the vocal fader to -3 dB",
    "bring the vocal up 2 dB",
    "the vocal is noisy between phrases",
    "the esses are killing me",
    "Keys is the pad",
    "go back to version 3",
)


class ScriptedChat(GenericFakeChatModel):
    """A chat model that answers from a script: the LLM planner's loop without a server."""

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> ScriptedChat:  # type: ignore[override]
        return self


def scripted(*calls: tuple[str, dict[str, Any]]) -> LLMPlanner:
    replies: Iterator[AIMessage] = iter(
        [
            AIMessage(
                content="",
                tool_calls=[
                    {"name": name, "args": args, "id": f"call_{i}"}
                    for i, (name, args) in enumerate(calls)
                ],
            ),
            AIMessage(content="Done."),
        ]
    )
    return LLMPlanner(ScriptedChat(messages=replies), LLMSettings(stream=False))  # whole replies


def llm_turns(session: Session) -> None:
    """What the offline planner never asks for here: gates, polarity, editing and removing EQ bands,
    compressors and automation, the master EQ, and the clean-up stages for faults the demo
    stems do not have."""
    state = session.load().state
    with_eq = next(t.name for t in state.tracks if t.eq)
    planner = scripted(
        ("set_gate", {"track": "Snare", "threshold_db": -45.0}),
        ("set_polarity", {"track": "Snare", "on": True}),
        ("set_eq_band", {"track": with_eq, "band_index": 0, "gain_db": -1.5}),
        ("remove_eq_band", {"track": with_eq, "band_index": 0}),
        ("apply_master_eq", {"kind": "high_shelf", "freq_hz": 9000.0, "gain_db": 1.5}),
        ("remove_hum", {"track": "Keys", "fundamental_hz": 60.0}),
        ("declick", {"track": "Snare"}),
        ("remove_dc", {"track": "Bass"}),
        ("control_plosives", {"track": "Lead Vocal", "threshold_db": -30.0}),
    )
    handle_brief(session, "gate the snare and flip it, brighter master", planner=planner)
    state = session.load().state
    compressed = next(t.name for t in state.tracks if t.compressor)
    ridden = state.automation[0].track
    planner = scripted(
        ("remove_gate", {"track": "Snare"}),
        ("remove_compressor", {"track": compressed}),
        ("clear_automation", {"track": ridden}),
        ("clear_cleanup", {"track": "Snare", "stage": "declick"}),
    )
    handle_brief(session, "take the gate, a compressor and the rides off", planner=planner)


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    root = tmp_path_factory.mktemp("replay")
    stems = build_demo_stems(root / "stems", duration_s=20).stems_dir
    made, _ = create_session(stems, root / "demo.mix")
    run_automix(made)
    for brief in BRIEFS:
        handle_brief(made, brief)
    cli = CliRunner().invoke(app, ["revert", "-s", str(made.path), "2"])
    assert cli.exit_code == 0, cli.output
    llm_turns(made)
    reference = wider_brighter(made, root / "refs" / "a reference.wav")
    handle_brief(made, f"make it sound like '{reference}'")  # set_master_width and friends
    handle_brief(made, "master it for Spotify")
    return Session.open(made.path)


def wider_brighter(session: Session, path: Path) -> Path:
    """The session's current mix, wider (side x2) and brighter (x3 over 2.5 kHz): a reference
    track for a reference match."""
    rate = session.meta.sample_rate
    mix = Engine.for_session(session).render(session.load().state).audio
    mid, side = 0.5 * (mix[0] + mix[1]), mix[0] - mix[1]
    wide = np.stack([mid + side, mid - side])
    spectrum = np.fft.rfft(wide, axis=1)
    spectrum *= np.where(np.fft.rfftfreq(wide.shape[1], 1 / rate) > 2500, 3.0, 1.0)
    bright = np.fft.irfft(spectrum, n=wide.shape[1], axis=1)
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(path, (0.9 * bright / np.abs(bright).max()).T, rate, subtype="FLOAT")
    return path


def replay(session: Session, version: Version) -> MixState:
    """The version's calls on its parent's state, with what a tool may read besides the
    state: the song's sections and length, and the clean-up detectors' findings on the stems
    (for the parent's roles, as the turn gave them)."""
    meta = session.meta
    parent = session.load(version.parent).state
    context = ToolContext(
        sections=meta.sections,
        duration_s=meta.duration_s,
        sample_rate=meta.sample_rate,
        faults=faults_lookup(Engine.for_session(session), parent),
    )
    calls = [ToolCall(tool=c.tool, args=c.args) for c in version.tool_calls]
    state, _ = apply_calls(parent, calls, context)
    return state


def made_after_the_first(session: Session) -> list[Version]:
    return [v for v in session.versions() if v.parent is not None]


def test_every_version_replays_from_its_parent(session: Session) -> None:
    versions = made_after_the_first(session)
    # automix, the CLI revert, two LLM turns, the reference match, master
    assert len(versions) == len(BRIEFS) + 6
    assert {v.kind for v in versions} == {"automix", "brief", "revert", "roles"}
    wrong = [f"v{v.version} ({v.brief})" for v in versions if replay(session, v) != v.state]
    assert wrong == []


def test_the_session_calls_every_tool(session: Session) -> None:
    used = {c.tool for v in made_after_the_first(session) for c in v.tool_calls}
    assert used == set(REGISTRY.tools) - set(REPLAY_ONLY)


def test_every_tool_has_categories_and_planners_are_offered_all_but_the_record_ones() -> None:
    assert [name for name, t in REGISTRY.tools.items() if not t.categories] == []
    recorded = {name for name, t in REGISTRY.tools.items() if "record" in t.categories}
    assert recorded == {"trim_mix", "shift_all_faders", "restore_settings", "blend_settings"}
    offered = {schema["function"]["name"] for schema in REGISTRY.schemas()}
    assert offered == set(REGISTRY.tools) - recorded


def test_loudness_compensation_is_in_the_record(session: Session) -> None:
    """A tonal brief whose loudness drifted: the mix's trim moved after the planner, and the
    record says so (without that call it would not replay)."""
    compensated = [
        v
        for v in made_after_the_first(session)
        if v.tool_calls and v.tool_calls[-1].tool == "trim_mix"
    ]
    assert compensated
    for version in compensated:
        shift = version.tool_calls[-1].args["delta_db"]
        assert "mix level" in version.reply and f"{shift:+.1f} dB" in version.reply
        without = version.model_copy(update={"tool_calls": version.tool_calls[:-1]})
        assert replay(session, without) != version.state


def test_undo_and_revert_restore_the_named_version(session: Session) -> None:
    for version in [v for v in session.versions() if v.kind == "revert"]:
        [call] = version.tool_calls
        assert call.tool == "restore_settings"
        assert version.state == session.load(call.args["version"]).state


def test_a_revert_over_a_damaged_version_restores_every_part(
    session: Session, tmp_path: Path
) -> None:
    """`mixchat revert` still works when the latest version file is damaged: the call then
    names every part, so it replays on whatever the parent was."""
    copy = Path(shutil.copytree(session.path, tmp_path / "copy.mix"))
    latest = sorted((copy / "versions").glob("*.json"))[-1]
    latest.write_text(latest.read_text()[:80])
    cli = CliRunner().invoke(app, ["revert", "-s", str(copy), "1"])
    assert cli.exit_code == 0, cli.output
    opened = Session.open(copy)
    made = opened.load()
    [call] = made.tool_calls
    assert set(call.args) == {"version", "tracks", "reverb", "delay", "automation", "master"}
    assert made.state == opened.load(1).state
