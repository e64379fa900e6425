"""The LLM client's settings: what ``mixchat.tools.config`` read (the one place that reads the
environment and the config file), resolved for the client.
"""

from __future__ import annotations

from dataclasses import dataclass

from mixchat.assistant.planning.errors import PlannerError
from mixchat.tools.config import DEFAULT_MODEL, Settings

DEFAULT_BASE_URL = "https://api.openai.com/v1"
DEFAULT_TIMEOUT_S = Settings.model_fields["llm_timeout_s"].default
DEFAULT_MAX_TOKENS = Settings.model_fields["llm_max_tokens"].default
DEFAULT_PROMPT_TOKENS = Settings.model_fields["llm_prompt_tokens"].default


@dataclass(frozen=True)
class LLMSettings:
    """How to reach the model and how far each request may go.

    ``timeout_s`` counts time without progress: with streaming (the default) a request lives as
    long as tokens keep arriving, at most ``timeout_s`` apart; without streaming it bounds the
    whole request. ``max_tokens`` bounds every reply; ``prompt_tokens`` is the budget the
    system prompt, the tools and the brief are trimmed to (it must fit the server's context
    together with ``max_tokens``). ``deadline_s`` bounds the model's part of one brief, all its
    requests together: what the model did by then is kept, and the brief ends. ``key`` is never
    shown."""

    base_url: str = DEFAULT_BASE_URL
    model: str = DEFAULT_MODEL
    key: str | None = None
    timeout_s: float = DEFAULT_TIMEOUT_S
    deadline_s: float = Settings.model_fields["llm_deadline_s"].default
    retries: int = Settings.model_fields["llm_retries"].default
    max_steps: int = Settings.model_fields["llm_max_steps"].default
    max_tokens: int = DEFAULT_MAX_TOKENS
    prompt_tokens: int = DEFAULT_PROMPT_TOKENS
    stream: bool = True
    fallback: bool = False

    @property
    def hosted_openai(self) -> bool:
        return self.base_url.startswith("https://api.openai.com")

    @classmethod
    def from_config(cls, settings: Settings) -> LLMSettings:
        if not settings.llm_configured:
            raise PlannerError(
                "the LLM planner needs OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local "
                "OpenAI-compatible server); set one, or MIXCHAT_PLANNER=offline"
            )
        return cls(
            base_url=settings.openai_base_url or DEFAULT_BASE_URL,
            model=settings.model,
            key=settings.api_key,
            timeout_s=settings.llm_timeout_s,
            deadline_s=settings.llm_deadline_s,
            retries=settings.llm_retries,
            max_steps=settings.llm_max_steps,
            max_tokens=settings.llm_max_tokens,
            prompt_tokens=settings.llm_prompt_tokens,
            stream=settings.llm_stream,
            fallback=settings.llm_fallback == "offline",
        )

    def __repr__(self) -> str:  # the key stays out of every repr (and so of every log)
        shown = {**self.__dict__, "key": "***" if self.key else None}
        return f"LLMSettings({', '.join(f'{k}={v!r}' for k, v in shown.items())})"
