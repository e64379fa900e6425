"""The LLM planner through the real `openai` client and LangChain, against a scripted fake
OpenAI-compatible server on 127.0.0.1 (tests/fake_openai_server.py). Assertions are on tool
calls, state, measurements and what the model was sent; never on wording."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fake_openai_server as fake  # noqa: E402

from mixchat.assistant.llm.choose import choose_planner
from mixchat.assistant.llm.planner import LLMPlanner  # noqa: E402
from mixchat.assistant.llm.request import build_chat_model  # noqa: E402
from mixchat.assistant.llm.settings import LLMSettings  # noqa: E402
from mixchat.assistant.planning.errors import PlannerError  # noqa: E402
from mixchat.assistant.planning.measures import TrackLevel  # noqa: E402
from mixchat.assistant.turn.conversation import build_context, handle_brief  # noqa: E402
from mixchat.tools.engine import Engine  # noqa: E402
from mixchat.tools.session import Session  # noqa: E402
from mixchat.tools.workspace import create_session  # noqa: E402

SECRET = "sk-test-SECRET123"
MIXCHAT = Path(__file__).resolve().parents[1] / ".venv" / "bin" / "mixchat"
STEM_NAMES = ("Lead Vocal", "Bass", "Drums", "Keys")
LLM_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MIXCHAT_MODEL", "MIXCHAT_PLANNER")
TUNING_ENV = ("MIXCHAT_LLM_STREAM", "MIXCHAT_LLM_FALLBACK", "MIXCHAT_LLM_RETRIES")


def write_stems(folder: Path, *, seconds: float = 6.0, rate: int = 44100) -> None:
    folder.mkdir(parents=True)
    rng = np.random.default_rng(7)
    t = np.arange(int(seconds * rate)) / rate
    swell = 0.6 + 0.4 * np.sin(2 * np.pi * 0.5 * t)
    stems = {
        "Lead Vocal": 0.2 * np.sin(2 * np.pi * 220 * t + 3 * np.sin(2 * np.pi * 5 * t)) * swell,
        "Bass": 0.4 * np.sin(2 * np.pi * 55 * t),
        "Drums": 0.5 * rng.standard_normal(t.size) * np.exp(-((t % 0.5) / 0.05)),
        "Keys": 0.15 * (np.sin(2 * np.pi * 261.6 * t) + np.sin(2 * np.pi * 329.6 * t)),
    }
    for name, audio in stems.items():
        sf.write(folder / f"{name}.wav", audio.astype(np.float32), rate, subtype="FLOAT")


@pytest.fixture(scope="module")
def template_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("llm_template")
    write_stems(root / "stems")
    create_session(root / "stems", root / "session")
    return root / "session"


@pytest.fixture
def session(template_session: Path, tmp_path: Path) -> Session:
    path = tmp_path / "session"
    shutil.copytree(template_session, path)
    return Session.open(path)


@pytest.fixture
def server():
    started = fake.FakeOpenAIServer().start()
    yield started
    started.stop()


@pytest.fixture
def llm_env(monkeypatch: pytest.MonkeyPatch, server: fake.FakeOpenAIServer):
    """The environment a user would set to point mixchat at the (fake) server."""
    for name in LLM_ENV + TUNING_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", SECRET)
    monkeypatch.setenv("MIXCHAT_MODEL", "fake-mixer")
    monkeypatch.setenv("MIXCHAT_LLM_RETRIES", "0")
    monkeypatch.setenv("MIXCHAT_LLM_TIMEOUT_S", "10")
    return monkeypatch


def planner_at(base_url: str, **options) -> LLMPlanner:
    """The planner a user would get for ``base_url`` (streaming off unless asked for)."""
    settings = LLMSettings(
        base_url=base_url,
        model="fake-mixer",
        key=SECRET,
        timeout_s=options.pop("timeout", 10.0),
        retries=options.pop("retries", 0),
        stream=options.pop("stream", False),
        **options,
    )
    return LLMPlanner(build_chat_model(settings), settings)


def context_for(session: Session, brief: str):
    return build_context(session, Engine.for_session(session), brief, session.load())


def tool_messages(request: dict) -> list[dict]:
    return [m for m in request["messages"] if m["role"] == "tool"]


def files_containing(folder: Path, needle: str) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


def free_closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- the happy path ------------------------------------------------------------------------
def test_tool_call_changes_the_mix_and_is_versioned(session, server, llm_env):
    server.script(
        fake.tool_calls(("adjust_track_gain", {"track": "Lead Vocal", "delta_db": 2.0})),
        fake.text("Raised the lead vocal by 2 dB so it sits on top of the keys."),
    )
    planner = choose_planner()
    assert isinstance(planner, LLMPlanner) and planner.name == "llm"
    before = session.load()
    result = handle_brief(session, "bring the vocal up 2 dB", planner=planner)

    assert result.planner == "llm" and result.version == before.version + 1
    assert [c.model_dump() for c in result.tool_calls] == [
        {"tool": "adjust_track_gain", "args": {"track": "Lead Vocal", "delta_db": 2.0}}
    ]
    after = session.load(result.version)
    assert after.state.track("Lead Vocal").gain_db == pytest.approx(
        before.state.track("Lead Vocal").gain_db + 2.0
    )
    assert [c.tool for c in after.tool_calls] == ["adjust_track_gain"]
    vocal_gain_lu = (
        after.metrics["tracks"]["Lead Vocal"]["lufs"]
        - before.metrics["tracks"]["Lead Vocal"]["lufs"]
    )
    assert vocal_gain_lu == pytest.approx(2.0, abs=0.05)  # measured, not just the setting
    for name in ("Bass", "Drums", "Keys"):
        assert after.state.track(name) == before.state.track(name)

    first, second = server.requests
    assert server.paths == ["/v1/chat/completions"] * 2
    assert first["model"] == "fake-mixer"
    tools = {t["function"]["name"]: t["function"] for t in first["tools"]}
    # only the tools a level brief can need, in compact schemas naming the session's tracks
    assert "adjust_track_gain" in tools and not {"apply_eq", "set_reverb", "set_pan"} & set(tools)
    assert all(
        len(f["description"]) >= 20 and f["parameters"]["properties"] for f in tools.values()
    )
    properties = tools["adjust_track_gain"]["parameters"]["properties"]
    assert "delta_db" in properties and sorted(properties["track"]["enum"]) == sorted(STEM_NAMES)
    assert "title" not in json.dumps(first["tools"])
    # every request is bounded: a cap on the reply's tokens, in both spellings for local servers
    assert all(r["max_tokens"] == r["max_completion_tokens"] == 512 for r in server.requests)
    system = first["messages"][0]
    assert system["role"] == "system"
    assert all(name in system["content"] for name in STEM_NAMES)
    assert first["messages"][1] == {"role": "user", "content": "bring the vocal up 2 dB"}
    # the tool result went back to the model, answering the call it made
    call_id = second["messages"][2]["tool_calls"][0]["id"]
    (returned,) = tool_messages(second)
    assert returned["tool_call_id"] == call_id and "Lead Vocal" in returned["content"]
    assert not returned["content"].startswith("error")
    # the key is sent to the server only as a header: never in a body, on disk or in the reply
    assert SECRET not in json.dumps(server.requests) and SECRET not in result.reply
    assert files_containing(Path(session.path), SECRET) == []


def test_bad_calls_go_back_as_errors_and_the_corrected_call_is_applied(session, server):
    bad_json = '{"track": "Lead Vocal", "delta_db": '
    server.script(
        fake.tool_calls(("raise_vocal_level", {"track": "Lead Vocal", "delta_db": 1.5})),
        fake.tool_calls(("adjust_track_gain", bad_json)),
        fake.tool_calls(("adjust_track_gain", {"track": "Lead Vocal", "delta_db": 99})),
        fake.tool_calls(("adjust_track_gain", {"track": "Nobody", "delta_db": 1.5})),
        fake.tool_calls(("adjust_track_gain", {"track": "Lead Vocal", "delta_db": 1.5})),
        fake.text("Vocal up 1.5 dB."),
    )
    before = session.load()
    result = handle_brief(session, "the vocal a bit louder", planner=planner_at(server.base_url))

    assert [c.model_dump() for c in result.tool_calls] == [
        {"tool": "adjust_track_gain", "args": {"track": "Lead Vocal", "delta_db": 1.5}}
    ]
    after = session.load(result.version)
    assert after.state.track("Lead Vocal").gain_db == pytest.approx(
        before.state.track("Lead Vocal").gain_db + 1.5
    )
    assert len(server.requests) == 6
    errors = [tool_messages(server.requests[n])[-1]["content"] for n in range(1, 5)]
    assert all(e.startswith("error") for e in errors)
    assert "raise_vocal_level" in errors[0]  # unknown tool named
    assert "JSON" in errors[1]  # invalid JSON refused
    assert "99" in errors[2]  # out-of-range value quoted
    assert "Nobody" in errors[3]  # unknown track quoted
    assert tool_messages(server.requests[5])[-1]["content"].startswith("ok")
    # every error answered the call it belonged to
    for n in range(1, 5):
        asked = server.requests[n]["messages"][-2]["tool_calls"][0]["id"]
        assert server.requests[n]["messages"][-1]["tool_call_id"] == asked


def test_streamed_tool_calls_and_text(session, server, llm_env):
    llm_env.setenv("MIXCHAT_LLM_STREAM", "1")
    server.script(
        fake.tool_calls(
            (
                "apply_eq",
                {"track": "Keys", "kind": "bell", "freq_hz": 300.0, "gain_db": -4.0, "q": 1.2},
            ),
            ("set_pan", {"track": "Keys", "pan": -0.4}),
            content="Cutting the keys' low mids and moving them left.",
        ),
        fake.text("Less mud from the keys, and they make room for the vocal."),
    )
    before = session.load()
    result = handle_brief(session, "the keys are muddy and in the way", planner=choose_planner())

    assert all(r["stream"] is True for r in server.requests)
    assert [c.tool for c in result.tool_calls] == ["apply_eq", "set_pan"]
    keys = session.load(result.version).state.track("Keys")
    assert keys.pan == pytest.approx(-0.4)
    assert [(b.freq_hz, b.gain_db) for b in keys.eq] == [(300.0, -4.0)]
    low_mid_change = (
        session.load(result.version).metrics["tracks"]["Keys"]["band_energies_db"]["low_mid"]
        - before.metrics["tracks"]["Keys"]["band_energies_db"]["low_mid"]
    )
    assert low_mid_change < -2.0  # the keys' 262/330 Hz partials were cut
    assert len(tool_messages(server.requests[1])) == 2

    # a streamed plain answer: no tool calls, no new version
    server.script(fake.text("The keys sit at -17 LUFS; nothing to change."))
    count = len(session.versions())
    answer = handle_brief(session, "how loud are the keys?", planner=choose_planner())
    assert answer.version is None and answer.tool_calls == ()
    assert len(session.versions()) == count and len(server.requests) == 3
    # the lexicon's meaning of "muddy" (measured as the low-mid band) was in the prompt
    assert "band:low_mid" in server.requests[0]["messages"][0]["content"]


def test_plain_text_reply_changes_nothing(session, server):
    server.script(fake.text("That already sounds balanced; I would leave it."))
    count = len(session.versions())
    root_url = server.base_url.removesuffix("/v1")  # servers mounted without /v1 work too
    result = handle_brief(session, "is the balance ok?", planner=planner_at(root_url))
    assert result.version is None and result.tool_calls == () and result.planner == "llm"
    assert len(session.versions()) == count
    assert server.paths == ["/chat/completions"]


def test_step_limit_keeps_the_valid_calls(session, server):
    server.script(
        *[
            fake.tool_calls(("adjust_track_gain", {"track": "Bass", "delta_db": -d}))
            for d in (1, 2, 3)
        ]
    )
    plan = planner_at(server.base_url, max_steps=2).plan(context_for(session, "bass down"))
    assert len(server.requests) == 2
    assert plan.intent == "change" and len(plan.calls) == 2 and plan.level_change
    assert TrackLevel(track="Bass") in plan.measures
    assert plan.model is not None and "MIXCHAT_LLM_MAX_STEPS" in plan.model.why


def test_a_repeated_call_is_not_applied_twice(session, server):
    """A weak model that calls the same tool again after its result ends the loop: +3 dB asked,
    +3 dB applied (not +18 over six steps)."""
    call = fake.tool_calls(("adjust_track_gain", {"track": "Lead Vocal", "delta_db": 3.0}))
    server.script(call, call, call)
    plan = planner_at(server.base_url).plan(context_for(session, "vocal up 3 dB"))
    assert len(server.requests) == 2
    assert [(c.tool, c.args["delta_db"]) for c in plan.calls] == [("adjust_track_gain", 3.0)]
    assert plan.model is not None and plan.model.outcome == "tool_calls"


def test_follow_ups_are_read_offline_without_the_model(session, server):
    server.script(
        fake.tool_calls(("set_width", {"track": "Keys", "width": 1.5})), fake.text("Wider keys.")
    )
    planner = planner_at(server.base_url)
    changed = handle_brief(session, "make the keys wider", planner=planner)
    undone = handle_brief(session, "undo that", planner=planner)
    assert len(server.requests) == 2  # the undo never reached the model
    assert undone.version == changed.version + 1
    assert session.load(undone.version).state == session.load(0).state


# --- failures ---------------------------------------------------------------------------------
def test_timeout_with_bounded_retries(session, server):
    server.script(fake.hang(20), fake.hang(20))
    planner = planner_at(server.base_url, timeout=0.5, retries=1)
    started = time.monotonic()
    with pytest.raises(PlannerError) as caught:
        planner.plan(context_for(session, "warmer vocal"))
    assert time.monotonic() - started < 8
    assert len(server.requests) == 2  # one try + one retry, then a clear error
    message = str(caught.value)
    assert "timed out" in message and server.base_url in message and "\n" not in message


def test_http_errors_are_one_line_and_never_show_the_key(session, server):
    server.script(fake.error(401, f"Incorrect API key provided: {SECRET}"))
    with pytest.raises(PlannerError) as caught:
        planner_at(server.base_url).plan(context_for(session, "darker"))
    assert "401" in str(caught.value) and SECRET not in str(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__

    server.script(fake.error(500, "model crashed"))
    with pytest.raises(PlannerError) as caught:
        planner_at(server.base_url).plan(context_for(session, "darker"))
    assert "500" in str(caught.value) and "\n" not in str(caught.value)


def test_fallback_gives_the_offline_plan(session):
    dead = f"http://127.0.0.1:{free_closed_port()}/v1"
    context = context_for(session, "turn the vocal up 2 dB")
    with pytest.raises(PlannerError, match="connection refused"):
        planner_at(dead).plan(context)
    plan = planner_at(dead, fallback=True).plan(context)
    assert plan.intent == "change"
    assert [(c.tool, c.args["track"]) for c in plan.calls] == [("adjust_track_gain", "Lead Vocal")]
    assert plan.notes and SECRET not in plan.message


def run_main(monkeypatch: pytest.MonkeyPatch, capfd, *argv: str) -> tuple[int, str, str]:
    """The console script's entry point in-process: (exit code, stdout, stderr)."""
    from mixchat.assistant.cli import main as cli

    monkeypatch.setattr(sys, "argv", ["mixchat", *argv])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    stdout, stderr = capfd.readouterr()
    return exited.value.code, stdout, stderr


