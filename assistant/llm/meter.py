"""What the model requests of one brief cost (tokens, requests, seconds), and its time limit:
the ``ModelReport`` that ``say --json`` shows under ``llm``."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from mixchat.assistant.llm.request import Deadline, Reply
from mixchat.assistant.planning.contract import ModelReport


@dataclass
class Meter:
    """What the requests of one brief cost."""

    estimate: int = 0
    budget: int = 0
    tools: list[str] = field(default_factory=list)
    first_prompt: int | None = None
    completion: int | None = None
    requests: int = 0
    started: float = field(default_factory=time.monotonic)
    deadline: Deadline | None = None  # the model's time for the whole brief

    def add(self, reply: Reply) -> None:
        self.requests += 1
        if self.first_prompt is None and reply.prompt_tokens:
            self.first_prompt = reply.prompt_tokens
        if reply.completion_tokens:
            self.completion = (self.completion or 0) + reply.completion_tokens

    def report(self, outcome: Any, *, why: str = "", rephrasing: str | None = None) -> ModelReport:
        counted = self.first_prompt is not None
        return ModelReport(
            outcome=outcome,
            why=why,
            rephrasing=rephrasing,
            prompt_tokens=self.first_prompt if counted else self.estimate,  # type: ignore[arg-type]
            prompt_tokens_counted_by="server"
            if counted
            else ("estimate" if self.estimate else "none"),
            prompt_tokens_estimate=self.estimate,
            prompt_budget_tokens=self.budget,
            completion_tokens=self.completion,
            requests=self.requests,
            tools_offered=list(self.tools),
            seconds=round(time.monotonic() - self.started, 2),
        )
