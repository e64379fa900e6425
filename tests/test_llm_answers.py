"""`ask` and `screenshot` with a model: the real `openai` client and LangChain against the
scripted fake OpenAI-compatible server on 127.0.0.1 (tests/fake_openai_server.py). Assertions
are on what the model was sent, the merged result's fields and fallbacks; never on wording."""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytesseract
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fake_openai_server as fake  # noqa: E402
from screenshot_factory import catalogue, write  # noqa: E402

from mixchat.assistant.knowledge.ask import SessionFacts, TrackFacts  # noqa: E402
from mixchat.assistant.llm.answers import image_data_url  # noqa: E402
from mixchat.assistant.turn.actions import answer, screenshot_feedback  # noqa: E402
from mixchat.dsp.errors import StateError  # noqa: E402

SECRET = "sk-test-SECRET456"
ROOT = Path(__file__).resolve().parents[1]
PYTHON = ROOT / ".venv" / "bin" / "python"
LLM_ENV = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "MIXCHAT_MODEL", "MIXCHAT_PLANNER")
TUNING_ENV = ("MIXCHAT_LLM_STREAM", "MIXCHAT_LLM_FALLBACK", "MIXCHAT_LLM_RETRIES")
CL1B_QUESTION = "what attack on a CL1B for a ballad vocal?"
needs_tesseract = pytest.mark.skipif(
    shutil.which("tesseract") is None, reason="tesseract-ocr is not installed (make install)"
)


@pytest.fixture
def server():
    started = fake.FakeOpenAIServer().start()
    yield started
    started.stop()


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch):
    for name in LLM_ENV + TUNING_ENV + ("MIXCHAT_LLM_TIMEOUT_S",):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture
def llm_env(clean_env: pytest.MonkeyPatch, server: fake.FakeOpenAIServer):
    clean_env.setenv("OPENAI_BASE_URL", server.base_url)
    clean_env.setenv("OPENAI_API_KEY", SECRET)
    clean_env.setenv("MIXCHAT_MODEL", "fake-vision")
    clean_env.setenv("MIXCHAT_LLM_RETRIES", "0")
    clean_env.setenv("MIXCHAT_LLM_TIMEOUT_S", "10")
    return clean_env


@pytest.fixture(scope="module")
def shot(tmp_path_factory: pytest.TempPathFactory):
    """The over-compressed vocal screenshot (Pillow) and what it shows."""
    spec = next(s for s in catalogue() if s.name == "comp_vocal_overcompressed")
    return spec, write(spec, tmp_path_factory.mktemp("shots"))


def free_closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def user_text(request: dict) -> str:
    content = request["messages"][-1]["content"]
    if isinstance(content, str):
        return content
    return " ".join(part.get("text", "") for part in content if part["type"] == "text")


def image_parts(request: dict) -> list[dict]:
    content = request["messages"][-1]["content"]
    return [p for p in content if isinstance(p, dict) and p.get("type") == "image_url"]


VOCAL_FACTS = SessionFacts(
    tempo_bpm=72.0,
    tracks=[
        TrackFacts(name="Lead Vox", role="vocal", crest_factor_db=19.3, lufs=-21.4),
        TrackFacts(name="Piano", role="keys", crest_factor_db=14.0, lufs=-24.0),
    ],
)


# --- ask --------------------------------------------------------------------------------------
def test_offline_ask_is_unchanged_and_says_so(clean_env, server):
    result = answer(CL1B_QUESTION)
    assert result["planner"] == "offline" and "note" not in result
    assert "CL 1B" in result["answer"] and result["sources"]
    assert server.requests == []


def test_ask_grounds_the_model_in_the_retrieval_and_the_session(llm_env, server, monkeypatch):
    from mixchat.assistant.turn import actions as session_actions

    monkeypatch.setattr(session_actions, "session_facts", lambda session, **_: VOCAL_FACTS)
    model_answer = "On a CL 1B for this vocal: ratio 3:1, attack 5-10 ms, release 0.6 s."
    server.script(fake.text(model_answer))
    result = answer(CL1B_QUESTION, session=object())

    assert result["planner"] == "llm" and result["answer"] == model_answer
    assert result["sources"] and any("CL 1B" in s for s in result["sources"])
    (request,) = server.requests
    assert request["model"] == "fake-vision" and "tools" not in request
    assert request["messages"][0]["role"] == "system"
    prompt = user_text(request)
    assert CL1B_QUESTION in prompt
    assert "## Tube-Tech CL 1B" in prompt and "Start (ballad vocal)" in prompt  # retrieval
    assert "attack: 0.5-300 ms" in prompt  # the offline composed answer
    assert "Lead Vox (vocal)" in prompt and "19.3 dB" in prompt and "72 BPM" in prompt
    assert SECRET not in json.dumps(server.requests) + json.dumps(result)


def test_ask_without_session_sends_no_session_block(llm_env, server):
    server.script(fake.text("Pultec: boost and cut at 60 Hz together."))
    result = answer("Pultec low end trick on kick")
    assert result["planner"] == "llm" and result["sources"]
    prompt = user_text(server.requests[0])
    assert "Pultec" in prompt and "session" not in prompt.lower()


@pytest.mark.parametrize("failure", [fake.error(500, f"overloaded {SECRET}"), fake.text("")])
def test_ask_falls_back_on_a_server_error_or_empty_reply(llm_env, server, failure):
    server.script(failure)
    result = answer(CL1B_QUESTION)
    assert result["planner"] == "offline" and "CL 1B" in result["answer"]
    assert result["note"] and "\n" not in result["note"]
    assert server.base_url in result["note"]
    assert SECRET not in json.dumps(result)