def test_cli_dead_server_is_one_line_and_loses_nothing(session):
    """The real console script in a subprocess: exit 1, one line on stderr, no new version."""
    env = {k: v for k, v in os.environ.items() if k not in LLM_ENV + TUNING_ENV}
    dead = f"http://127.0.0.1:{free_closed_port()}/v1"
    env.update(OPENAI_API_KEY=SECRET, OPENAI_BASE_URL=dead, MIXCHAT_LLM_RETRIES="1")
    done = subprocess.run(
        [str(MIXCHAT), "say", "-s", str(session.path), "warmer vocal"],
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 1, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mixchat:") and "Traceback" not in done.stderr
    assert "connection refused" in done.stderr and dead in done.stderr
    assert done.stdout.strip() == ""
    assert len(session.versions()) == 1  # nothing added, nothing lost
    assert SECRET not in done.stdout + done.stderr
    assert files_containing(Path(session.path), SECRET) == []


def test_cli_fallback_versions_the_offline_plan(session, llm_env, capfd):
    llm_env.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{free_closed_port()}/v1")
    llm_env.setenv("MIXCHAT_LLM_FALLBACK", "offline")
    code, stdout, stderr = run_main(
        llm_env, capfd, "say", "-s", str(session.path), "turn the vocal up 2 dB", "--json"
    )
    assert code == 0, stderr
    result = json.loads(stdout)
    assert result["planner"] == "offline" and result["version"] == 1
    assert [c["tool"] for c in result["tool_calls"]] == ["adjust_track_gain"]
    assert session.load(1).state.track("Lead Vocal").gain_db == pytest.approx(2.0)
    assert SECRET not in stdout + stderr
    assert files_containing(Path(session.path), SECRET) == []


def test_cli_server_error_is_retried_then_one_line(session, server, llm_env, capfd):
    """HTTP 5xx through the CLI entry point: bounded retries, exit 1, one line, no version."""
    llm_env.setenv("MIXCHAT_LLM_RETRIES", "1")
    server.script(fake.error(500, f"overloaded (key {SECRET})"), fake.error(503, "overloaded"))
    code, stdout, stderr = run_main(llm_env, capfd, "say", "-s", str(session.path), "warmer vocal")
    assert code == 1
    lines = stderr.strip().splitlines()
    assert len(lines) == 1 and "503" in lines[0] and "Traceback" not in stderr
    assert len(server.requests) == 2  # one try and one retry, then it gave up
    assert len(session.versions()) == 1
    assert SECRET not in stdout + stderr
    assert files_containing(Path(session.path), SECRET) == []


def test_cli_say_json_reports_the_llm_planner(session, server, llm_env, capfd):
    server.script(
        fake.tool_calls(("set_send", {"track": "Lead Vocal", "bus": "reverb", "send_db": -12.0})),
        fake.text("Put the vocal in a little room."),
    )
    code, stdout, stderr = run_main(
        llm_env, capfd, "say", "-s", str(session.path), "a bit of reverb on the vocal", "--json"
    )
    assert code == 0, stderr
    result = json.loads(stdout)
    assert result["planner"] == "llm" and result["version"] == 1 and result["parent"] == 0
    assert result["tool_calls"] == [
        {"tool": "set_send", "args": {"track": "Lead Vocal", "bus": "reverb", "send_db": -12.0}}
    ]
    assert session.load(1).state.track("Lead Vocal").reverb_send_db == pytest.approx(-12.0)
    assert session.load(1).planner == "llm"


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"MIXCHAT_PLANNER": "llm"}, "OPENAI_BASE_URL"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "MIXCHAT_LLM_RETRIES": "lots"}, "lots"),
        ({"OPENAI_BASE_URL": "http://127.0.0.1:1/v1", "MIXCHAT_LLM_TIMEOUT_S": "-1"}, "-1"),
    ],
)
def test_bad_configuration_is_one_line(monkeypatch, env, needle):
    for name in LLM_ENV + TUNING_ENV + ("MIXCHAT_LLM_TIMEOUT_S",):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(PlannerError) as caught:
        choose_planner()
    assert needle in str(caught.value) and "\n" not in str(caught.value)


