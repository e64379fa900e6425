"""Errors of the tools layer: sessions, exports and configuration (all under ``MixError``)."""

from __future__ import annotations

from mixchat.dsp.errors import AudioWriteError, MixError


class SessionError(MixError):
    """A session folder or version that is missing, unreadable or would be overwritten."""


class ExportError(AudioWriteError):
    """An export destination that cannot be written."""


class ConfigError(MixError):
    """An environment variable or config-file setting with a value mixchat cannot use."""
