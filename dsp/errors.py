"""The root exception for everything mixchat refuses, and the engine's own subclasses.

Messages quote the bad value and say what to do, e.g. ``attack_ms=-3 must be > 0``.
Each layer adds its errors beside its code, all under ``MixError``: ``mixchat.tools.errors``
(sessions, exports) and ``mixchat.assistant.planning.errors`` (planners).
"""

from __future__ import annotations


class MixError(Exception):
    """Root of every error mixchat raises on purpose. Its message is one line for the user."""


class AudioFileError(MixError):
    """A stem or audio file that cannot be used (corrupt, empty, NaN, too many channels...)."""


class AudioWriteError(MixError):
    """An audio file that cannot be written (unknown format, wrong shape, unwritable path)."""


class StateError(MixError):
    """A mix setting or tool argument that is out of range or names something unknown."""
