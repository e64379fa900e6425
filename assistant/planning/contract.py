"""What a planner sees and what it returns. Both planners (offline and LLM) share these types.

A planner reads the brief, the current state and measurements, and the conversation's lineage,
and returns a ``Plan``: tool calls plus the reason for each, or a non-mix intent (undo, revert,
compare, question, clarify). The conversation layer applies, measures, versions and replies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from mixchat.assistant.planning.measures import Measure
from mixchat.dsp.cleanup.detect import StemFaults
from mixchat.dsp.masking import StemBands
from mixchat.dsp.state import MixState, Section
from mixchat.tools.base import ToolCall, ToolContext

Intent = Literal["change", "undo", "revert", "compare", "explain", "question", "clarify", "nothing"]
ModelOutcome = Literal[
    "tool_calls", "rephrased", "offline_fallback", "no_change", "answered", "read_offline"
]


@dataclass
class ModelReport:
    """What the LLM did for one brief (reported in ``say --json`` as ``llm``).

    ``outcome``: ``tool_calls`` (its valid tool calls made the version), ``rephrased`` (it made
    no valid tool call; the offline planner carried out its rephrasing of the brief),
    ``offline_fallback`` (the offline plan, because the model failed or could not help and
    MIXCHAT_LLM_FALLBACK=offline), ``no_change`` (the model made no change; ``why`` says why),
    ``answered`` (not a change brief: its text is the answer) or ``read_offline`` (a follow-up
    such as "undo" was read offline and the model was not asked). ``prompt_tokens`` is the
    first request's prompt: the server's count when it reported usage, else our estimate."""

    outcome: ModelOutcome
    why: str = ""
    rephrasing: str | None = None
    prompt_tokens: int = 0
    prompt_tokens_counted_by: Literal["server", "estimate", "none"] = "none"
    prompt_tokens_estimate: int = 0
    prompt_budget_tokens: int = 0
    completion_tokens: int | None = None
    requests: int = 0
    tools_offered: list[str] = field(default_factory=list)
    seconds: float = 0.0


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
    """A version in the lineage of the parent (newest first). ``tool_calls`` are the calls
    its planner chose: the ones the conversation records itself (loudness compensation,
    undo and revert) are left out."""

    version: int
    parent: int | None
    kind: str
    brief: str
    tool_calls: tuple[ToolCall, ...]
    state: MixState
    # what its brief named, quoted again by a follow-up ("a bit more" of "warmer": the centroid)
    measures: tuple[Measure, ...] = ()


@dataclass
class PlanContext:
    """What a planner sees. The looks at the parent's tracks that need a render are lazy and
    cached by whoever builds the context (the turn's ``build_context``): the masking between
    tracks, each track's band/frame powers post-fader (``stem_bands``, for masking moves) and
    its own mid/side energies and channel count (``stereo``, for width moves). Their
    defaults see nothing, and the moves then fall back to what the metrics hold."""

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
    progress: Callable[[str], None] = field(default=lambda label: None)
    stem_bands: Callable[[str], StemBands | None] = field(default=lambda name: None)
    stereo: Callable[[], dict[str, dict[str, float]]] = field(default=lambda: {})
    faults: Callable[[str], StemFaults | None] = field(default=lambda name: None)
    # parts an earlier clause of the brief moved on their faders ("vocal up 2 dB, and less
    # mud in the mix"): a later clause's EQ on them is level-matched (the turn holds them)
    levelled: frozenset[str] = frozenset()
    # the fader moves (dB by track) those clauses said: a band the brief names is judged
    # against the mix as it was before them ("vocal up, and less 300": less than before)
    faded_db: tuple[tuple[str, float], ...] = ()

    @property
    def tool_context(self) -> ToolContext:
        return ToolContext(
            sections=self.sections,
            duration_s=self.duration_s,
            sample_rate=self.sample_rate,
            faults=self.faults,
        )


@dataclass(frozen=True)
class BlendAim:
    """A follow-up that blends two versions' states ("halfway back"): ``new`` (the parent's)
    taken ``fraction`` of the way to ``old`` (version ``old_version``'s). The turn lands it on
    that share of the measured change, not only of the settings: half a compressor's ratio
    is rarely half its effect."""

    new: MixState
    old: MixState
    old_version: int
    fraction: float
    # the measures the landing reads (the ones the settings moved; the plan's own measures
    # when empty): the reply also quotes what the last brief named, which may follow less
    landed_on: tuple[Measure, ...] = ()


@dataclass
class Plan:
    intent: Intent
    calls: list[ToolCall] = field(default_factory=list)
    message: str = ""
    measures: list[Measure] = field(default_factory=list)
    level_change: bool = False
    # tracks the turn level-matches after the calls (their insert output's loudness kept):
    # "punchier" is not "louder"
    held_levels: tuple[str, ...] = ()
    blend: BlendAim | None = None
    target_versions: tuple[int, ...] = ()
    notes: list[str] = field(default_factory=list)
    planner: str | None = None  # set when another planner answered (e.g. the offline fallback)
    model: ModelReport | None = None  # set by the LLM planner


class Planner(Protocol):
    name: str

    def plan(self, context: PlanContext) -> Plan: ...
