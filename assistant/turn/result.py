"""What one turn gives back to the command line (``say --json``, ``automix --json``) and the
chat UI: the version it made (or None), its parent, the planner, the tool calls the version
records and the reply."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SerializerFunctionWrapHandler, model_serializer

from mixchat.assistant.planning.contract import Intent, ModelReport
from mixchat.tools.session import ToolCallRecord, Version


class Attachment(BaseModel):
    """The file a message named and what it was taken as (``turn.files``)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["screenshot", "mix", "stem", "reference"]
    path: str
    role: str | None = None


FILE_FIELDS = ("attachment", "report", "plots")


class TurnResult(BaseModel):
    """A turn's result. A turn on a file also carries the ``attachment``, its ``report``
    (the screenshot's reading, the Mix-Check items) and the saved ``plots``; those keys
    appear in ``say --json`` only then."""

    model_config = ConfigDict(frozen=True)

    version: int | None
    parent: int | None
    planner: str
    intent: Intent = "change"
    tool_calls: tuple[ToolCallRecord, ...] = ()
    reply: str
    attachment: Attachment | None = None
    report: dict[str, Any] | None = None
    plots: tuple[str, ...] = ()

    @model_serializer(mode="wrap")
    def _without_empty_file_fields(self, handler: SerializerFunctionWrapHandler) -> dict:
        data = handler(self)
        if self.attachment is None:
            for key in FILE_FIELDS:
                data.pop(key, None)
        return data

    @classmethod
    def committed(
        cls, made: Version, *, planner: str, reply: str, intent: Intent = "change"
    ) -> TurnResult:
        """The result of a turn that made ``made``: its tool calls are the ones it records."""
        return cls(
            version=made.version,
            parent=made.parent,
            planner=planner,
            intent=intent,
            tool_calls=made.tool_calls,
            reply=reply,
        )

    @classmethod
    def no_version(cls, *, parent: int, planner: str, intent: Intent, reply: str) -> TurnResult:
        """A turn that answered without changing the mix."""
        return cls(version=None, parent=parent, planner=planner, intent=intent, reply=reply)


class ModelTurnResult(TurnResult):
    """A turn the LLM planner took part in: ``prompt_tokens`` (its first request's prompt, as
    the server counted it or as estimated) and ``llm``, what the model did (see ModelReport:
    the outcome, one line of why, its rephrasing, the tools offered, requests and seconds)."""

    prompt_tokens: int
    llm: ModelReport


class AutomixResult(TurnResult):
    """The automix's turn, with the levels a producer checks first. It always makes a change,
    so ``automix --json`` does not print an intent."""

    intent: Intent = Field(default="change", exclude=True)
    premaster_lufs: float
    true_peak_dbtp: float
    vocal_vs_band_lu: float | None
