"""No key in anything the server sends: results, errors and resources are scrubbed."""

from __future__ import annotations

from typing import Any

from mixchat.assistant.planning.errors import scrub
from mixchat.tools.config import load_settings
from mixchat.tools.errors import ConfigError


def secrets() -> list[str]:
    """The configured API key (with a setting mixchat cannot read, no LLM runs, so only the
    key-shaped text is scrubbed)."""
    try:
        key = load_settings().api_key
    except ConfigError:
        return []
    return [key] if key and len(key) >= 4 else []


def clean(text: str) -> str:
    """``text`` without any configured key (or anything shaped like one)."""
    for secret in secrets():
        text = scrub(text, secret=secret)
    return scrub(text)


def clean_data(value: Any) -> Any:
    """Every string inside ``value`` (dicts and lists of them) cleaned."""
    if isinstance(value, str):
        return clean(value)
    if isinstance(value, dict):
        return {key: clean_data(item) for key, item in value.items()}
    if isinstance(value, list):
        return [clean_data(item) for item in value]
    return value