# --- bounded requests: the timeout counts time without progress -----------------------------
SLOW_ANSWER = "The keys sit well against the vocal already; I would leave them where they are."


def test_a_slow_stream_is_alive_and_a_stalled_one_is_dead(session, server):
    """Streamed at 0.3 s a chunk, a reply that takes far longer than the 1 s timeout arrives
    whole; a reply that stops sending is given up on about 1 s after its last chunk."""
    planner = planner_at(server.base_url, stream=True, timeout=1.0)
    server.script(fake.paced(fake.text(SLOW_ANSWER), gap_s=0.3))
    started = time.monotonic()
    plan = planner.plan(context_for(session, "how do the keys sit?"))
    took = time.monotonic() - started
    assert took > 2.0  # several times the timeout: alive because it kept streaming
    assert plan.intent == "question" and plan.message == SLOW_ANSWER
    assert plan.model is not None and plan.model.outcome == "answered"

    server.script(fake.stalled(fake.text(SLOW_ANSWER), after=3, seconds=20))
    started = time.monotonic()
    with pytest.raises(PlannerError) as caught:
        planner.plan(context_for(session, "how do the keys sit?"))
    assert time.monotonic() - started < 5
    message = str(caught.value)
    assert "stopped sending" in message and "1 s" in message and "\n" not in message


