"""One bounded model request: streamed with a watchdog on progress, or invoked whole.

Streaming (the default) reads the reply chunk by chunk in a worker thread; the caller waits at
most ``idle_s`` for each next chunk. A slowly streaming local model stays alive as long as its
tokens keep coming; a server that stops sending (or keeps a connection open with keep-alive
pings but no tokens) is given up on after ``idle_s`` of silence, with ``NoProgress``. The worker
stops reading at the next chunk and closes the stream, so the server can stop generating.
Without streaming nothing arrives before the whole reply, so ``idle_s`` bounds the request
(the HTTP client's own timeout does that).
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage

from mixchat.assistant.llm.errors import TIMEOUT_ERRORS, NoProgress
from mixchat.assistant.llm.settings import LLMSettings

Progress = Callable[[int], None]
LOCAL_KEY_PLACEHOLDER = "not-needed"  # local servers (Ollama, llama.cpp...) ignore the key
CONNECT_TIMEOUT_S = 10.0
EMPTY_STREAM = "No generation chunks"  # LangChain's ValueError for a stream that ended empty


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
    progress: Progress | None = None,
) -> Reply:
    """Send ``messages`` to ``runnable`` (a LangChain chat model, tools bound or not)."""
    started = time.monotonic()
    if stream:
        message, chunks = _streamed(runnable, list(messages), idle_s, progress)
    else:
        message, chunks = runnable.invoke(list(messages)), 0
    usage = getattr(message, "usage_metadata", None) or {}
    return Reply(
        message=message,
        prompt_tokens=usage.get("input_tokens") or None,
        completion_tokens=usage.get("output_tokens") or None,
        seconds=time.monotonic() - started,
        chunks=chunks,
    )


def _streamed(
    runnable: Any, messages: list[BaseMessage], idle_s: float, progress: Progress | None
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
            try:
                kind, item = events.get(timeout=idle_s)
            except queue.Empty:
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
    finally:
        cancelled.set()
    if full is None:
        raise NoProgress(idle_s=idle_s, chunks=0, ended=True)
    return full, chunks


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


def finish_reason(message: AIMessage) -> str | None:
    return (getattr(message, "response_metadata", None) or {}).get("finish_reason")
