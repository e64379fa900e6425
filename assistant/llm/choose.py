"""Which planner answers: the LLM planner when one is configured (or forced), else the
embedded offline planner."""

from __future__ import annotations

import os

from mixchat.assistant.moves.planner import OfflinePlanner
from mixchat.assistant.planning.contract import Planner
from mixchat.assistant.planning.errors import PlannerError


def choose_planner() -> Planner:
    """The LLM planner when configured (or forced), else the embedded offline planner."""
    forced = os.environ.get("MIXCHAT_PLANNER", "").strip().lower()
    configured = bool(os.environ.get("OPENAI_API_KEY") or os.environ.get("OPENAI_BASE_URL"))
    if forced == "llm" or (forced != "offline" and configured):
        # Deferred: langchain takes about 0.4 s to import, and the offline path never needs it.
        from mixchat.assistant.llm.planner import LLMPlanner

        return LLMPlanner.from_environment()
    if forced not in ("", "offline", "llm"):
        raise PlannerError(f"MIXCHAT_PLANNER={forced!r} must be 'offline' or 'llm'")
    return OfflinePlanner()
