"""Errors of the planners (under ``MixError``), and ``scrub``: no API key in any message."""

from __future__ import annotations

import re

from mixchat.dsp.errors import MixError


class PlannerError(MixError):
    """A planner (offline or LLM) that could not turn a brief into tool calls."""


KEY_SHAPE = re.compile(r"\b(sk|pk|rk)-[A-Za-z0-9_\-]{6,}")
BEARER = re.compile(r"(?i)\b(bearer\s+)[^\s,;'\"]+")


def scrub(text: str, *, secret: str | None = None) -> str:
    """``text`` with the secret (and anything that looks like an API key) replaced by ***."""
    if secret:
        text = text.replace(secret, "***")
    text = KEY_SHAPE.sub(lambda m: f"{m.group(1)}-***", text)
    return BEARER.sub(lambda m: f"{m.group(1)}***", text)


class NamedFileError(MixError):
    """A file a message names that is missing, unreadable, or neither audio nor an image."""