def test_keep_alive_pings_without_tokens_are_no_progress(session, server):
    """A server that keeps the connection open with SSE comments but sends no token is dead."""
    planner = planner_at(server.base_url, stream=True, timeout=1.0)
    server.script(fake.stalled(fake.text(SLOW_ANSWER), after=0, seconds=20, pings=True))
    started = time.monotonic()
    with pytest.raises(PlannerError, match="sent no token for 1 s"):
        planner.plan(context_for(session, "warmer vocal"))
    assert time.monotonic() - started < 5


def test_a_stall_after_a_valid_call_keeps_the_call(session, server):
    server.script(
        fake.tool_calls(("adjust_track_gain", {"track": "Keys", "delta_db": -2.0})),
        fake.stalled(fake.text("Done."), after=1, seconds=20),
    )
    planner = planner_at(server.base_url, stream=True, timeout=1.0)
    plan = planner.plan(context_for(session, "keys down 2 dB"))
    assert [(c.tool, c.args["delta_db"]) for c in plan.calls] == [("adjust_track_gain", -2.0)]
    assert plan.model is not None and "stopped sending" in plan.model.why


RAMBLE = "Darker mixes have a long history in many genres and styles of music. " * 40


def hung_up(server: fake.FakeOpenAIServer, number: int, *, within_s: float = 3.0) -> bool:
    """Whether the client closed streamed reply ``number`` early (the server notices at its
    next write)."""
    deadline = time.monotonic() + within_s
    while number not in server.hung_up and time.monotonic() < deadline:
        time.sleep(0.02)
    return number in server.hung_up


