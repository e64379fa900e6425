"""The embedded planner: reads the brief (brief_reader) and picks moves from the analysis
(moves, moves_level, moves_masking, moves_space, moves_dynamics), or answers a follow-up (undo, revert, compare, explain, more, less)."""

from __future__ import annotations

import re

from mixchat.assistant.knowledge.ask import answer_question
from mixchat.assistant.moves.cleanup import cleanup_move
from mixchat.assistant.moves.dynamics import (
    compress_move,
    glue_move,
    master_move,
    punch_move,
    saturation_move,
)
from mixchat.assistant.moves.followup import halfway_back
from mixchat.assistant.moves.level import buried_move, level_db, level_move
from mixchat.assistant.moves.masking import carve
from mixchat.assistant.moves.params import PARAMETER_CONCEPTS, parameter_move
from mixchat.assistant.moves.space import length_move, send_move, width_move
from mixchat.assistant.moves.tone import (
    BAND_SPECS,
    SHELVES,
    MoveSet,
    band_move,
    shelf_move,
    tilt_move,
)
from mixchat.assistant.planning.contract import Plan, PlanContext
from mixchat.assistant.planning.measures import TrackLevel, Width
from mixchat.assistant.reading.cleanup import CLEANUP_CONCEPTS
from mixchat.assistant.reading.reader import BriefReading, Clause, TargetRef, ceiling_db, read_brief
from mixchat.assistant.reading.vocab import DRUM_ROLES, VOCAL_ROLES
from mixchat.tools.base import ToolCall
from mixchat.tools.catalog import REGISTRY

APPROXIMATE_SCALE = 0.5
FOLLOWUP_INTENTS = ("repeat", "back_off")


def is_vocal(role: str) -> bool:
    return role in VOCAL_ROLES or "vocal" in role


def resolve(
    refs: tuple[TargetRef, ...], context: PlanContext
) -> tuple[list[str] | None, list[str], list[str]]:
    """Track names for the refs (None = the whole mix), the excluded names, and notes."""
    audible = [t for t in context.state.audible_tracks()]
    names: list[str] = []
    excluded: list[str] = []
    notes: list[str] = []
    for ref in refs:
        if ref.kind == "mix":
            continue
        if ref.kind == "track":
            names.append(ref.value)
        elif ref.kind == "all_but":
            excluded = _role_or_group(ref.value, audible)
            names.extend(t.name for t in audible if t.name not in excluded)
        else:
            found = (
                _role_or_group(ref.value, audible)
                if ref.kind == "group"
                else _role(ref.value, audible)
            )
            if not found:
                notes.append(f"there is no {ref.value.replace('_', ' ')} track in this mix")
            elif ref.kind == "role" and ref.value in DRUM_ROLES and ref.value != "drums":
                kit = [n for n in found if context.state.track(n).role == "drums"]
                if kit and len(kit) == len(found):
                    notes.append(
                        f"there is no {ref.value.replace('_', ' ')} stem, so this acts on the "
                        f"whole kit ({', '.join(kit)})"
                    )
            names.extend(found)
    if not names:
        return (None if not notes else []), excluded, notes
    return [t.name for t in context.state.tracks if t.name in names], excluded, notes


def _role(role: str, tracks) -> list[str]:
    hits = [t.name for t in tracks if t.role == role or (role == "vocal" and is_vocal(t.role))]
    if not hits:
        hits = [
            t.name for t in tracks if role.replace("_", " ") in t.name.lower().replace("_", " ")
        ]
    if not hits and role in DRUM_ROLES:
        hits = [t.name for t in tracks if t.role == "drums"]
    return hits


def _role_or_group(value: str, tracks) -> list[str]:
    if value == "drums":
        return [t.name for t in tracks if t.role in DRUM_ROLES] or _role("drum", tracks)
    if value == "band":
        return [t.name for t in tracks if not is_vocal(t.role)]
    if value == "rhythm":
        return [t.name for t in tracks if t.role in DRUM_ROLES or t.role == "bass"]
    if value == "synths":
        return [
            t.name
            for t in tracks
            if t.role in ("lead", "pad", "synth") or "synth" in t.name.lower()
        ]
    return _role(value, tracks)


