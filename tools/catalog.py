"""The full tool catalogue: importing this module registers every tool."""

from mixchat.tools import (  # noqa: F401  (importing registers the tools)
    bus_tools,
    cleanup_tools,
    record_tools,
    track_tools,
)
from mixchat.tools.base import REGISTRY, ToolCall, ToolContext, apply_call, apply_calls

__all__ = ["REGISTRY", "ToolCall", "ToolContext", "apply_call", "apply_calls"]