def test_a_server_that_ignores_max_tokens_is_cut_off_by_the_client(session, server):
    """The fake server, like llama-cpp-python's tool-calling format, ignores max_tokens: the
    streamed ramble is cut off after max_tokens chunks, long before it would end, the stream is
    closed (so the server can stop) and the brief says the answer was cut off."""
    ramble = RAMBLE * 10  # ~23 s streamed whole: a loaded machine's turn stays far under half
    server.script(fake.paced(fake.text(ramble), gap_s=0.01), fake.text("sunshine"))
    planner = planner_at(server.base_url, stream=True, max_tokens=20)
    count = len(session.versions())
    started = time.monotonic()
    result = handle_brief(session, "make it darker", planner=planner).model_dump(mode="json")
    assert time.monotonic() - started < 0.01 * len(ramble) / 12 / 2  # well before its end
    assert server.requests[0]["max_tokens"] == 20 and hung_up(server, 1)
    assert (
        result["llm"]["outcome"] == "no_change" and "cut off at 20 tokens" in result["llm"]["why"]
    )
    assert result["version"] is None and len(session.versions()) == count


def test_a_tool_call_cut_off_inside_its_arguments_is_not_applied(session, server):
    """A call whose JSON the token cap cut inside a number (``"delta_db": 2`` of ``2.5``) is an
    error, never a call with a shortened value; a call that finished before the cap is kept."""
    first = ("adjust_track_gain", {"track": "Keys", "delta_db": -2.0})
    cut_here = '{"track": "Bass", "delta_db": 2'  # the fake server streams arguments in halves
    second = ("adjust_track_gain", cut_here + ".5}".ljust(len(cut_here)))
    chunks = 1 + 3 + 2  # role, the first call (start and two halves), the second's start + half
    server.script(fake.tool_calls(first, second), fake.text("Done."))
    planner = planner_at(server.base_url, stream=True, max_tokens=chunks - 3)
    plan = planner.plan(context_for(session, "keys down 2 dB and bass up"))
    assert [(c.tool, c.args["track"]) for c in plan.calls] == [("adjust_track_gain", "Keys")]
    assert plan.model is not None and plan.model.outcome == "tool_calls"