class OfflinePlanner:
    name = "offline"

    def plan(self, context: PlanContext) -> Plan:
        tracks = [(t.name, t.role) for t in context.state.tracks]
        reading = read_brief(context.brief, tracks=tracks)
        return self._plan_reading(reading, context, scale=1.0)

    # --- intents ------------------------------------------------------------------------
    def _plan_reading(self, reading: BriefReading, context: PlanContext, *, scale: float) -> Plan:
        intent = reading.intent
        if intent == "undo":
            return Plan(intent="undo", message="Undoing the last change.")
        if intent == "revert":
            return Plan(intent="revert", target_versions=reading.versions)
        if intent == "compare":
            versions = reading.versions
            if len(versions) == 1:
                versions = (versions[0], context.parent_version)
            if not versions:
                latest = context.lineage[0] if context.lineage else None
                if latest is None or latest.parent is None:
                    return Plan(intent="clarify", message="There is no earlier version yet.")
                versions = (latest.parent, latest.version)
            return Plan(intent="compare", target_versions=versions)
        if intent == "explain":
            return Plan(intent="explain", message=explain_parent(context))
        if intent == "question":
            return Plan(intent="question", message=answer(context.brief))
        if intent == "clarify":
            return clarify(reading)
        if intent == "repeat":
            return self._repeat(reading, context)
        if intent == "back_off":
            return back_off(reading, context)
        return self._change(reading, context, scale=scale)

    def _repeat(self, reading: BriefReading, context: PlanContext) -> Plan:
        tracks = [(t.name, t.role) for t in context.state.tracks]
        for turn in context.lineage:
            if turn.kind != "brief" or not turn.brief:
                continue
            base = read_brief(turn.brief, tracks=tracks)
            if base.intent == "change":
                plan = self._change(base, context, scale=reading.scale)
                plan.message = f'More of "{turn.brief}" (x{reading.scale:g}). ' + plan.message
                return plan
            if base.intent not in FOLLOWUP_INTENTS:
                break
        return Plan(
            intent="clarify",
            message="More of what? The last version was not a "
            'change I can repeat; say what to push further, e.g. "more air".',
        )

    def _change(self, reading: BriefReading, context: PlanContext, *, scale: float) -> Plan:
        moves = MoveSet()
        lines: list[str] = []
        for word, canonical in reading.approximations:
            lines.append(
                f"I read '{word}' as '{canonical}' and made a small move; "
                "say the word differently if that is not what you meant."
            )
        # widening moves energy from mid to side, and the centroid is read on the mid:
        # a tonal move in the same brief needs more to be heard
        widening = any(
            a.concept == "width" and a.direction > 0 for c in reading.clauses for a in c.asks
        )
        for clause in reading.clauses:
            names, excluded, notes = resolve(clause.targets, context)
            lines.extend(notes)
            if names == []:
                continue
            for ask in clause.asks:
                amount = clause.amount.scale * scale
                if ask.approximate:
                    amount = min(amount, 1.0) * APPROXIMATE_SCALE
                elif widening and ask.concept in ("brightness", "warmth"):
                    amount *= 1.5
                moves.extend(plan_ask(ask, clause, context, names, excluded, amount, scale))
        lines.extend(moves.notes)
        if not moves.calls:
            return Plan(
                intent="nothing",
                message=" ".join(lines) or "Nothing to change.",
                measures=moves.measures,
            )
        return Plan(
            intent="change",
            calls=moves.calls,
            message=" ".join(lines),
            measures=moves.measures,
            level_change=moves.level_change,
            notes=list(moves.notes),
        )


def _comparative(clause: Clause) -> bool:
    """ "more mono", "a bit narrower": a step towards, not all the way."""
    return bool(re.search(r"\b(?:more|less|bit|little|touch|slightly|towards?)\b", clause.text))


