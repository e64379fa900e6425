"""The LLM client's settings, read from the environment in one place.

``LLMSettings.from_environment`` is the only reader of the OPENAI_* and MIXCHAT_LLM_* variables;
every bad value is refused with one line that names the variable and its range.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from mixchat.assistant.planning.errors import PlannerError

DEFAULT_MODEL = "gpt-4o-mini"
DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT_S = 60.0
DEFAULT_RETRIES = 2
MAX_RETRIES = 5
DEFAULT_MAX_STEPS = 6
DEFAULT_MAX_TOKENS = 512
DEFAULT_PROMPT_TOKENS = 1200
TRUE_WORDS = ("1", "true", "yes", "on")
FALSE_WORDS = ("0", "false", "no", "off")


@dataclass(frozen=True)
class LLMSettings:
    """How to reach the model and how far each request may go.

    ``timeout_s`` counts time without progress: with streaming (the default) a request lives as
    long as tokens keep arriving, at most ``timeout_s`` apart; without streaming it bounds the
    whole request. ``max_tokens`` bounds every reply; ``prompt_tokens`` is the budget the
    system prompt, the tools and the brief are trimmed to (it must fit the server's context
    together with ``max_tokens``)."""

    base_url: str = DEFAULT_BASE_URL
    model: str = DEFAULT_MODEL
    key: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    retries: int = DEFAULT_RETRIES
    max_steps: int = DEFAULT_MAX_STEPS
    max_tokens: int = DEFAULT_MAX_TOKENS
    prompt_tokens: int = DEFAULT_PROMPT_TOKENS
    stream: bool = True
    fallback: bool = False

    @property
    def hosted_openai(self) -> bool:
        return self.base_url.startswith("https://api.openai.com")

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> LLMSettings:
        env = os.environ if environ is None else environ
        key = env.get("OPENAI_API_KEY", "").strip() or None
        base_url = env.get("OPENAI_BASE_URL", "").strip().rstrip("/") or None
        if key is None and base_url is None:
            raise PlannerError(
                "the LLM planner needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local "
                "OpenAI-compatible server); set one, or MIXCHAT_PLANNER=offline"
            )
        return cls(
            base_url=base_url or DEFAULT_BASE_URL,
            model=env.get("MIXCHAT_MODEL", "").strip() or DEFAULT_MODEL,
            key=key,
            timeout_s=_number(env, "MIXCHAT_LLM_TIMEOUT_S", DEFAULT_TIMEOUT_S, low=0.1, high=600),
            retries=int(
                _number(env, "MIXCHAT_LLM_RETRIES", DEFAULT_RETRIES, low=0, high=MAX_RETRIES)
            ),
            max_steps=int(_number(env, "MIXCHAT_LLM_MAX_STEPS", DEFAULT_MAX_STEPS, low=1, high=20)),
            max_tokens=int(
                _number(env, "MIXCHAT_LLM_MAX_TOKENS", DEFAULT_MAX_TOKENS, low=16, high=32768)
            ),
            prompt_tokens=int(
                _number(
                    env, "MIXCHAT_LLM_PROMPT_TOKENS", DEFAULT_PROMPT_TOKENS, low=300, high=200000
                )
            ),
            stream=_switch(env, "MIXCHAT_LLM_STREAM", default=True),
            fallback=_fallback(env),
        )


def _number(env: Mapping[str, str], name: str, default: float, *, low: float, high: float) -> float:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise PlannerError(
            f"{name}={raw!r} must be a number between {low:g} and {high:g}"
        ) from None
    if not low <= value <= high:
        raise PlannerError(f"{name}={raw!r} must be between {low:g} and {high:g}")
    return value


def _switch(env: Mapping[str, str], name: str, *, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in TRUE_WORDS or raw in FALSE_WORDS:
        return raw in TRUE_WORDS
    raise PlannerError(f"{name}={raw!r} must be 1 or 0 (on or off)")


def _fallback(env: Mapping[str, str]) -> bool:
    raw = env.get("MIXCHAT_LLM_FALLBACK", "").strip().lower()
    if raw not in ("", "offline", "none", "off", "0"):
        raise PlannerError(f"MIXCHAT_LLM_FALLBACK={raw!r} must be 'offline' or 'none'")
    return raw == "offline"
