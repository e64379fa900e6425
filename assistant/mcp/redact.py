"""No key in anything the server sends: results, errors and resources are scrubbed."""

from __future__ import annotations

import os
from typing import Any

from mixchat.assistant.planning.errors import scrub

SECRET_VARIABLES = ("OPENAI_API_KEY",)  # read from the environment only (tools.config)


def secrets() -> list[str]:
    return [v for name in SECRET_VARIABLES if len(v := os.environ.get(name, "").strip()) >= 4]


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
