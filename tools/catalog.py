"""The full tool catalogue: importing this module registers every tool."""

from tools import bus_tools, track_tools  # noqa: F401  (importing registers the tools)
from tools.base import REGISTRY, ToolCall, ToolContext, apply_call, apply_calls

__all__ = ["REGISTRY", "ToolCall", "ToolContext", "apply_call", "apply_calls"]
