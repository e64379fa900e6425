"""`mixchat mcp` as an MCP client sees it: a real server process, driven by the SDK's own client.

One server runs a whole session (new → automix → say → render → ab → revert) and the renders
are measured; another, started the way desktop clients start it (the initialize handshake,
``ClientSession`` over ``stdio_client``), gets bad arguments and paths outside its root and
must answer each with a one-line error while it keeps serving. The HTTP transport is started
on a free local port and listed.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import numpy as np
import pytest
from mcp import Client, ClientSession, MCPError, StdioServerParameters, stdio_client
from mcp.types import CallToolResult, TextContent

from mixchat.assistant.demo.song import build_demo_stems
from mixchat.assistant.mcp.paths import PathPolicy
from mixchat.dsp.analysis import analyze_audio
from mixchat.dsp.audio_io import load_audio
from mixchat.dsp.errors import MixError
from mixchat.dsp.loudness import integrated_lufs, true_peak_dbtp
from mixchat.tools.catalog import REGISTRY
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session

TOOLS = {
    "new_session", "open_session", "automix", "say", "apply_tools", "render", "ab", "versions",
    "diff", "revert", "analyze", "feedback", "ask", "screenshot", "master", "export",
}  # fmt: skip
SECRET = "sk-mixchat-test-0123456789abcdef"
SECONDS = 10.0
CALL_LIMIT_S = 240


def command() -> list[str]:
    script = Path(sys.executable).with_name("mixchat")
    return [str(script)] if script.exists() else [sys.executable, "-m", "mixchat.assistant"]


def server(*args: str, cwd: Path, env: dict[str, str] | None = None) -> StdioServerParameters:
    base = command()
    return StdioServerParameters(
        command=base[0],
        args=[*base[1:], "mcp", *args],
        cwd=str(cwd),
        env={"MIXCHAT_PLANNER": "offline", **(env or {})},
    )


def data(result: CallToolResult) -> dict[str, Any]:
    assert not result.is_error, text(result)
    assert result.structured_content is not None
    return result.structured_content


def text(result: CallToolResult) -> str:
    return "\n".join(c.text for c in result.content if isinstance(c, TextContent))


def error(result: CallToolResult) -> str:
    """The error line of a failed call: one line, no traceback."""
    assert result.is_error, f"expected an error, got {text(result)[:200]}"
    line = text(result)
    assert "\n" not in line and "Traceback" not in line
    return line


def measured(path: Path) -> tuple[float, float, float]:
    """(integrated LUFS, true peak dBTP, spectral centroid Hz) of an audio file."""
    loaded = load_audio(path)
    rate = loaded.sample_rate
    return (
        integrated_lufs(loaded.audio, sample_rate=rate),
        true_peak_dbtp(loaded.audio, sample_rate=rate),
        analyze_audio(loaded.audio, sample_rate=rate).spectral_centroid_hz,
    )


def file_hashes(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.glob("*.json"))
    }


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """root/ (the server's only root) with the stems; outside/ beside it with a stem of its own;
    cwd/ where the server starts."""
    top = tmp_path_factory.mktemp("mcp")
    root, outside, cwd = top / "root", top / "outside", top / "cwd"
    song = build_demo_stems(root / "stems", duration_s=SECONDS)
    (song.stems_dir / "truth.json").unlink()
    outside.mkdir()
    cwd.mkdir()
    secret_stem = outside / "secret.flac"
    secret_stem.write_bytes(song.files["Bass"].read_bytes())
    return {"top": top, "root": root, "outside": outside, "cwd": cwd, "stems": song.stems_dir}


async def test_a_whole_session_over_stdio(place: dict[str, Path]) -> None:
    root, cwd = place["root"], place["cwd"]
    session = root / "song.mix"
    progress: list[tuple[float, float | None, str | None]] = []

    async def on_progress(value: float, total: float | None, message: str | None) -> None:
        progress.append((value, total, message))

    with anyio.fail_after(CALL_LIMIT_S):
        async with Client(server("--root", str(root), cwd=cwd)) as client:
            listed = {t.name: t for t in (await client.list_tools()).tools}
            assert set(listed) == TOOLS
            for tool in listed.values():
                assert tool.input_schema["type"] == "object" and tool.description
                assert tool.output_schema is not None
            assert set(listed["render"].input_schema["required"]) == {"session", "output"}
            variants = listed["apply_tools"].input_schema["properties"]["calls"]["items"]["anyOf"]
            planner_schemas = {s["function"]["name"]: s for s in REGISTRY.schemas()}
            assert {v["properties"]["tool"]["const"] for v in variants} == set(planner_schemas)
            for variant in variants:  # exactly the schema the LLM planner is given
                name = variant["properties"]["tool"]["const"]
                assert (
                    variant["properties"]["args"] == planner_schemas[name]["function"]["parameters"]
                )

            made = data(
                await client.call_tool(
                    "new_session",
                    {"stems_dir": str(place["stems"]), "session": str(session)},
                    progress_callback=on_progress,
                )
            )
            assert made["version"] == 0 and len(made["stems"]) == 8
            sid = made["session_id"]

            progress.clear()
            mixed = data(
                await client.call_tool(
                    "automix", {"session": str(session)}, progress_callback=on_progress
                )
            )
            assert (mixed["version"], mixed["parent"]) == (1, 0) and mixed["tool_calls"]
            values = [p[0] for p in progress]
            assert len(values) >= 3 and values == sorted(set(values)) and values[-1] == 100.0
            assert all(total == 100.0 for _, total, _ in progress)

            darker = data(
                await client.call_tool("say", {"session": str(session), "brief": "make it darker"})
            )
            assert (darker["version"], darker["parent"]) == (2, 1) and darker["tool_calls"]
            assert darker["reply"]

            renders = {}
            for number in (1, 2):
                out = root / f"v{number}.wav"
                rendered = data(
                    await client.call_tool(
                        "render", {"session": str(session), "output": str(out), "version": number}
                    )
                )
                lufs, peak, centroid = measured(out)
                assert abs(lufs - rendered["integrated_lufs"]) < 0.05
                assert abs(peak - rendered["true_peak_dbtp"]) < 0.1
                renders[number] = (lufs, peak, centroid)
            assert renders[2][2] < 0.95 * renders[1][2]  # darker: the centroid went down

            pair = data(await client.call_tool("ab", {"session": str(session), "a": 1, "b": 2}))
            files = [Path(f) for f in pair["files"]]
            assert len(files) == 2 and all(f.is_relative_to(session.resolve()) for f in files)
            matched = [measured(f)[0] for f in files]
            assert abs(matched[0] - matched[1]) < 0.1
            assert abs(matched[0] - pair["matched_lufs"]) < 0.1
            assert any(row["metric"] == "spectral_centroid_hz" for row in pair["metrics"])
            report = await client.read_resource(pair["report"])
            assert json.loads(report.contents[0].text)["a"] == 1

            before = file_hashes(session / "versions")
            reverted = data(
                await client.call_tool("revert", {"session": str(session), "version": 1})
            )
            assert (reverted["version"], reverted["parent"]) == (3, 2)
            after = file_hashes(session / "versions")
            assert {k: after[k] for k in before} == before  # versions are append-only
            rows = data(await client.call_tool("versions", {"session": str(session)}))
            assert [r["kind"] for r in rows["versions"]] == ["new", "automix", "brief", "revert"]

            states = []
            for number in (1, 3):
                read = await client.read_resource(f"mixchat://sessions/{sid}/versions/{number}")
                states.append(json.loads(read.contents[0].text)["state"])
            assert states[0] == states[1]
            out = root / "v3.wav"
            await client.call_tool("render", {"session": str(session), "output": str(out)})
            assert abs(measured(out)[2] - renders[1][2]) < 1.0  # v3 sounds like v1

            mastered = data(
                await client.call_tool(
                    "master",
                    {"input": str(out), "output": str(root / "master.wav"), "target": "spotify"},
                )
            )
            lufs, peak, _ = measured(root / "master.wav")
            assert abs(lufs + 14.0) <= 0.5 and peak <= -1.0 + 0.05
            assert abs(mastered["output_lufs"] - lufs) < 0.1

            looked = data(await client.call_tool("feedback", {"path": str(session)}))
            assert looked["items"] and looked["report"].startswith(f"mixchat://sessions/{sid}/")
            plots = looked["resources"]["plots"]
            assert plots
            png = await client.read_resource(plots[0])
            assert png.contents[0].mime_type == "image/png"
            listed_uris = {str(r.uri) for r in (await client.list_resources()).resources}
            assert f"mixchat://sessions/{sid}/versions" in listed_uris
            summary = json.loads(
                (await client.read_resource(f"mixchat://sessions/{sid}")).contents[0].text
            )
            assert summary["session"] == str(session.resolve()) and summary["version"] == 3
            prompts = {p.name for p in (await client.list_prompts()).prompts}
            assert prompts == {"mix_these_stems", "master_for_platform"}
            prompt = await client.get_prompt("mix_these_stems", {"stems_dir": str(place["stems"])})
            assert str(place["stems"]) in prompt.messages[0].content.text  # type: ignore[union-attr]

    assert list(cwd.iterdir()) == []  # nothing written where the server was started
    assert sorted(p.name for p in place["outside"].iterdir()) == ["secret.flac"]


@pytest.fixture(scope="module")
def made_session(place: dict[str, Path]) -> Path:
    path = place["root"] / "errors.mix"
    create_session(place["stems"], path)
    return path


def link(at: Path, to: Path) -> Path:
    at.parent.mkdir(parents=True, exist_ok=True)
    at.symlink_to(to)
    return at


async def test_bad_arguments_and_outside_paths_get_one_line_errors_and_it_keeps_serving(
    place: dict[str, Path], made_session: Path
) -> None:
    root, outside = place["root"], place["outside"]
    session = str(made_session)
    env = {  # the LLM planner, configured with a key, on a port where nothing listens
        "MIXCHAT_PLANNER": "llm",
        "OPENAI_API_KEY": SECRET,
        "OPENAI_BASE_URL": "http://127.0.0.1:9/v1",
        "MIXCHAT_LLM_RETRIES": "0",
        "MIXCHAT_LLM_TIMEOUT_S": "5",
    }
    escape = link(root / "escape", outside)
    sneaky_stems = root / "sneaky"
    sneaky_stems.mkdir()
    (sneaky_stems / "Kick.flac").write_bytes((place["stems"] / "Kick.flac").read_bytes())
    link(sneaky_stems / "Bass.flac", outside / "secret.flac")
    versions_before = file_hashes(made_session / "versions")
    answers: list[str] = []

    with anyio.fail_after(CALL_LIMIT_S):
        async with (
            stdio_client(server("--root", str(root), cwd=place["cwd"], env=env)) as (read, write),
            ClientSession(read, write) as client,
        ):
            await client.initialize()  # the handshake desktop clients speak

            async def refused(tool: str, arguments: dict[str, Any]) -> str:
                line = error(await client.call_tool(tool, arguments))
                answers.append(line)
                return line

            missing = Session.open(made_session)
            with pytest.raises(Exception) as raised:
                missing.load(99)
            assert await refused("diff", {"session": session, "a": 0, "b": 99}) == str(
                raised.value
            )  # the command line's own message
            assert "b='x'" in await refused("diff", {"session": session, "a": 0, "b": "x"})
            assert "session is required" in await refused("versions", {})
            assert "versoin" in await refused("render", {"session": session, "versoin": 1})
            assert "render" in await refused("rendr", {"session": session})
            assert "pan=3" in await refused(
                "apply_tools",
                {
                    "session": session,
                    "calls": [{"tool": "set_pan", "args": {"track": "Bass", "pan": 3}}],
                },
            )
            assert "written by mixchat itself" in await refused(
                "apply_tools",
                {
                    "session": session,
                    "calls": [{"tool": "trim_mix", "args": {"delta_db": -2.0}}],
                },
            )
            assert "spotifi" in await refused(
                "master",
                {
                    "input": str(place["stems"] / "Bass.flac"),
                    "output": str(root / "m.wav"),
                    "target": "spotifi",
                },
            )

            outside_paths = {
                "analyze": {"path": str(outside / "secret.flac")},
                "new_session": {"stems_dir": str(outside), "session": str(root / "x.mix")},
                "render": {"session": session, "output": str(root / ".." / "outside" / "out.wav")},
                "master": {"input": str(escape / "secret.flac"), "output": str(root / "m.wav")},
                "export": {"session": session, "format": "stems", "output": str(escape / "stems")},
            }
            for tool, arguments in outside_paths.items():
                assert "outside the folders this server may use" in await refused(tool, arguments)
            assert "outside" in await refused(
                "new_session", {"stems_dir": str(sneaky_stems), "session": str(root / "s.mix")}
            )
            assert "overwrite the session" in await refused(
                "export",
                {"session": session, "format": "stems", "output": session, "force": True},
            )
            for uri in (
                "mixchat://sessions/nope/versions",
                "mixchat://sessions/errors.mix/reports/..%2F..%2Fsession",
                "mixchat://sessions/errors.mix/plots/..%2F..%2F..%2Foutside/secret.flac",
            ):
                with pytest.raises(MCPError):
                    await client.read_resource(uri)

            with pytest.raises(MCPError, match="spotifi"):
                await client.get_prompt(
                    "master_for_platform", {"input": "m.wav", "platform": "spotifi"}
                )
            assert "127.0.0.1:9" in await refused("say", {"session": session, "brief": "warmer"})
            asked = await client.call_tool("ask", {"question": "what ratio on a bass?"})
            assert "did not answer" in text(asked)  # and answered offline
            answers.append(text(asked))
            still = await client.call_tool("versions", {"session": session})
            assert not still.is_error  # the server kept serving through all of the above
            answers.append(text(still))

    assert sorted(p.name for p in outside.iterdir()) == ["secret.flac"]
    assert not (root / "m.wav").exists() and not (root / "x.mix").exists()
    assert file_hashes(made_session / "versions") == versions_before
    assert all(SECRET not in answer and SECRET[3:] not in answer for answer in answers)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def test_streamable_http_on_a_local_port(place: dict[str, Path]) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*command(), "mcp", "--http", str(port)],
        cwd=place["cwd"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "MIXCHAT_PLANNER": "offline"},
    )
    try:
        with anyio.fail_after(120):
            while True:
                try:
                    with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                        break
                except OSError:
                    assert process.poll() is None, process.stderr.read()  # type: ignore[union-attr]
                    await anyio.sleep(0.2)
            async with Client(f"http://127.0.0.1:{port}/mcp") as client:
                assert {t.name for t in (await client.list_tools()).tools} == TOOLS
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert f"http://127.0.0.1:{port}/mcp" in stderr


def test_usage_errors_of_the_command(tmp_path: Path) -> None:
    run = subprocess.run(
        [*command(), "mcp", "--host", "0.0.0.0"], capture_output=True, text=True, timeout=120
    )
    assert run.returncode == 2 and "--host needs --http" in run.stderr
    with pytest.raises(MixError, match="not an existing folder"):
        PathPolicy.from_roots([tmp_path / "missing"])


def test_numbers_of_silence_are_null() -> None:
    """JSON out of the server is strict: -inf (the loudness of silence) is null."""
    from mixchat.assistant.turn.jsonable import json_ready

    assert json.dumps(json_ready({"lufs": float("-inf"), "x": [np.float64(1.5)]})) == (
        '{"lufs": null, "x": [1.5]}'
    )


def test_no_key_in_what_the_server_sends(monkeypatch: pytest.MonkeyPatch) -> None:
    from mcp.server.mcpserver.exceptions import ToolError

    from mixchat.assistant.mcp.redact import clean_data
    from mixchat.assistant.mcp.server import error_line
    from mixchat.dsp.errors import MixError

    monkeypatch.setenv("OPENAI_API_KEY", "local-key-42")
    failed = ToolError("Error executing tool say")
    failed.__cause__ = MixError("the server refused local-key-42 (Authorization: Bearer abc.def)")
    line = error_line("say", failed)
    assert "local-key-42" not in line and "abc.def" not in line and "refused" in line
    assert clean_data({"reply": ["uses sk-abcdefghijkl", "local-key-42"]}) == {
        "reply": ["uses sk-***", "***"]
    }
