"""One bounded model request: streamed with a watchdog on progress, or invoked whole.

Streaming (the default) reads the reply chunk by chunk in a worker thread; the caller waits at
most ``idle_s`` for each next chunk. A slowly streaming local model stays alive as long as its
tokens keep coming; a server that stops sending (or keeps a connection open with keep-alive
pings but no tokens) is given up on after ``idle_s`` of silence, with ``NoProgress``. The worker
stops reading at the next chunk and closes the stream, so the server can stop generating.
A streamed reply is also cut off here after ``max_tokens`` chunks (a token each, give or take
the role and usage chunks) and marked ``finish_reason="length"``: not every server passes the
request's ``max_tokens`` on (llama-cpp-python's tool-calling format drops it once tools are
offered).
A ``Deadline`` bounds all the requests of one brief together: a request still running when it
passes is abandoned with ``OutOfTime``, streamed or not.
Without streaming nothing arrives before the whole reply, so ``idle_s`` bounds the request
(the HTTP client's own timeout does that).
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from mixchat.assistant.llm.errors import TIMEOUT_ERRORS, NoProgress, OutOfTime
from mixchat.assistant.llm.settings import LLMSettings

Progress = Callable[[int], None]
LOCAL_KEY_PLACEHOLDER = "not-needed"  # local servers (Ollama, llama.cpp...) ignore the key
CONNECT_TIMEOUT_S = 10.0
EMPTY_STREAM = "No generation chunks"  # LangChain's ValueError for a stream that ended empty
FRAMING_CHUNKS = 3  # a streamed reply's chunks that carry no token: role, finish, usage


def build_chat_model(settings: LLMSettings) -> Any:
    """A ``ChatOpenAI`` for the Chat Completions API at ``settings.base_url``. The HTTP read
    timeout is ``timeout_s`` per read, so with streaming it counts time without progress."""
    # Deferred: langchain-openai takes about 0.4 s to import; the offline path never needs it.
    import openai
    from langchain_openai import ChatOpenAI
    from pydantic import SecretStr

    return ChatOpenAI(
        model=settings.model,
        base_url=settings.base_url,
        api_key=SecretStr(settings.key or LOCAL_KEY_PLACEHOLDER),
        timeout=openai.Timeout(
            settings.timeout_s, connect=min(CONNECT_TIMEOUT_S, settings.timeout_s)
        ),
        max_retries=settings.retries,
        stream_usage=True,  # (``streaming`` left unset: ``complete`` calls .stream() or .invoke())
        use_responses_api=False,
    )


def limits(settings: LLMSettings, max_tokens: int) -> dict[str, Any]:
    """Request arguments that bound the reply to ``max_tokens``. OpenAI's API takes
    ``max_completion_tokens`` (LangChain sends ``max_tokens`` under that name); local servers
    (llama.cpp, Ollama, LM Studio) read ``max_tokens``, so they get both."""
    if settings.hosted_openai:
        return {"max_tokens": max_tokens}
    return {"max_tokens": max_tokens, "extra_body": {"max_tokens": max_tokens}}


@dataclass(frozen=True)
class Deadline:
    """A moment (``time.monotonic``) ``seconds`` after the brief began."""

    at: float
    seconds: float

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(at=time.monotonic() + seconds, seconds=seconds)

    def remaining(self) -> float:
        return self.at - time.monotonic()


@dataclass(frozen=True)
class Reply:
    """The model's message and what the server said it cost (None when it did not say)."""

    message: AIMessage
    prompt_tokens: int | None
    completion_tokens: int | None
    seconds: float
    chunks: int = 0


def complete(
    runnable: Any,
    messages: Sequence[BaseMessage],
    *,
    stream: bool,
    idle_s: float,
    max_tokens: int | None = None,
    deadline: Deadline | None = None,
    progress: Progress | None = None,
) -> Reply:
    """Send ``messages`` to ``runnable`` (a LangChain chat model, tools bound or not); a
    streamed reply is cut off after ``max_tokens`` tokens whatever the server does, and no
    request outlives ``deadline``."""
    started = time.monotonic()
    if deadline is not None and deadline.remaining() <= 0:
        raise OutOfTime(seconds=deadline.seconds, chunks=0)
    if stream:
        cap = None if max_tokens is None else max_tokens + FRAMING_CHUNKS
        message, chunks = _streamed(runnable, list(messages), idle_s, progress, cap, deadline)
    elif deadline is None:
        message, chunks = runnable.invoke(list(messages)), 0
    else:
        message, chunks = _whole(runnable, list(messages), deadline), 0
    usage = getattr(message, "usage_metadata", None) or {}
    return Reply(
        message=message,
        prompt_tokens=usage.get("input_tokens") or None,
        completion_tokens=usage.get("output_tokens") or None,
        seconds=time.monotonic() - started,
        chunks=chunks,
    )


