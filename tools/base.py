"""Typed tools with derived schemas: the one surface both planners call.

A tool is a pure function ``(state, args, context) -> Change``. Its arguments are a pydantic
model with units in the field names and bounds; the JSON schema the LLM sees is derived from
that model, so the offline planner, the LLM and the tests all go through the same validation.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from mixchat.dsp.cleanup.detect import StemFaults
from mixchat.dsp.errors import MixError, StateError
from mixchat.dsp.state import MixState, Section, TrackState, validation_message

A = TypeVar("A", bound=BaseModel)

ToolCategory = Literal[
    "level",  # a track's level in the mix: fader, trim, mute, solo
    "loudness",  # the loudness of the whole mix or of sections, on purpose: master, section rides
    "tone",  # EQ, filters, saturation
    "dynamics",  # compressors, gates, transient shaping
    "stereo",  # pan and width
    "space",  # the reverb and delay buses and the sends to them
    "automation",  # per-section offsets
    "master",  # the master chain
    "phase",  # polarity
    "cleanup",  # repairs on a track's raw stem: hum, noise, clicks, DC, esses, plosives
    "role",  # what a track is (kick, vocal, keys...)
    "record",  # written into a version by the conversation itself (loudness compensation,
    # undo, revert) so that its tool calls replay to its state; not offered to planners
]


class ToolArgs(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


@dataclass(frozen=True)
class ToolContext:
    """What a tool may read besides the state: the song's sections and length, and what the
    clean-up detectors found on a track's raw stem (``faults(track_name)``; None without
    stems, e.g. in a test), which the clean-up tools use for what a call leaves out."""

    sections: tuple[Section, ...] = ()
    duration_s: float = 0.0
    sample_rate: int = 44100
    faults: Callable[[str], StemFaults | None] | None = None


@dataclass(frozen=True)
class Change:
    state: MixState
    summary: str
    reason: str = ""


class ToolCall(BaseModel):
    model_config = ConfigDict(frozen=True)

    tool: str
    args: dict[str, Any] = {}
    reason: str = ""

    def record(self) -> dict[str, Any]:
        return {"tool": self.tool, "args": dict(self.args)}


@dataclass(frozen=True)
class Tool(Generic[A]):
    name: str
    description: str
    args_model: type[A]
    fn: Callable[[MixState, A, ToolContext], Change]
    categories: frozenset[ToolCategory] = frozenset()

    def schema(self) -> dict[str, Any]:
        """The OpenAI-style function schema, derived from the args model."""
        parameters = self.args_model.model_json_schema()
        parameters.pop("title", None)
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": parameters,
            },
        }


@dataclass
class Registry:
    tools: dict[str, Tool[Any]] = field(default_factory=dict)

    def register(self, tool: Tool[Any]) -> None:
        if tool.name in self.tools:
            raise ValueError(f"tool {tool.name!r} registered twice")
        self.tools[tool.name] = tool

    def get(self, name: str) -> Tool[Any]:
        if name not in self.tools:
            close = difflib.get_close_matches(name, list(self.tools), n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise StateError(f"tool={name!r} does not exist{hint}")
        return self.tools[name]

    def categories(self, name: str) -> frozenset[ToolCategory]:
        """The categories a tool was registered with (none for a name that is not a tool)."""
        found = self.tools.get(name)
        return found.categories if found else frozenset()

    def for_planners(self) -> list[Tool[Any]]:
        """The tools a planner may call: all but the ones the conversation records itself."""
        return [t for t in self.tools.values() if "record" not in t.categories]

    def schemas(self) -> list[dict[str, Any]]:
        """The function schemas the LLM planner is offered."""
        return [tool.schema() for tool in self.for_planners()]

    def describe(self) -> list[dict[str, str]]:
        return [{"name": t.name, "description": t.description} for t in self.for_planners()]


REGISTRY = Registry()


def tool(
    name: str, description: str, *, categories: tuple[ToolCategory, ...]
) -> Callable[[Callable[[MixState, A, ToolContext], Change]], Tool[A]]:
    """Register ``fn`` as a tool; the args model is read from its second parameter's annotation.
    ``categories`` say what the tool works on: the planners, the measures a reply quotes and
    the loudness compensation read them instead of lists of tool names."""

    def decorate(fn: Callable[[MixState, A, ToolContext], Change]) -> Tool[A]:
        args_model = fn.__annotations__["args"]
        if isinstance(args_model, str):
            args_model = fn.__globals__[args_model]
        registered: Tool[A] = Tool(
            name=name,
            description=description,
            args_model=args_model,
            fn=fn,
            categories=frozenset(categories),
        )
        REGISTRY.register(registered)
        return registered

    return decorate


def validate_args(tool_: Tool[A], args: Mapping[str, Any]) -> A:
    try:
        return tool_.args_model.model_validate(dict(args))
    except ValidationError as error:
        raise StateError(f"{tool_.name}: {validation_message(error)}") from None


def apply_call(state: MixState, call: ToolCall, context: ToolContext) -> Change:
    """Validate and apply one call. Raises StateError with a one-line message."""
    chosen = REGISTRY.get(call.tool)
    args = validate_args(chosen, call.args)
    change = chosen.fn(state, args, context)
    return Change(state=change.state, summary=change.summary, reason=call.reason or change.reason)


def apply_calls(
    state: MixState, calls: list[ToolCall], context: ToolContext
) -> tuple[MixState, list[Change]]:
    """Apply calls in order; all are validated before the result is returned. A call that
    leaves the state as it was (a pan from C to C) gives no Change: there is nothing to say."""
    changes = []
    for call in calls:
        change = apply_call(state, call, context)
        if change.state != state:
            changes.append(change)
        state = change.state
    return state, changes


def track_name_or_none(state: MixState, name: object) -> str | None:
    """The name of the track ``name`` resolves to, or None when it is not a string or names
    no single track (a model's argument checked before it is trusted)."""
    if not isinstance(name, str):
        return None
    try:
        return resolve_track(state, name).name
    except MixError:
        return None


def resolve_track(state: MixState, name: str) -> TrackState:
    """A track by exact name, case-insensitive name, or a unique role or name fragment."""
    if not state.tracks:
        raise StateError("this mix has no tracks")
    wanted = name.strip().lower()
    matchers: tuple[Callable[[TrackState], bool], ...] = (
        lambda t: t.name == name,
        lambda t: t.name.lower() == wanted,
        lambda t: t.role == wanted,
        lambda t: wanted in t.name.lower(),
    )
    for matches in matchers:
        hits = [t for t in state.tracks if matches(t)]
        if len(hits) == 1:
            return hits[0]
        if len(hits) > 1:
            names = [t.name for t in hits]
            raise StateError(f"track={name!r} matches several tracks {names}; name one of them")
    raise StateError(f"track={name!r} is not in this mix; tracks are {state.track_names()}")
