"""What a brief points at: a part of the mix (``TargetRef``) or a section of the song
(``SectionRef``), and the two text helpers every reading stage shares."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class TargetRef:
    kind: Literal["mix", "role", "group", "track", "all_but"]
    value: str = ""


@dataclass(frozen=True)
class SectionRef:
    label: str  # chorus, verse, bridge, intro, outro, pre_chorus; "before_chorus"
    occurrence: int | None = None  # 1-based; -1 = the last; None = every one


def blank(text: str, start: int, end: int) -> str:
    """``text`` with ``start:end`` replaced by spaces (offsets elsewhere stay valid)."""
    return text[:start] + " " * (end - start) + text[end:]


def has_phrase(text: str, phrase: str) -> bool:
    # a literal phrase: where it is not a substring the pattern need not be compiled
    return phrase in text and re.search(rf"(?<![\w]){re.escape(phrase)}(?![\w])", text) is not None
