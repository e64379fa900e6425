"""Errors of the MCP server (under ``MixError``)."""

from __future__ import annotations

from mixchat.dsp.errors import MixError


class AccessError(MixError):
    """A path outside the folders this server may read or write, or a name it will not serve."""
