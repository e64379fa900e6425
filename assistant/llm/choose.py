"""Which planner answers: the LLM planner when one is configured (or forced), else the
embedded offline planner."""

from __future__ import annotations

from mixchat.assistant.moves.planner import OfflinePlanner
from mixchat.assistant.planning.contract import Planner
from mixchat.assistant.planning.errors import PlannerError
from mixchat.tools.config import load_settings
from mixchat.tools.errors import ConfigError


def choose_planner() -> Planner:
    """The LLM planner when configured (or forced), else the embedded offline planner."""
    try:
        settings = load_settings()
    except ConfigError as error:  # the planner cannot be chosen: say why, in one line
        raise PlannerError(str(error)) from None
    if settings.planner == "llm" or (settings.planner is None and settings.llm_configured):
        # Deferred: langchain takes about 0.4 s to import, and the offline path never needs it.
        from mixchat.assistant.llm.planner import LLMPlanner

        return LLMPlanner.from_environment(settings)
    return OfflinePlanner()
