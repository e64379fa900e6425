"""Turning a model client's failure into one clear line, with the API key scrubbed out.

The key is never part of a message: every text that leaves the LLM planner (errors, replies,
reasons) goes through ``scrub`` (``planning.errors``), which removes the configured key and
anything shaped like one.
"""

from __future__ import annotations

import re
from types import ModuleType

import httpx
import openai

from mixchat.assistant.planning.errors import PlannerError, scrub

TRANSPORT: ModuleType = httpx  # the openai client's HTTP package: errors while a stream is
try:  # read come from it unwrapped; openai >= 3 runs on httpx2
    import httpx2

    TRANSPORT = httpx2
except ImportError:  # older openai clients run on httpx
    pass

MAX_DETAIL_CHARS = 160
OFFLINE_HINT = "set MIXCHAT_PLANNER=offline"
TRANSPORT_ERRORS = (httpx.TransportError, TRANSPORT.TransportError)
TIMEOUT_ERRORS = (
    TimeoutError,
    openai.APITimeoutError,
    httpx.TimeoutException,
    TRANSPORT.TimeoutException,
)
CONTEXT_WORDS = re.compile(
    r"(?i)context (?:window|length|size)|n_ctx|too many tokens|maximum context"
)


class NoProgress(Exception):
    """A streamed reply that stopped: nothing arrived for ``idle_s`` seconds (after ``chunks``
    chunks), or the stream ended without a single chunk (``ended``)."""

    def __init__(self, *, idle_s: float, chunks: int, ended: bool = False) -> None:
        super().__init__(f"no progress for {idle_s:g} s after {chunks} chunks")
        self.idle_s = idle_s
        self.chunks = chunks
        self.ended = ended


class OutOfTime(Exception):
    """The model's time for one brief (MIXCHAT_LLM_DEADLINE_S, ``seconds``) ran out during a
    request, after ``chunks`` chunks of its reply."""

    def __init__(self, *, seconds: float, chunks: int) -> None:
        super().__init__(f"out of time ({seconds:g} s) after {chunks} chunks")
        self.seconds = seconds
        self.chunks = chunks


def out_of_time_text(seconds: float) -> str:
    return f"it did not finish within {seconds:g} s (MIXCHAT_LLM_DEADLINE_S, the model's time for one brief)"


def one_line(text: str, *, limit: int = MAX_DETAIL_CHARS) -> str:
    text = re.sub(r"\s+", " ", text).strip()
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _connection_reason(error: BaseException) -> str:
    if isinstance(error, openai.APITimeoutError):
        return "timed out"
    cause: BaseException | None = error
    while cause is not None:
        text = str(cause).lower()
        if isinstance(cause, ConnectionRefusedError) or "refused" in text:
            return "connection refused"
        if isinstance(cause, TIMEOUT_ERRORS) or "timed out" in text:
            return "timed out"
        if "name or service not known" in text or "nodename nor servname" in text:
            return "unknown host"
        cause = cause.__cause__ or cause.__context__
    return one_line(str(error)) or type(error).__name__


def _status_detail(error: openai.APIStatusError) -> str:
    body = error.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
        if message:
            return one_line(str(message))
    return one_line(error.message or "")


def planner_error(
    error: BaseException, *, base_url: str, model: str, secret: str | None
) -> PlannerError:
    """One line saying what went wrong, where, and what to do (never the key)."""
    where = f"the LLM server at {base_url}"
    if isinstance(error, NoProgress):
        text = _no_progress_text(error, where)
    elif isinstance(error, OutOfTime):
        text = f"the model at {base_url} {out_of_time_text(error.seconds).removeprefix('it ')}"
    elif isinstance(error, openai.BadRequestError) and CONTEXT_WORDS.search(_status_detail(error)):
        text = (
            f"{where} says the prompt does not fit the model's context (HTTP 400: "
            f"{_status_detail(error)}); give the server a larger context (llama.cpp --n_ctx, "
            "Ollama num_ctx) or lower MIXCHAT_LLM_PROMPT_TOKENS / MIXCHAT_LLM_MAX_TOKENS"
        )
    elif isinstance(error, (openai.APIConnectionError, *TRANSPORT_ERRORS)):
        reason = _connection_reason(error)
        text = f"{where} did not answer ({reason}); check OPENAI_BASE_URL or {OFFLINE_HINT}"
    elif isinstance(error, openai.AuthenticationError):
        text = f"{where} refused the API key (HTTP 401); check OPENAI_API_KEY or {OFFLINE_HINT}"
    elif isinstance(error, openai.PermissionDeniedError):
        text = f"{where} denied access (HTTP 403); check OPENAI_API_KEY or {OFFLINE_HINT}"
    elif isinstance(error, openai.NotFoundError):
        text = (
            f"{where} does not know model={model!r} or the endpoint (HTTP 404: "
            f"{_status_detail(error)}); check MIXCHAT_MODEL and OPENAI_BASE_URL"
        )
    elif isinstance(error, openai.RateLimitError):
        text = f"{where} is rate-limiting (HTTP 429); wait and try again or {OFFLINE_HINT}"
    elif isinstance(error, openai.APIStatusError):
        text = (
            f"{where} failed (HTTP {error.status_code}: {_status_detail(error)}); "
            f"try again or {OFFLINE_HINT}"
        )
    else:
        detail = one_line(f"{type(error).__name__}: {error}")
        text = f"the reply from {where} could not be used ({detail}); try again or {OFFLINE_HINT}"
    return PlannerError(scrub(one_line(text, limit=400), secret=secret))


def _no_progress_text(error: NoProgress, where: str) -> str:
    if error.ended:
        return f"{where} ended its streamed reply without sending anything; try again or {OFFLINE_HINT}"
    if error.chunks:
        return (
            f"{where} stopped sending: nothing for {error.idle_s:g} s after {error.chunks} "
            f"chunks of its reply (MIXCHAT_LLM_TIMEOUT_S counts time without progress); "
            f"check the server or {OFFLINE_HINT}"
        )
    return (
        f"{where} sent no token for {error.idle_s:g} s (MIXCHAT_LLM_TIMEOUT_S counts time "
        f"without progress; a slow model on a long prompt may need more); check the server "
        f"or {OFFLINE_HINT}"
    )


CLIENT_ERRORS: tuple[type[BaseException], ...] = (
    openai.OpenAIError,
    httpx.HTTPError,
    TRANSPORT.HTTPError,
    ValueError,
    NoProgress,
)


def short_error(error: PlannerError) -> str:
    """The planner error's reason, without the server's address or what to do about it."""
    text = str(error).rsplit("; ", 1)[0]
    text = re.sub(r"^the LLM server at \S+ ", "the server ", text)
    return one_line(text, limit=90)