def test_a_refused_stream_is_sent_whole_and_the_next_request_streams_again(session, server):
    """llama-cpp-python ends a stream empty when the model picks a tool: that request is sent
    again whole; the next step is streamed again, so its prose is still cut off at the cap."""
    server.script(
        fake.empty(),
        fake.tool_calls(("adjust_track_gain", {"track": "Keys", "delta_db": -2.0})),
        fake.paced(fake.text(RAMBLE), gap_s=0.01),
    )
    planner = planner_at(server.base_url, stream=True, max_tokens=20)
    plan = planner.plan(context_for(session, "keys down 2 dB"))
    assert [bool(r.get("stream")) for r in server.requests] == [True, False, True]
    assert [(c.tool, c.args["delta_db"]) for c in plan.calls] == [("adjust_track_gain", -2.0)]
    assert hung_up(server, 3)  # the ramble after the call was cut off


def test_the_brief_deadline_bounds_a_slow_but_alive_model(session, server, llm_env, capfd):
    """A model that keeps streaming (alive for the idle timeout) but would take far longer than
    the brief's deadline: the brief ends at the deadline, without a version, saying why in one
    line, and without asking for a rephrasing it has no time left for."""
    llm_env.setenv("MIXCHAT_LLM_DEADLINE_S", "1.5")
    server.script(fake.paced(fake.text(RAMBLE), gap_s=0.05), fake.text("darker"))
    count = len(session.versions())
    started = time.monotonic()
    code, stdout, stderr = run_main(
        llm_env, capfd, "say", "-s", str(session.path), "make it darker", "--json"
    )
    assert code == 0, stderr
    assert time.monotonic() - started < 1.5 + 10  # the deadline, then the turn's own work
    result = json.loads(stdout)
    assert result["version"] is None and len(session.versions()) == count
    assert result["llm"]["outcome"] == "no_change" and "1.5 s" in result["llm"]["why"]
    assert "MIXCHAT_LLM_DEADLINE_S" in result["reply"] and "\n" not in result["reply"]
    assert len(server.requests) == 1  # no rephrasing asked for


