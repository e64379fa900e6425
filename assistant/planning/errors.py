"""Errors of the planners (under ``MixError``)."""

from __future__ import annotations

from mixchat.dsp.errors import MixError


class PlannerError(MixError):
    """A planner (offline or LLM) that could not turn a brief into tool calls."""
