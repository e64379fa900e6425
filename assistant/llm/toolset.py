"""The tools a brief can need, as compact schemas, within a token budget.

The offline reader's frame decides: each concept it finds (brightness, level, width, reverb, a
section...) names the tool categories it needs (the categories each tool was registered with)
and the one tool that most directly does it, and only those tools are offered, the most direct
first. A brief the reader cannot place gets the general set (level, tone, stereo, space,
dynamics). The schemas are derived from the tools' pydantic models as usual, then made compact
for this session: no titles, short descriptions, and ``track``/``section`` arguments limited to
the session's own names (a grammar-constrained local model can then only name a real track).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Sequence
from typing import Any

from mixchat.assistant.llm.tokens import schema_tokens
from mixchat.assistant.reading.cleanup import CLEANUP_CONCEPTS
from mixchat.assistant.reading.reader import BriefReading
from mixchat.tools.base import ToolCategory
from mixchat.tools.catalog import REGISTRY

CONCEPT_CATEGORIES: dict[str, tuple[ToolCategory, ...]] = {
    "level": ("level",),
    "level_set": ("level",),
    "buried": ("level", "tone"),
    "mute": ("level",),
    "solo": ("level",),
    "energy": ("level", "dynamics", "tone"),
    "pan": ("stereo",),
    "width": ("stereo",),
    "wet": ("space",),
    "echo": ("space",),
    "reverb_size": ("space",),
    "delay_feedback": ("space",),
    "send_off": ("space",),
    "punch": ("dynamics",),
    "compression": ("dynamics",),
    "glue": ("dynamics", "master"),
    "master": ("loudness", "master"),
    "saturation": ("tone",),
    **{fault: ("cleanup",) for fault in CLEANUP_CONCEPTS},
}
LEAD_TOOLS: dict[str, str] = {  # the one tool a concept most directly asks for
    "level": "adjust_track_gain",
    "buried": "adjust_track_gain",
    "width": "set_width",
    "pan": "set_pan",
    "mute": "set_mute",
    "solo": "set_solo",
    "level_set": "set_track_gain",
    "wet": "set_send",
    "echo": "set_send",
    "send_off": "set_send",
    "reverb_size": "set_reverb",
    "delay_feedback": "set_delay",
    "punch": "set_transient_shaper",
    "compression": "set_compressor",
    "glue": "set_master_glue",
    "saturation": "set_saturation",
    "master": "set_master",
    "high_pass": "set_high_pass",
    "low_pass": "set_low_pass",
    "hum": "remove_hum",
    "noise": "reduce_noise",
    "clicks": "declick",
    "dc_offset": "remove_dc",
    "plosives": "control_plosives",
    "rumble": "set_high_pass",
    "sibilance": "de_ess",
}
TONE_CONCEPTS = frozenset(
    {
        "brightness", "air", "warmth", "harsh", "mud", "boom", "box", "honk", "sibilance",
        "low_end", "sub", "presence", "clarity", "eq_point", "high_pass", "low_pass", "lexicon",
    }
)  # fmt: skip
TONE_LEAD = "apply_eq"
MIX_TONE_LEAD = "apply_master_eq"  # a tone brief on the whole mix
SECTION_LEAD = "automate_section"
CATEGORY_MAIN: dict[ToolCategory, str] = {  # each category's everyday tool comes first
    "level": "adjust_track_gain",
    "tone": "apply_eq",
    "stereo": "set_pan",
    "space": "set_send",
    "dynamics": "set_compressor",
    "automation": "automate_section",
}
GENERAL: tuple[ToolCategory, ...] = ("level", "tone", "stereo", "space", "dynamics", "phase")
MAX_DESCRIPTION_CHARS = 90
SCHEMA_SHARE = 0.4  # at most this part of the prompt budget goes to tool schemas


def categories_of(concept: str) -> tuple[ToolCategory, ...]:
    """The tool categories one concept needs (a tone word: EQ and filters, plus its own)."""
    if concept in TONE_CONCEPTS:
        return ("tone", *CONCEPT_CATEGORIES.get(concept, ()))
    return CONCEPT_CATEGORIES.get(concept, GENERAL)


def plan_for(reading: BriefReading, *, has_sections: bool) -> tuple[list[str], list[ToolCategory]]:
    """(the tools to lead with, the categories to offer), most relevant first."""
    lead: list[str] = []
    categories: list[ToolCategory] = []
    for clause in reading.clauses:
        on_mix = not clause.targets or any(t.kind == "mix" for t in clause.targets)
        if clause.sections and has_sections:  # a move in one section
            lead.append(SECTION_LEAD)
            categories.append("automation")
        for ask in clause.asks:
            tone = ask.concept in TONE_CONCEPTS
            lead.append(LEAD_TOOLS.get(ask.concept, TONE_LEAD if tone else ""))
            if tone and on_mix:
                lead.append(MIX_TONE_LEAD)
            categories.extend(categories_of(ask.concept))
    if not categories:
        categories = [*GENERAL, *(["automation"] if has_sections else [])]  # type: ignore[list-item]
    return [n for n in lead if n], list(dict.fromkeys(categories))


def tool_names(categories: Iterable[ToolCategory], *, first: Iterable[str] = ()) -> list[str]:
    """``first``, then the categories' tools taken in turns (each category's first tool, then
    each one's second...) so that trimming to a budget drops side tools before whole kinds.
    Only tools offered to planners (not the ones the conversation records itself)."""
    offered = REGISTRY.for_planners()
    columns = [
        sorted(
            (t.name for t in offered if category in t.categories),
            key=lambda name, c=category: name != CATEGORY_MAIN.get(c),  # type: ignore[misc]
        )
        for category in categories
    ]
    depth = max((len(c) for c in columns), default=0)
    names = [*first, *(c[i] for i in range(depth) for c in columns if i < len(c))]
    allowed = {t.name for t in offered}
    return [n for n in dict.fromkeys(names) if n in allowed]


def choose_tools(
    reading: BriefReading,
    *,
    track_names: Sequence[str],
    section_labels: Sequence[str],
    budget_tokens: int,
    previous: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Compact schemas for the brief's tools, the least relevant dropped to fit
    ``SCHEMA_SHARE`` of the budget (never fewer than one). ``previous``: the tools the last
    turn used, offered first for "a bit more" or "again"."""
    lead, categories = plan_for(reading, has_sections=bool(section_labels))
    first = [*previous, *lead] if reading.intent == "repeat" else lead
    names = tool_names(categories, first=first)
    schemas = [
        compact_schema(n, track_names=track_names, section_labels=section_labels) for n in names
    ]
    limit = int(budget_tokens * SCHEMA_SHARE)
    while len(schemas) > 1 and schema_tokens(schemas) > limit:
        schemas.pop()
    return schemas


