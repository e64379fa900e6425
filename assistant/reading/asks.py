"""One thing a brief asks for: a concept, its direction and the word that said it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Ask:
    concept: str
    direction: int
    word: str
    approximate: bool = False
    value: float | None = None
    descriptor: Any = None
