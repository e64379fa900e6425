"""A scripted fake OpenAI-compatible server on 127.0.0.1, for driving the real ``openai`` client.

It answers POST /v1/chat/completions (and /chat/completions) from a queue of scripted replies,
non-streamed or as server-sent events when the request asks for ``stream``, and records every
request body so a test can check what the model was shown. Replies: ``text``, ``tool_calls``
(arguments as a dict, or a raw string to send invalid JSON), ``error`` (an HTTP status) and
``hang`` (no answer until the client times out or the server stops) and ``empty`` (a stream
that ends without a chunk, as llama-cpp-python's tool-calling format ends one when the model
picks a tool). The server ignores ``max_tokens``, as some local servers do. A streamed reply can be
paced: ``gap_s`` between chunks (a slow local model), ``stall_after`` chunks then silence or
keep-alive ``pings`` only (a server that stopped making progress), and ``finish`` ("length" for
a reply cut off at max_tokens). Request headers are never recorded or logged (they carry the API
key).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

PATHS = ("/v1/chat/completions", "/chat/completions")


@dataclass(frozen=True)
class Reply:
    kind: str  # text | tools | error | hang | empty
    content: str = ""
    calls: tuple[tuple[str, str], ...] = ()
    status: int = 200
    seconds: float = 0.0
    gap_s: float = 0.0  # streamed: pause before each chunk
    stall_after: int | None = None  # streamed: stop sending after this many chunks...
    stall_s: float = 0.0  # ...for this long (then the connection closes)
    pings: bool = False  # ...sending only SSE keep-alive comments meanwhile
    finish: str | None = None  # finish_reason to report (default: stop or tool_calls)


def text(content: str, *, finish: str | None = None) -> Reply:
    return Reply(kind="text", content=content, finish=finish)


def paced(reply: Reply, *, gap_s: float) -> Reply:
    """``reply`` streamed slowly: ``gap_s`` before every chunk."""
    return Reply(**{**reply.__dict__, "gap_s": gap_s})


def stalled(reply: Reply, *, after: int, seconds: float, pings: bool = False) -> Reply:
    """``reply`` streamed until ``after`` chunks, then silence (or pings only) for ``seconds``."""
    return Reply(**{**reply.__dict__, "stall_after": after, "stall_s": seconds, "pings": pings})


def tool_calls(*calls: tuple[str, dict[str, Any] | str], content: str = "") -> Reply:
    """Each call is (tool name, arguments): a dict is sent as JSON, a str is sent as is."""
    encoded = tuple(
        (name, args if isinstance(args, str) else json.dumps(args)) for name, args in calls
    )
    return Reply(kind="tools", content=content, calls=encoded)


def error(status: int = 500, message: str = "internal server error") -> Reply:
    return Reply(kind="error", status=status, content=message)


def empty() -> Reply:
    """A stream with no chunk at all (only its end)."""
    return Reply(kind="empty")


def hang(seconds: float = 30.0) -> Reply:
    return Reply(kind="hang", seconds=seconds)


@dataclass
class FakeOpenAIServer:
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[dict[str, Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    hung_up: list[int] = field(default_factory=list)  # streamed replies the client left early

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._counter = 0

    # --- lifecycle ------------------------------------------------------------------
    def start(self) -> FakeOpenAIServer:
        handler = _handler_for(self)
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the fake server is not started")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    # --- script ---------------------------------------------------------------------
    def script(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def _next(self, body: dict[str, Any], path: str) -> tuple[Reply | None, int]:
        with self._lock:
            self.requests.append(body)
            self.paths.append(path)
            self._counter += 1
            return (self.replies.popleft() if self.replies else None), self._counter


def _handler_for(fake: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib name
            return  # silent: nothing about requests (or their headers) goes to stderr

        def do_POST(self) -> None:  # noqa: N802 - stdlib name
            path = self.path.split("?", 1)[0]
            if path not in PATHS:
                self._json(404, {"error": {"message": f"no route {path}", "type": "not_found"}})
                return
            length = int(self.headers.get("Content-Length") or 0)
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._json(400, {"error": {"message": "body is not JSON", "type": "bad_request"}})
                return
            reply, number = fake._next(body, path)
            if reply is None:
                self._json(
                    500,
                    {"error": {"message": "fake server script exhausted", "type": "server_error"}},
                )
                return
            if reply.kind == "hang":
                fake._stopping.wait(reply.seconds)
                reply = text("too late")
            if reply.kind == "error":
                self._json(
                    reply.status, {"error": {"message": reply.content, "type": "server_error"}}
                )
            elif reply.kind == "empty" and body.get("stream"):
                self._stream_end()
            elif body.get("stream"):
                self._stream(reply, number, body)
            else:
                self._json(200, completion(reply, number, body.get("model", "fake")))

        def _json(self, status: int, payload: dict[str, Any]) -> None:
            data = json.dumps(payload).encode()
            try:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)
            except OSError:
                pass  # the client gave up (timeout): nothing to answer

        def _stream(self, reply: Reply, number: int, body: dict[str, Any]) -> None:
            chunks = stream_chunks(reply, number, body.get("model", "fake"))
            if (body.get("stream_options") or {}).get("include_usage"):
                chunks.append(_chunk(number, body.get("model", "fake"), None, None, usage=True))
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Cache-Control", "no-cache")
                self.end_headers()
                for index, chunk in enumerate(chunks):
                    if index == reply.stall_after:
                        self._stall(reply)
                        return
                    if reply.gap_s:
                        time.sleep(reply.gap_s)
                    self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
                    self.wfile.flush()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except OSError:
                fake.hung_up.append(number)  # the client closed the stream

        def _stream_end(self) -> None:
            try:
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.end_headers()
                self.wfile.write(b"data: [DONE]\n\n")
                self.wfile.flush()
            except OSError:
                pass

        def _stall(self, reply: Reply) -> None:
            """No more tokens: silence, or a keep-alive comment every 0.2 s, then hang up."""
            deadline = time.monotonic() + reply.stall_s
            while time.monotonic() < deadline and not fake._stopping.is_set():
                if reply.pings:
                    self.wfile.write(b": ping\n\n")
                    self.wfile.flush()
                fake._stopping.wait(0.2)

    return Handler


# --- payloads ----------------------------------------------------------------------------
def _call_id(number: int, index: int) -> str:
    return f"call_{number}_{index}"


def completion(reply: Reply, number: int, model: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content or None}
    if reply.calls:
        message["tool_calls"] = [
            {"id": _call_id(number, i), "type": "function", "function": {"name": n, "arguments": a}}
            for i, (n, a) in enumerate(reply.calls)
        ]
    return {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": reply.finish or ("tool_calls" if reply.calls else "stop"),
            }
        ],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }


def _chunk(
    number: int, model: str, delta: dict[str, Any] | None, finish: str | None, usage: bool = False
) -> dict[str, Any]:
    chunk: dict[str, Any] = {
        "id": f"chatcmpl-fake-{number}",
        "object": "chat.completion.chunk",
        "created": 0,
        "model": model,
        "choices": [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish}],
    }
    if usage:
        chunk["usage"] = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    return chunk


def _halves(value: str) -> list[str]:
    middle = len(value) // 2
    return [part for part in (value[:middle], value[middle:]) if part]


def _pieces(value: str, size: int = 12) -> list[str]:
    return [value[i : i + size] for i in range(0, len(value), size)]


def stream_chunks(reply: Reply, number: int, model: str) -> list[dict[str, Any]]:
    """The reply as chat.completion.chunk events, like a model's tokens: text in pieces of 12
    characters and each call's arguments in two, so the client has to merge them."""
    chunks = [_chunk(number, model, {"role": "assistant", "content": ""}, None)]
    for piece in _pieces(reply.content):
        chunks.append(_chunk(number, model, {"content": piece}, None))
    for i, (name, arguments) in enumerate(reply.calls):
        start = {
            "index": i,
            "id": _call_id(number, i),
            "type": "function",
            "function": {"name": name, "arguments": ""},
        }
        chunks.append(_chunk(number, model, {"tool_calls": [start]}, None))
        for piece in _halves(arguments):
            piece_delta = {"index": i, "function": {"arguments": piece}}
            chunks.append(_chunk(number, model, {"tool_calls": [piece_delta]}, None))
    chunks.append(
        _chunk(number, model, {}, reply.finish or ("tool_calls" if reply.calls else "stop"))
    )
    return chunks