def test_ask_with_a_broken_configuration_answers_offline(clean_env, server):
    clean_env.setenv("MIXCHAT_PLANNER", "llm")  # forced, but no key and no server
    result = answer(CL1B_QUESTION)
    assert result["planner"] == "offline" and "OPENAI_BASE_URL" in result["note"]


def test_cli_ask_with_a_dead_server_answers_offline():
    env = {k: v for k, v in os.environ.items() if k not in LLM_ENV + TUNING_ENV}
    dead = f"http://127.0.0.1:{free_closed_port()}/v1"
    env.update(OPENAI_API_KEY=SECRET, OPENAI_BASE_URL=dead, MIXCHAT_LLM_RETRIES="1")
    done = subprocess.run(
        [str(PYTHON), "-m", "assistant", "ask", CL1B_QUESTION, "--json"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["planner"] == "offline" and "CL 1B" in result["answer"] and result["sources"]
    assert "connection refused" in result["note"] and dead in result["note"]
    assert "Traceback" not in done.stderr
    assert SECRET not in done.stdout + done.stderr


# --- screenshot -------------------------------------------------------------------------------
def test_image_data_url_round_trips(shot):
    _, path = shot
    url = image_data_url(path)
    assert url.startswith("data:image/png;base64,")
    assert base64.b64decode(url.split(",", 1)[1]) == path.read_bytes()


@needs_tesseract
def test_screenshot_sends_the_image_and_the_ocr_reading(llm_env, server, shot):
    spec, path = shot
    comment = "Ratio 20:1 at -40 dB threshold crushes the vocal; try 4:1 around -24 dB."
    server.script(
        fake.text(
            "```json\n"
            + json.dumps(
                {
                    "plugin_type": "compressor",
                    "plugin_name": None,
                    "parameters": {"threshold_db": -40, "ratio": 20, "release_ms": "auto"},
                    "comment": comment,
                }
            )
            + "\n```"
        )
    )
    result = screenshot_feedback(path, role=spec.role)

    assert result["planner"] == "llm" and result["llm_feedback"] == comment
    assert result["llm_parameters"] == {"threshold_db": -40.0, "ratio": 20.0, "release_ms": "auto"}
    assert result["parameters"]["ratio"] == pytest.approx(spec.expected["ratio"])
    assert result["parameters"]["threshold_db"] == pytest.approx(spec.expected["threshold_db"])
    assert set(spec.problem_keys) <= set(result["problems"])
    (request,) = server.requests
    (part,) = image_parts(request)
    assert part["image_url"]["url"] == image_data_url(path)
    assert part["image_url"]["url"].startswith("data:image/png;base64,")
    text = user_text(request)
    assert '"ratio": 20.0' in text and '"threshold_db": -40.0' in text
    assert SECRET not in json.dumps(result)


@needs_tesseract
def test_screenshot_keeps_a_plain_text_comment(llm_env, server, shot):
    spec, path = shot
    server.script(fake.text("Way over-compressed: back the ratio off to 4:1."))
    result = screenshot_feedback(path, role=spec.role)
    assert result["llm_feedback"].startswith("Way over-compressed")
    assert "llm_parameters" not in result and result["parameters"]


@needs_tesseract
def test_screenshot_model_without_vision_gives_the_offline_report(llm_env, server, shot):
    spec, path = shot
    server.script(fake.error(400, "model 'fake-vision' does not support images"))
    result = screenshot_feedback(path, role=spec.role)
    assert result["planner"] == "offline" and "llm_feedback" not in result
    assert "does not accept images" in result["note"] and "MIXCHAT_MODEL" in result["note"]
    assert result["parameters"]["ratio"] == pytest.approx(spec.expected["ratio"])
    assert set(spec.problem_keys) <= set(result["problems"])


def test_without_tesseract_the_model_reads_alone(llm_env, server, shot, monkeypatch):
    spec, path = shot
    monkeypatch.setattr(pytesseract.pytesseract, "tesseract_cmd", "/nonexistent/tesseract")
    server.script(
        fake.text(
            json.dumps(
                {
                    "plugin_type": "compressor",
                    "plugin_name": None,
                    "parameters": {"threshold_db": -40, "ratio": 20, "attack_ms": 10},
                    "comment": "Heavily over-compressed.",
                }
            )
        )
    )
    result = screenshot_feedback(path, role=spec.role)
    assert result["planner"] == "llm" and result["plugin_type"] == "compressor"
    assert result["parameters"] == {"attack_ms": 10.0, "ratio": 20.0, "threshold_db": -40.0}
    assert "ratio" in result["problems"]  # reviewed offline against the knowledge base
    assert "tesseract" in result["note"]
    assert image_parts(server.requests[0])

    monkeypatch.delenv("OPENAI_BASE_URL")
    monkeypatch.delenv("OPENAI_API_KEY")
    with pytest.raises(StateError, match="tesseract"):
        screenshot_feedback(path, role=spec.role)


def test_ask_with_a_streaming_client(llm_env, server):
    llm_env.setenv("MIXCHAT_LLM_STREAM", "1")
    server.script(fake.text("Start at 4:1 with a 10 ms attack."))
    result = answer(CL1B_QUESTION)
    assert server.requests[0]["stream"] is True
    assert result["planner"] == "llm" and result["answer"] == "Start at 4:1 with a 10 ms attack."