def compact_schema(
    name: str, *, track_names: Sequence[str] = (), section_labels: Sequence[str] = ()
) -> dict[str, Any]:
    """The tool's OpenAI function schema, without titles, with short descriptions and the
    session's own track and section names as the only choices."""
    tool = REGISTRY.get(name)
    parameters = _strip(copy.deepcopy(tool.args_model.model_json_schema()))
    properties = parameters.get("properties", {})
    if track_names and "track" in properties:
        properties["track"] = _choices(properties["track"], list(track_names))
    if section_labels and "section" in properties:
        properties["section"] = _choices(properties["section"], sorted(set(section_labels)))
    return {
        "type": "function",
        "function": {
            "name": name,
            "description": _short(tool.description),
            "parameters": parameters,
        },
    }


def _strip(node: Any) -> Any:
    """No titles, no null defaults, short descriptions, whole numbers without ".0"."""
    if isinstance(node, dict):
        node.pop("title", None)
        if "default" in node and node["default"] is None:
            del node["default"]
        if "description" in node and isinstance(node["description"], str):
            node["description"] = _short(node["description"])
        for key, value in node.items():
            if isinstance(value, float) and value.is_integer():
                node[key] = int(value)
            else:
                _strip(value)
    elif isinstance(node, list):
        for value in node:
            _strip(value)
    return node


def _short(text: str) -> str:
    first = text.split(". ")[0].strip().rstrip(".")
    return (
        first if len(first) <= MAX_DESCRIPTION_CHARS else first[: MAX_DESCRIPTION_CHARS - 1] + "…"
    )


def _choices(prop: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """A string argument limited to ``names``; a nullable one stays nullable."""
    choice: dict[str, Any] = {"type": "string", "enum": names}
    if "anyOf" not in prop:
        return choice
    out: dict[str, Any] = {"anyOf": [choice, {"type": "null"}]}
    if "null" in prop.get("description", ""):
        out["description"] = prop["description"]  # what null means ("the whole mix")
    return out
