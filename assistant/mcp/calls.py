"""``apply_tools``: the client's model calls the typed mix tools directly, like the LLM planner.

The schema of its ``calls`` argument is built from the tool registry: one variant per mix tool,
whose ``args`` is exactly that tool's derived schema (the one the LLM planner is given). The
calls are checked by the same validation as every planner's (one-line errors such as
``set_pan: pan=3 must be <= 1``), all before anything is applied, and then go through the
same turn as a brief: applied, rendered, measured, versioned and explained.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from mixchat.assistant.planning.contract import Plan, PlanContext
from mixchat.dsp.errors import StateError
from mixchat.tools.base import ToolCall, validate_args
from mixchat.tools.catalog import REGISTRY

CALL_KEYS = frozenset({"tool", "args", "reason"})


def calls_schema() -> dict[str, Any]:
    """The JSON schema of a list of mix tool calls (each tool's args as the planners see it)."""
    variants = []
    for tool in REGISTRY.for_planners():
        parameters = copy.deepcopy(tool.schema()["function"]["parameters"])
        if "$ref" in str(parameters):
            raise ValueError(f"tool {tool.name!r}: its args schema uses $ref; inline it first")
        variants.append(
            {
                "type": "object",
                "title": tool.name,
                "description": tool.description,
                "properties": {
                    "tool": {"type": "string", "const": tool.name},
                    "args": parameters,
                    "reason": {
                        "type": "string",
                        "description": "Why this move (quoted in the version's reply)",
                    },
                },
                "required": ["tool", "args"],
                "additionalProperties": False,
            }
        )
    return {"type": "array", "minItems": 1, "items": {"anyOf": variants}}


def parse_calls(raw: list[Any]) -> list[ToolCall]:
    """The calls as ToolCalls, each validated against its tool (nothing is applied)."""
    if not raw:
        raise StateError("calls is empty; give at least one {tool, args} call")
    calls = []
    for index, item in enumerate(raw):
        where = f"calls[{index}]"
        if not isinstance(item, Mapping):
            raise StateError(f"{where}={item!r} must be an object {{tool, args}}")
        extra = sorted(set(item) - CALL_KEYS)
        if extra:
            raise StateError(f"{where} has unknown keys {extra}; use tool, args and reason")
        name, args = item.get("tool"), item.get("args", {})
        if not isinstance(name, str):
            raise StateError(f"{where}.tool={name!r} must be a tool name such as 'set_pan'")
        if not isinstance(args, Mapping):
            raise StateError(f"{where}.args={args!r} must be an object")
        chosen = REGISTRY.get(name)
        if chosen not in REGISTRY.for_planners():
            raise StateError(f"{where}.tool={name!r} is written by mixchat itself; call a mix tool")
        validate_args(chosen, args)
        calls.append(ToolCall(tool=name, args=dict(args), reason=str(item.get("reason") or "")))
    return calls


def calls_brief(calls: list[ToolCall]) -> str:
    """What the version records as its brief: the tools the client called."""
    return "tools: " + ", ".join(dict.fromkeys(c.tool for c in calls))


class ClientPlanner:
    """A planner whose plan is the client's own calls (the client's model planned them)."""

    name = "client"

    def __init__(self, calls: list[ToolCall], *, message: str = "") -> None:
        self.calls = calls
        self.message = message

    def plan(self, context: PlanContext) -> Plan:
        # Deferred: only this call needs the LLM planner's measures (llm.measures reads the
        # prompt module and the tool registry).
        from mixchat.assistant.llm.measures import changes_level, measures_for

        return Plan(
            intent="change",
            calls=self.calls,
            message=self.message,
            measures=measures_for(self.calls, context.state),
            level_change=changes_level(self.calls),
        )
