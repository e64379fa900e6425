"""Strict JSON for what the command line prints and the MCP server sends."""

from __future__ import annotations

import math
from typing import Any


def json_ready(value: Any) -> Any:
    """``value`` as strict JSON data: a number that is not finite (the loudness of silence is
    -inf) becomes None, models and numpy scalars become plain values."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(key): json_ready(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [json_ready(item) for item in value]
    if value is None or isinstance(value, str | int | bool):
        return value
    if hasattr(value, "model_dump"):
        return json_ready(value.model_dump(mode="json"))
    if hasattr(value, "item"):
        return json_ready(value.item())
    return str(value)