@pytest.mark.parametrize("stream", [True, False])
def test_the_deadline_keeps_the_calls_made_in_time(session, server, stream):
    """Out of time on the step after a valid call (a server that answers nothing more, streamed
    or not): the call is kept and the result says the model ran out of time."""
    server.script(
        fake.tool_calls(("adjust_track_gain", {"track": "Keys", "delta_db": -2.0})),
        fake.hang(20),
    )
    planner = planner_at(server.base_url, stream=stream, timeout=30.0, deadline_s=1.0)
    started = time.monotonic()
    plan = planner.plan(context_for(session, "keys down 2 dB"))
    assert time.monotonic() - started < 3
    assert [(c.tool, c.args["delta_db"]) for c in plan.calls] == [("adjust_track_gain", -2.0)]
    assert plan.model is not None and plan.model.outcome == "tool_calls"
    assert "1 s" in plan.model.why


# --- weak models: no valid tool call on a change brief ---------------------------------------
CHATTER = "Darker mixes are lovely! Many engineers like a warm, vintage sound with soft highs."


def test_chatter_is_rephrased_and_carried_out_offline_labelled(session, server, llm_env, capfd):
    """The model answers "make it darker" with prose: the reply says it made no tool call, the
    model's rephrasing ("darker") is carried out by the offline planner and labelled so."""
    server.script(fake.text(CHATTER), fake.text("Rephrased: make it darker."))
    before = session.load()
    code, stdout, stderr = run_main(
        llm_env, capfd, "say", "-s", str(session.path), "make it darker", "--json"
    )
    assert code == 0, stderr
    result = json.loads(stdout)
    assert result["planner"] == "offline" and result["version"] == 1
    assert result["llm"]["outcome"] == "rephrased"
    assert result["llm"]["rephrasing"] == "make it darker"
    assert "prose" in result["llm"]["why"]
    assert result["tool_calls"]  # the offline planner's calls for "darker"
    assert "rephras" in result["reply"] and CHATTER not in result["reply"]
    after = session.load(1)
    assert (
        after.metrics["mix"]["spectral_centroid_hz"] < before.metrics["mix"]["spectral_centroid_hz"]
    )
    # the rephrasing request offered no tools and was bounded tighter than a planning step
    rephrase = server.requests[1]
    assert "tools" not in rephrase and rephrase["max_tokens"] < 512
    # ...and began with the brief's own system prompt (a caching server reads it only once)
    assert rephrase["messages"][0] == server.requests[0]["messages"][0]
    assert result["llm"]["requests"] == 2 and result["prompt_tokens"] > 0