def plan_ask(
    ask,
    clause: Clause,
    context: PlanContext,
    names: list[str] | None,
    excluded: list[str],
    amount: float,
    scale: float,
) -> MoveSet:
    concept, d = ask.concept, ask.direction
    explicit = names is not None
    tonal_note = MoveSet()
    if concept in CLEANUP_CONCEPTS:
        return cleanup_move(context, concept, names, amount)
    if clause.sections and concept not in ("level", "buried", "energy", "wet", "echo"):
        tonal_note.notes.append(
            "EQ and dynamics are not automated per section here, so this applies to the whole song."
        )
    if concept in BAND_SPECS:
        out = band_move(
            context, concept, direction=d, amount=amount, names=names, explicit=explicit
        )
    elif concept in SHELVES:
        out = shelf_move(context, concept, direction=d, amount=amount, names=names)
        if concept == "presence" and names and len(names) <= 2 and d > 0:
            out.extend(level_move(context, names, delta_db=0.75 * amount, sections=(), excluded=[]))
            out.level_change = False
    elif concept in ("brightness", "warmth", "energy") and not (
        concept == "energy" and clause.sections
    ):
        a = amount * (0.8 if concept == "energy" else 1.0)
        out = tilt_move(
            context,
            direction=d if concept != "warmth" else -d,
            amount=a,
            names=names,
            warm=concept == "warmth",
            word=ask.word,
        )
    elif concept == "lexicon":
        out = lexicon_move(ask, context, names, amount)
    elif concept == "clarity":
        out = band_move(
            context, "mud", direction=-1, amount=amount * 0.8, names=None, explicit=False
        )
        if names:
            for name in names[:2]:
                out.extend(carve(context, name, amount=amount * 0.8, maskers=None))
    elif concept in ("level", "energy"):
        delta = level_db(amount, clause.amount.db, d)
        if clause.amount.db is not None:
            delta *= scale
        if concept == "energy" or (names is None and clause.sections):
            delta = level_db(amount * 1.1, clause.amount.db, d) if concept == "energy" else delta
        out = level_move(
            context, names, delta_db=delta, sections=clause.sections, excluded=excluded
        )
    elif concept == "buried":
        out = buried_plan(context, names, clause, amount)
    elif concept == "width":
        out = width_move(
            context,
            names,
            direction=d,
            amount=amount,
            to_mono=ask.word == "mono" and d < 0 and (amount >= 1.5 or not _comparative(clause)),
        )
    elif concept in PARAMETER_CONCEPTS:
        out = parameter_move(context, ask, names)
    elif concept in ("reverb_size", "delay_feedback"):
        out = length_move(
            context,
            bus="reverb" if concept == "reverb_size" else "delay",
            direction=d,
            amount=amount,
        )
    elif concept in ("wet", "echo"):
        out = send_move(
            context,
            names,
            direction=d,
            amount=amount,
            bus="reverb" if concept == "wet" else "delay",
            sections=clause.sections,
        )
    elif concept == "punch":
        out = punch_move(context, names, direction=d, amount=amount)
    elif concept == "glue":
        out = glue_move(context, amount=amount, direction=d)
    elif concept == "compression":
        out = compress_move(
            context, names, direction=d, amount=amount, remove=ask.word == "uncompress"
        )
    elif concept == "saturation":
        out = saturation_move(context, names, direction=d, amount=amount)
    elif concept == "master":
        out = master_move(
            context, on=d > 0, target_lufs=ask.value, ceiling_dbtp=ceiling_db(clause.text)
        )
    else:
        out = simple_action(ask, names)
    tonal_note.extend(out)
    return tonal_note


def buried_plan(
    context: PlanContext, names: list[str] | None, clause: Clause, amount: float
) -> MoveSet:
    names = names or [n for n, t in context.tracks.items() if is_vocal(t.role)][:1]
    if not names:
        out = MoveSet()
        out.notes.append("Which track is buried? Name it (e.g. 'the vocal is buried').")
        return out
    vocal = (
        [n for n in names if is_vocal(context.tracks[n].role)]
        if all(n in context.tracks for n in names)
        else []
    )
    target = vocal[0] if vocal else names[-1]
    maskers = [n for n in names if n != target] or None
    return buried_move(context, target, amount=amount, sections=clause.sections, maskers=maskers)


def lexicon_move(ask, context: PlanContext, names: list[str] | None, amount: float) -> MoveSet:
    descriptor = ask.descriptor
    shape = list(getattr(descriptor, "eq_moves", ()) or ())
    shape = [b for b in shape if abs(b.gain_db) >= 1.0]
    if not shape:
        return MoveSet(notes=[f"I know '{ask.word}' but not as an EQ move yet."])
    if ask.direction < 0:
        shape = [b.model_copy(update={"gain_db": -b.gain_db}) for b in shape]
    return tilt_move(
        context,
        direction=1,
        amount=amount,
        names=names,
        shape=shape,
        word=f"'{ask.word}' (crowd-sourced EQ curve)",
    )


