"""What a planner sees and what it returns. Both planners (offline and LLM) share these types.

A planner reads the brief, the current state and measurements, and the conversation's lineage,
and returns a ``Plan``: tool calls plus the reason for each, or a non-mix intent (undo, revert,
compare, question, clarify). The conversation layer applies, measures, versions and replies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from mixchat.dsp.cleanup.detect import StemFaults
from mixchat.dsp.state import MixState, Section
from mixchat.tools.base import ToolCall, ToolContext

Intent = Literal["change", "undo", "revert", "compare", "explain", "question", "clarify", "nothing"]


@dataclass(frozen=True)
class TrackFacts:
    """One track as it sits in the current mix (post inserts and fader, before automation)."""

    name: str
    role: str
    lufs: float
    band_energies_db: dict[str, float]
    spectral_centroid_hz: float
    crest_factor_db: float


@dataclass(frozen=True)
class PastTurn:
    """A version in the lineage of the parent (newest first)."""

    version: int
    parent: int | None
    kind: str
    brief: str
    tool_calls: tuple[ToolCall, ...]
    state: MixState


@dataclass
class PlanContext:
    brief: str
    state: MixState
    parent_version: int
    sections: tuple[Section, ...]
    duration_s: float
    sample_rate: int
    tempo_bpm: float | None
    genre: str | None
    metrics: dict[str, Any]
    tracks: dict[str, TrackFacts]
    lineage: list[PastTurn]
    masking: Callable[[], list[dict[str, Any]]] = field(default=lambda: [])
    faults: Callable[[str], StemFaults | None] = field(default=lambda name: None)

    @property
    def tool_context(self) -> ToolContext:
        return ToolContext(
            sections=self.sections,
            duration_s=self.duration_s,
            sample_rate=self.sample_rate,
            faults=self.faults,
        )


@dataclass
class Plan:
    intent: Intent
    calls: list[ToolCall] = field(default_factory=list)
    message: str = ""
    measures: list[str] = field(default_factory=list)
    level_change: bool = False
    target_versions: tuple[int, ...] = ()
    notes: list[str] = field(default_factory=list)
    planner: str | None = None  # set when another planner answered (e.g. the offline fallback)


class Planner(Protocol):
    name: str

    def plan(self, context: PlanContext) -> Plan: ...