@pytest.mark.parametrize(
    ("first", "rephrasing", "why"),
    [
        (fake.text(CHATTER), "I love this song so much", "prose"),
        (fake.text(CHATTER), "make it brighter", "prose"),  # contradicts the brief
        (fake.text("x" * 40, finish="length"), "sunshine", "MIXCHAT_LLM_MAX_TOKENS"),
        (fake.text('{"name": "apply_eq", "arguments": {"track": "Keys"}}'), "ok", "as text"),
        (
            fake.tool_calls(("apply_eq", {"track": "Nobody", "freq_hz": 5000, "gain_db": -3})),
            "hm",
            "not valid",
        ),
    ],
)
def test_no_valid_call_and_no_usable_rephrasing_is_no_change(
    session, server, first, rephrasing, why
):
    """Chatter is never passed off as a change: no version, and one line saying why."""
    followups = (
        [fake.text(rephrasing)]
        if first.kind == "text"
        else [fake.text("Sorry."), fake.text(rephrasing)]
    )
    server.script(first, *followups)
    count = len(session.versions())
    result = handle_brief(
        session, "make it darker", planner=planner_at(server.base_url)
    ).model_dump(mode="json")
    assert result["version"] is None and result["tool_calls"] == []
    assert len(session.versions()) == count
    assert result["llm"]["outcome"] == "no_change" and why in result["llm"]["why"]
    assert result["reply"].startswith("The model made no change: ") and "\n" not in result["reply"]
    assert CHATTER not in result["reply"]


def test_a_tool_call_written_as_text_is_no_answer_to_a_question(session, server):
    server.script(fake.text("functions.set_track_gain:"))
    plan = planner_at(server.base_url).plan(context_for(session, "how loud are the keys?"))
    assert plan.intent == "question" and not plan.calls
    assert plan.model is not None and plan.model.outcome == "no_change"
    assert "as text" in plan.model.why and "functions." not in plan.message


def test_no_valid_call_falls_back_to_the_offline_plan_when_asked(session, server):
    server.script(fake.text(CHATTER), fake.text("I love this song"))
    planner = planner_at(server.base_url, fallback=True)
    result = handle_brief(session, "make the vocal louder", planner=planner).model_dump(mode="json")
    assert result["version"] == 1 and result["planner"] == "offline"
    assert result["llm"]["outcome"] == "offline_fallback"
    assert "LLM fallback" in result["reply"] and "offline planner answered" in result["reply"]


# --- the prompt's budget ---------------------------------------------------------------------
def test_prompt_tokens_are_reported_and_kept_in_budget(session, server, llm_env, capfd):
    reply = fake.tool_calls(("set_width", {"track": "Keys", "width": 1.4}))
    server.script(reply, fake.text("Wider keys."))
    code, stdout, _ = run_main(
        llm_env, capfd, "say", "-s", str(session.path), "wider keys", "--json"
    )
    wide = json.loads(stdout)
    full_prompt = len(server.requests[0]["messages"][0]["content"])

    llm_env.setenv("MIXCHAT_LLM_PROMPT_TOKENS", "600")
    server.script(reply, fake.text("Wider keys."))
    code, stdout, _ = run_main(
        llm_env, capfd, "say", "-s", str(session.path), "wider keys", "--from", "0", "--json"
    )
    small = json.loads(stdout)
    assert code == 0
    assert small["llm"]["prompt_budget_tokens"] == 600
    assert small["llm"]["prompt_tokens_estimate"] <= 600 < wide["llm"]["prompt_tokens_estimate"]
    assert len(server.requests[2]["messages"][0]["content"]) < full_prompt
    assert (
        small["llm"]["tools_offered"][:2] == ["set_pan", "set_width"]
        or "set_width" in small["llm"]["tools_offered"]
    )
    # the fake server reports usage in the stream: that count is the one shown
    assert wide["prompt_tokens"] == 10 and wide["llm"]["prompt_tokens_counted_by"] == "server"


def test_calls_that_change_nothing_are_no_change(session, server):
    """A valid call that leaves the mix as it was makes no version, and the result says the
    model made no change (not that its calls made one)."""
    server.script(
        fake.tool_calls(("set_pan", {"track": "Keys", "pan": 0.0})), fake.text("Centred.")
    )
    count = len(session.versions())
    result = handle_brief(
        session, "pan the keys to the centre", planner=planner_at(server.base_url)
    ).model_dump(mode="json")
    assert result["version"] is None and len(session.versions()) == count
    assert result["llm"]["outcome"] == "no_change" and result["llm"]["why"]
    assert result["reply"].startswith("The model made no change")