def simple_action(ask, names: list[str] | None) -> MoveSet:
    out = MoveSet()
    if not names:
        out.notes.append(f"'{ask.word}' needs a track: say which one.")
        return out
    for name in names:
        if ask.concept in ("mute", "solo"):
            out.calls.append(
                ToolCall(
                    tool=f"set_{ask.concept}",
                    args={"track": name, "on": ask.direction > 0},
                    reason=f"{ask.word} {name}",
                )
            )
            out.measures.append(TrackLevel(track=name))
        elif ask.concept == "pan":
            out.calls.append(
                ToolCall(
                    tool="set_pan",
                    args={"track": name, "pan": ask.value},
                    reason=f"pan {name} to {ask.value:+.2f}",
                )
            )
            out.measures.append(Width())
    return out


def back_off(reading: BriefReading, context: PlanContext) -> Plan:
    if len(context.lineage) < 2:
        return Plan(intent="nothing", message="There is no earlier version to go back towards.")
    new, old = context.lineage[0].state, context.lineage[1].state
    calls = halfway_back(new, old, reading.scale)
    if not calls:
        return Plan(intent="nothing", message="The last version changed nothing I can halve.")
    level = any("loudness" in REGISTRY.categories(c.tool) for c in calls)
    return Plan(
        intent="change",
        calls=calls,
        level_change=level,
        message=f"Took the last change {reading.scale:.0%} of the way back "
        f'("{context.lineage[0].brief}").',
        measures=[],
    )


def explain_parent(context: PlanContext) -> str:
    if not context.lineage:
        return "Nothing has changed yet."
    turn = context.lineage[0]
    if not turn.tool_calls:
        return f"Version {turn.version} ({turn.kind}) made no tool calls."
    lines = [f'Version {turn.version} ("{turn.brief or turn.kind}"):']
    for call in turn.tool_calls:
        args = ", ".join(f"{k}={v}" for k, v in call.args.items())
        lines.append(f"- {call.tool}({args})" + (f": {call.reason}" if call.reason else ""))
    return "\n".join(lines)


def answer(question: str) -> str:
    return answer_question(question).answer


OUT_OF_SCOPE = (
    (
        r"\bside ?chain\w*|\bduck(?:ing|ed)?\b|\bpump(?:ing)?\b",
        "Sidechain compression is not in mixchat's engine yet. For a kick and bass that "
        'clash I can carve them apart with EQ: say "the kick and bass are fighting".',
    ),
    (
        r"\bauto ?tune\b|\bpitch\w*\b|\bout of tune\b|\btuning\b",
        "Tuning is an edit, not a mix move: fix the pitch in your DAW (Melodyne, Auto-Tune) "
        "and export the stem again.",
    ),
    (
        r"\bquanti[sz]\w*|\bout of time\b|\btiming\b|\boff (?:the )?beat\b",
        "Timing is an edit, not a mix move: tighten it in your DAW and export the stem again.",
    ),
    (
        r"\btoo long\b|\btoo short\b|\bshorter\b|\blonger\b|\brearrange\w*",
        "The arrangement (length, order, sections) is set in your DAW; I mix what is there. "
        'I can make a section louder or quieter, e.g. "drop the intro by 3 dB".',
    ),
    (
        r"\bsounds? like\b|\blike (?:the )?(?:record|song|track|mix) (?:by|from)\b",
        "I cannot match an artist by name. Give me a reference track "
        "(mixchat master MIX --reference REF.wav) or describe the sound you want "
        "(darker, wider, punchier, more vocal).",
    ),
)


def clarify(reading: BriefReading) -> Plan:
    text = reading.text.lower()
    for pattern, message in OUT_OF_SCOPE:
        if re.search(pattern, text):
            return Plan(intent="clarify", message=f"{message} Nothing changed.")
    words = ", ".join(f"'{w}'" for w in reading.unknown[:3])
    near = ", ".join(reading.suggestions)
    if words:
        text = f"I don't know {words} as a mixing word. Did you mean {near}? Nothing changed."
    else:
        text = f"I could not find a change in that. Try words like {near}. Nothing changed."
    return Plan(intent="clarify", message=re.sub(r"\s+", " ", text))
