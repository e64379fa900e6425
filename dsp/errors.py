"""One root exception for everything mixchat refuses, with a few subclasses.

Messages quote the bad value and say what to do, e.g. ``attack_ms=-3 must be > 0``.
"""

from __future__ import annotations


class MixError(Exception):
    """Root of every error mixchat raises on purpose. Its message is one line for the user."""


class AudioFileError(MixError):
    """A stem or audio file that cannot be used (corrupt, empty, NaN, too many channels...)."""


class StateError(MixError):
    """A mix setting or tool argument that is out of range or names something unknown."""


class SessionError(MixError):
    """A session folder or version that is missing, unreadable or would be overwritten."""


class PlannerError(MixError):
    """A planner (offline or LLM) that could not turn a brief into tool calls."""


class ExportError(MixError):
    """An export destination that cannot be written."""
