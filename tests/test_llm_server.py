"""The LLM path against a real local model server (`make test-llm`; not part of `make test`).

llama-cpp-python's OpenAI-compatible server on 127.0.0.1 with SmolLM2-135M-Instruct, a small,
weak model (tests/llm_server.py starts it). The tests check the protocol (tools offered and
called, streaming, tool-call JSON), the bounds (max_tokens honoured, a brief back within
BRIEF_LIMIT_S, the watchdog on a server that sends nothing) and the graceful paths (a brief
without a valid tool call is said to be so: a labelled offline carry-out of the model's
rephrasing, or no change with one line of why). They assert on behaviour and on what is
stored, never on the model's wording: a different model may answer differently and pass.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import llm_server  # noqa: E402
from conftest import SHARED_DATA  # noqa: E402
from screenshot_factory import catalogue, write  # noqa: E402
from test_planner_llm import write_stems  # noqa: E402

from mixchat.assistant.llm.errors import NoProgress  # noqa: E402
from mixchat.assistant.llm.meter import Meter  # noqa: E402
from mixchat.assistant.llm.planner import LLMPlanner  # noqa: E402
from mixchat.assistant.llm.request import build_chat_model, complete, limits  # noqa: E402
from mixchat.assistant.llm.settings import LLMSettings  # noqa: E402
from mixchat.assistant.llm.toolset import compact_schema  # noqa: E402
from mixchat.assistant.reading.reader import read_brief  # noqa: E402
from mixchat.assistant.turn.context import build_context  # noqa: E402
from mixchat.dsp.errors import StateError  # noqa: E402
from mixchat.tools.base import REGISTRY, validate_args  # noqa: E402
from mixchat.tools.engine import Engine  # noqa: E402
from mixchat.tools.session import Session  # noqa: E402

pytestmark = pytest.mark.llm_server

ROOT = Path(__file__).resolve().parents[1]
MIXCHAT = ROOT / ".venv" / "bin" / "mixchat"
SECRET = "sk-local-TIER-SECRET-7f3a"  # a local server ignores it; it must never be written
BRIEF_LIMIT_S = 60.0
REPORT = ROOT / "build" / "test-llm-briefs.md"  # the table `make test-llm` prints at the end
OUTCOMES = {"tool_calls", "rephrased", "no_change", "answered", "offline_fallback"}
BRIEFS = (  # one of each kind of move, a section, an unplaceable wish and a question
    "bring the vocal up 3 dB",
    "make it darker",
    "more reverb on the vocal in the chorus",
    "pan the guitar a bit to the left",
    "the drums need more punch",
    "make it sound like a summer evening",
    "how loud is the vocal?",
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    try:
        started = llm_server.start(tmp_path_factory.mktemp("llm") / "server.log")
    except llm_server.ServerUnavailable as error:
        pytest.fail(str(error))  # the tier exists to run against a server: never a silent skip
    yield started
    started.stop()


@pytest.fixture(scope="module")
def session_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """song_1 from ../shared/data (7 stems, 75 s) after automix as version 1; without the
    shared data, a synthetic 4-stem song."""
    root = tmp_path_factory.mktemp("llm_session")
    stems = SHARED_DATA / "songs" / "song_1"
    if not stems.exists():
        stems = root / "stems"
        write_stems(stems)
    path = root / "session"
    run_cli("new", str(stems), "-s", str(path), "--json", env=offline_env())
    run_cli("automix", "-s", str(path), "--json", env=offline_env())
    return path


def offline_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MIXCHAT_"))}
    return {**env, "MIXCHAT_PLANNER": "offline"}


def llm_env(server: llm_server.ModelServer, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "MIXCHAT_"))}
    env.update(OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY=SECRET, MIXCHAT_MODEL=server.model)
    return {**env, **extra}


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(MIXCHAT), *args], env=env, capture_output=True, text=True, timeout=300
    )
    assert "Traceback" not in done.stderr, done.stderr
    return done


def settings_for(server: llm_server.ModelServer, **options) -> LLMSettings:
    return LLMSettings(base_url=server.base_url, model=server.model, key=SECRET, **options)


def report_row(brief: str, llm: dict, took: float, prompt_tokens: int) -> None:
    REPORT.parent.mkdir(exist_ok=True)
    if not REPORT.exists():
        REPORT.write_text(
            "| brief | outcome | seconds | prompt tokens | why / rephrasing |\n|---|---|---|---|---|\n"
        )
    detail = (llm["why"] or llm["rephrasing"] or "").replace("|", "/")
    with REPORT.open("a") as out:
        out.write(
            f"| {brief} | {llm['outcome']} | {took:.1f} | {prompt_tokens} "
            f"({llm['prompt_tokens_counted_by']}) | {detail} |\n"
        )


def files_containing(folder: Path, needle: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


# --- the protocol ----------------------------------------------------------------------------
def test_streaming_honours_max_tokens(server):
    settings = settings_for(server)
    model = build_chat_model(settings).bind(**limits(settings, 12))
    from langchain_core.messages import HumanMessage

    reply = complete(
        model, [HumanMessage("Tell me a long story about a mixing desk.")], stream=True, idle_s=60
    )
    assert 1 < reply.chunks <= 12 + 3  # token by token (plus role, end and usage chunks)
    assert reply.completion_tokens is None or reply.completion_tokens <= 12
    if reply.chunks > 12:
        assert reply.message.response_metadata.get("finish_reason") == "length"


def test_prose_with_tools_offered_is_cut_off_at_max_tokens(server):
    """With tools offered, llama-cpp-python's chatml-function-calling does not pass max_tokens
    on (it bounds the answer with a grammar instead): whatever the server does, a streamed
    reply stops at the cap. When the model picks a tool, the server ends the stream empty."""
    from langchain_core.messages import HumanMessage

    settings = settings_for(server)
    tools = [compact_schema("adjust_track_gain", track_names=["Bass", "Drums"])]
    model = build_chat_model(settings).bind_tools(tools, tool_choice="auto")
    messages = [HumanMessage("Tell me a long story about a mixing desk, in many chapters.")]
    try:
        reply = complete(
            model.bind(**limits(settings, 12)), messages, stream=True, idle_s=60, max_tokens=12
        )
    except NoProgress as error:
        assert error.ended  # it picked the tool: a stream the planner sends again whole
        return
    assert 1 < reply.chunks <= 12 + 3
    if reply.chunks > 12:
        assert reply.message.response_metadata.get("finish_reason") == "length"


def test_tool_calls_are_valid_json_for_the_offered_tools(server):
    """Asked with tools, the server answers with text or with calls whose arguments are JSON
    objects of the offered tool's shape; values out of range are caught by our validation (a
    one-line error that goes back to the model), never applied."""
    settings = settings_for(server)
    tracks = ["Lead Vocal", "Bass", "Drums"]
    tools = [compact_schema(n, track_names=tracks) for n in ("adjust_track_gain", "set_pan")]
    shapes = {t["function"]["name"]: t["function"]["parameters"] for t in tools}
    bound = build_chat_model(settings).bind_tools(tools, tool_choice="auto")
    from langchain_core.messages import HumanMessage, SystemMessage

    messages = [
        SystemMessage("You mix a song with the tracks Lead Vocal, Bass and Drums. Use the tools."),
        HumanMessage("bring the bass up 2 dB"),
    ]
    reply = complete(bound.bind(**limits(settings, 128)), messages, stream=False, idle_s=60)
    message = reply.message
    assert message.tool_calls or message.content, "neither text nor a tool call"
    assert not message.invalid_tool_calls, message.invalid_tool_calls
    for call in message.tool_calls:
        shape = shapes[call["name"]]  # an offered tool
        assert isinstance(call["args"], dict)
        assert set(shape["required"]) <= set(call["args"]) <= set(shape["properties"])
        assert call["args"]["track"] in tracks
        try:
            validate_args(REGISTRY.get(call["name"]), call["args"])
        except StateError as error:
            assert "\n" not in str(error) and call["name"] in str(error)


# --- briefs through the CLI, within the bounds -----------------------------------------------
@pytest.mark.parametrize("brief", BRIEFS)
def test_a_brief_comes_back_in_time_with_an_honest_outcome(server, session_path, brief):
    before = [v.version for v in Session.open(session_path).versions()]
    started = time.monotonic()
    done = run_cli(
        "say", "-s", str(session_path), "--from", "1", brief, "--json", env=llm_env(server)
    )
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    assert took < BRIEF_LIMIT_S, f"{brief!r} took {took:.1f} s"
    result = json.loads(done.stdout)
    assert {"version", "parent", "planner", "tool_calls", "reply", "prompt_tokens"} <= set(result)
    llm = result["llm"]
    assert llm["outcome"] in OUTCOMES and result["parent"] == 1
    assert result["prompt_tokens"] > 0 and llm["requests"] >= 1
    assert llm["prompt_tokens_estimate"] <= llm["prompt_budget_tokens"]
    report_row(brief, llm, took, result["prompt_tokens"])
    session = Session.open(session_path)
    after = [v.version for v in session.versions()]
    if llm["outcome"] in ("no_change", "answered"):
        assert result["version"] is None and result["tool_calls"] == [] and after == before
        if llm["outcome"] == "no_change":
            # one line of why; a question is then answered offline from the session
            said, _, answered = result["reply"].partition("\n\n")
            assert llm["why"] and "\n" not in said
            assert not answered or "?" in brief
        return
    assert result["version"] == after[-1] and after == [*before, result["version"]]
    stored = session.load(result["version"])
    stored_calls = [{"tool": c.tool, "args": c.args} for c in stored.tool_calls]
    assert stored_calls == result["tool_calls"] != []
    if llm["outcome"] == "tool_calls":  # the model's own valid calls, nothing else
        assert result["planner"] == "llm" == stored.planner
        assert {c["tool"] for c in result["tool_calls"]} <= set(llm["tools_offered"])
    else:  # the offline planner carried out the model's rephrasing, and says so
        assert llm["outcome"] == "rephrased" and result["planner"] == "offline"
        assert llm["rephrasing"] and llm["rephrasing"] in result["reply"]


def test_the_key_is_never_written(server, session_path):
    done = run_cli(
        "say", "-s", str(session_path), "--from", "1", "warmer keys", env=llm_env(server)
    )
    assert SECRET not in done.stdout + done.stderr
    assert files_containing(session_path, SECRET) == []


# --- the graceful paths and the bounds, made to happen ---------------------------------------
def test_the_model_rephrasing_is_carried_out_offline_or_refused(server, session_path):
    """The path a brief takes when the model made no valid tool call, on the real model: its
    rewrite is either carried out by the offline planner (labelled) or refused with a reason;
    it never becomes a change by itself."""
    session = Session.open(session_path)
    planner = LLMPlanner(build_chat_model(settings_for(server)), settings_for(server))
    for brief in ("make the keys a touch brighter", "give it a dreamy feel"):
        context = build_context(session, Engine.for_session(session), brief, session.load(1))
        reading = read_brief(brief, tracks=[(t.name, t.role) for t in context.state.tracks])
        plan = planner._no_tool_call(context, reading, "a test made it so", Meter())
        assert plan.model is not None and plan.model.outcome in ("rephrased", "no_change")
        if plan.model.outcome == "rephrased":
            assert plan.calls and plan.planner == "offline" and plan.model.rephrasing
            assert plan.model.rephrasing in plan.message
        else:
            assert not plan.calls and plan.intent == "nothing" and plan.model.why


# --- ask and screenshot ----------------------------------------------------------------------
def test_ask_answers_through_the_server(server):
    started = time.monotonic()
    done = run_cli(
        "ask", "what attack on a CL1B for a ballad vocal?", "--json", env=llm_env(server)
    )
    assert done.returncode == 0 and time.monotonic() - started < BRIEF_LIMIT_S
    result = json.loads(done.stdout)
    assert result["answer"].strip() and result["sources"]
    if result["planner"] == "llm":
        assert result["prompt_tokens"] > 0
    else:
        assert result["note"]  # the offline answer, and one line saying why


@pytest.mark.skipif(shutil.which("tesseract") is None, reason="tesseract-ocr is not installed")
def test_screenshot_with_a_text_only_model_keeps_the_offline_reading(server, tmp_path):
    spec = next(s for s in catalogue() if s.name == "comp_vocal_overcompressed")
    image = write(spec, tmp_path)
    started = time.monotonic()
    done = run_cli("screenshot", str(image), "--json", env=llm_env(server))
    assert done.returncode == 0 and time.monotonic() - started < BRIEF_LIMIT_S, done.stderr
    result = json.loads(done.stdout)
    assert result["plugin_type"] == "compressor" and result["feedback"]
    assert result["planner"] == "llm" or result["note"]


# --- last: the abandoned request keeps the server busy for a while -----------------------
def test_a_server_that_sends_nothing_in_time_is_one_line_and_changes_nothing(server, session_path):
    """A watchdog shorter than the model's first token: the brief ends at once, no version."""
    count = len(Session.open(session_path).versions())
    started = time.monotonic()
    env = llm_env(server, MIXCHAT_LLM_TIMEOUT_S="0.2", MIXCHAT_LLM_RETRIES="0")
    done = run_cli("say", "-s", str(session_path), "--from", "1", "make the bass rounder", env=env)
    assert done.returncode == 1 and time.monotonic() - started < 30
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "0.2 s" in lines[0] and SECRET not in done.stderr
    assert len(Session.open(session_path).versions()) == count
