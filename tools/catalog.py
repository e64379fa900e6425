"""The full tool catalogue: importing this module registers every tool."""

from mixchat.tools import bus_tools, track_tools  # noqa: F401  (importing registers the tools)
from mixchat.tools.base import REGISTRY, ToolCall, ToolContext, apply_call, apply_calls

__all__ = ["REGISTRY", "ToolCall", "ToolContext", "apply_call", "apply_calls"]