def _streamed(
    runnable: Any,
    messages: list[BaseMessage],
    idle_s: float,
    progress: Progress | None,
    max_chunks: int | None,
    deadline: Deadline | None,
) -> tuple[AIMessage, int]:
    events: queue.Queue[tuple[str, Any]] = queue.Queue()
    cancelled = threading.Event()
    worker = threading.Thread(
        target=_pump, args=(runnable, messages, events, cancelled), name="mixchat-llm", daemon=True
    )
    worker.start()
    full: Any = None
    chunks = 0
    try:
        while True:
            wait_s = idle_s if deadline is None else max(0.0, min(idle_s, deadline.remaining()))
            try:
                kind, item = events.get(timeout=wait_s)
            except queue.Empty:
                if deadline is not None and deadline.remaining() <= 0:
                    raise OutOfTime(seconds=deadline.seconds, chunks=chunks) from None
                raise NoProgress(idle_s=idle_s, chunks=chunks) from None
            if kind == "error" and isinstance(item, TIMEOUT_ERRORS):
                raise NoProgress(idle_s=idle_s, chunks=chunks) from None  # the read timed out
            if kind == "error" and EMPTY_STREAM in str(item):
                raise NoProgress(idle_s=idle_s, chunks=0, ended=True) from None
            if kind == "error":
                raise item
            if kind == "end":
                break
            full = item if full is None else full + item
            chunks += 1
            if progress is not None:
                progress(chunks)
            if max_chunks is not None and chunks >= max_chunks:
                return _cut_off(full), chunks
            if deadline is not None and deadline.remaining() <= 0:
                raise OutOfTime(seconds=deadline.seconds, chunks=chunks)
    finally:
        cancelled.set()
    if full is None:
        raise NoProgress(idle_s=idle_s, chunks=0, ended=True)
    return full, chunks


def _whole(runnable: Any, messages: list[BaseMessage], deadline: Deadline) -> AIMessage:
    """``runnable.invoke`` in a worker thread, waited for until ``deadline`` (the HTTP client's
    own timeout bounds the request itself; an abandoned one ends there)."""
    events: queue.Queue[tuple[str, Any]] = queue.Queue()

    def call() -> None:
        try:
            events.put(("message", runnable.invoke(messages)))
        except BaseException as error:  # noqa: BLE001 - handed to the waiting caller
            events.put(("error", error))

    threading.Thread(target=call, name="mixchat-llm", daemon=True).start()
    try:
        kind, item = events.get(timeout=max(0.0, deadline.remaining()))
    except queue.Empty:
        raise OutOfTime(seconds=deadline.seconds, chunks=0) from None
    if kind == "error":
        raise item
    return item


def _cut_off(message: AIMessage) -> AIMessage:
    """A reply stopped at the token cap, marked as a server marks one (``length``)."""
    metadata = {**(message.response_metadata or {}), "finish_reason": "length"}
    return message.model_copy(update={"response_metadata": metadata})


def _pump(
    runnable: Any,
    messages: list[BaseMessage],
    events: queue.Queue[tuple[str, Any]],
    cancelled: threading.Event,
) -> None:
    """The worker: every chunk goes on the queue; it stops at the next chunk once cancelled."""
    stream = None
    try:
        stream = runnable.stream(messages)
        for chunk in stream:
            if cancelled.is_set():
                break
            events.put(("chunk", chunk))
    except BaseException as error:  # noqa: BLE001 - handed to the waiting caller, re-raised there
        events.put(("error", error))
        return
    finally:
        close = getattr(stream, "close", None)
        if close is not None:
            close()  # closes the HTTP response: the server sees the client leave
    events.put(("end", None))


# --- the model's message ---------------------------------------------------------------------
def message_text(message: BaseMessage) -> str:
    content = message.content
    if isinstance(content, str):
        return content.strip()
    parts = [block.get("text", "") if isinstance(block, dict) else str(block) for block in content]
    return " ".join(p for p in parts if p).strip()


def with_content(message: AIMessage) -> AIMessage:
    """The model's message as it goes back in the history: a tool-calling message with no
    text gets a short one (some servers, llama-cpp-python among them, refuse a null content,
    and LangChain sends an empty one as null)."""
    if message.tool_calls and not message_text(message):
        return message.model_copy(update={"content": "Calling the tools."})
    return message


def unfinished(message: Any) -> bool:
    """True when a streamed reply stopped inside its last tool call's JSON (LangChain reads a
    cut JSON leniently, as if it were complete)."""
    chunks = getattr(message, "tool_call_chunks", None) or []
    if not chunks or not message.tool_calls:
        return False
    try:
        json.loads(chunks[-1].get("args") or "")
    except ValueError:
        return True
    return False


def finish_reason(message: AIMessage) -> str | None:
    return (getattr(message, "response_metadata", None) or {}).get("finish_reason")
