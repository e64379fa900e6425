"""Errors of the tools layer: sessions, exports and configuration (all under ``MixError``)."""

from __future__ import annotations

import errno

from mixchat.dsp.errors import AudioWriteError, MixError


class SessionError(MixError):
    """A session folder or version that is missing, unreadable or would be overwritten."""


class ExportError(AudioWriteError):
    """An export destination that cannot be written."""


class ConfigError(MixError):
    """An environment variable or config-file setting with a value mixchat cannot use."""


def os_error_message(error: OSError) -> str:
    """One line for a failed read or write: the file, the reason, what to do."""
    where = f"{error.filename}: " if error.filename else ""
    hint = (
        "free some disk space and run it again"
        if error.errno == errno.ENOSPC
        else "check the path and its permissions"
    )
    return f"{where}{error.strerror or error}; {hint} (saved versions are intact)"
