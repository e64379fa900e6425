"""The embedded planner: reads the brief (brief_reader) and picks moves from the analysis
(moves, moves_level, moves_masking, moves_space, moves_dynamics), or answers a follow-up (undo, revert, compare, explain, more, less)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace

from mixchat.assistant.moves.cleanup import cleanup_move
from mixchat.assistant.moves.dynamics import (
    compress_move,
    glue_move,
    master_move,
    punch_move,
    saturation_move,
)
from mixchat.assistant.moves.followup import blend, blend_call, diff_measures
from mixchat.assistant.moves.level import buried_move, level_db, level_move
from mixchat.assistant.moves.masking import carve
from mixchat.assistant.moves.mood import MOODS as MOOD_FACETS
from mixchat.assistant.moves.mood import mood_move, reverb_tone_move
from mixchat.assistant.moves.params import PARAMETER_CONCEPTS, parameter_move
from mixchat.assistant.moves.space import length_move, send_move, width_move
from mixchat.assistant.moves.tone import (
    BAND_SPECS,
    SHELVES,
    MoveSet,
    band_move,
    said_band,
    shelf_move,
    tilt_move,
)
from mixchat.assistant.planning.contract import BlendAim, Plan, PlanContext
from mixchat.assistant.planning.measures import Bus, Loudness, RangeShare, TrackLevel, TrackPan
from mixchat.assistant.reading.cleanup import CLEANUP_CONCEPTS
from mixchat.assistant.reading.reader import (
    THE_REST,
    BriefReading,
    Clause,
    TargetRef,
    ceiling_db,
    read_brief,
)
from mixchat.assistant.reading.structure import LOW_PARTS
from mixchat.assistant.reading.vocab import (
    BUSY_WORDS,
    DRUM_ROLES,
    GUARDS,
    INSTRUMENT_NOUNS,
    MOODS,
    VOCAL_ROLES,
)
from mixchat.tools.base import ToolCall

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
    kept_out = [ref.value for ref in refs if ref.kind == "all_but"]
    for value in kept_out:
        spared = _role_or_group(value, audible) or _bed_holding(value, audible)
        excluded.extend(n for n in spared if n not in excluded)
        if not spared:
            notes.append(f"there is no {value.replace('_', ' ')} track in this mix to keep out")
    if excluded:
        names.extend(t.name for t in audible if t.name not in excluded)
    elif kept_out and all(ref.kind in ("all_but", "mix") for ref in refs):
        return None, [], notes  # nothing to keep out: the whole mix, as said
    for ref in refs:
        if ref.kind in ("mix", "all_but"):
            continue
        if ref.kind == "track":
            names.append(ref.value)
        else:
            found = (
                _role_or_group(ref.value, audible)
                if ref.kind == "group"
                else _role(ref.value, audible)
            )
            bed = [] if found else _bed_holding(ref.value, audible)
            if bed:
                found = bed
                notes.append(
                    f"there is no {ref.value.replace('_', ' ')} stem: it plays in the "
                    f"{', '.join(bed)} bed (the stem holding everything but the drums, bass "
                    f"and vocals), so this acts on that bed"
                )
            elif not found:
                notes.append(f"there is no {ref.value.replace('_', ' ')} track in this mix")
            elif ref.kind == "role" and ref.value in DRUM_ROLES and ref.value != "drums":
                kit = [n for n in found if context.state.track(n).role == "drums"]
                if kit and len(kit) == len(found):
                    notes.append(
                        f"there is no {ref.value.replace('_', ' ')} stem, so this acts on the "
                        f"whole kit ({', '.join(kit)})"
                    )
                elif all(context.state.track(n).role != ref.value for n in found):
                    notes.append(
                        f"there is no {ref.value.replace('_', ' ')} stem: it is carried by "
                        f"{', '.join(found)}, so this acts there"
                    )
            names.extend(found)
    if not names:
        return (None if not notes else []), excluded, notes
    known = {t.name for t in context.state.tracks}
    return [n for n in dict.fromkeys(names) if n in known], excluded, notes


# a part a song may not have on its own track: the nearest ones that carry it (the
# overheads' cymbals are in the hats stem and in a stem of the rest of the kit, if any)
NEAREST_PART = {
    "overheads": ("hats", "drums"),
    "hats": ("overheads",),
    "percussion": ("hats",),
}


# parts a separated "other" stem carries (MUSDB-style drums / bass / other / vocals)
BED_PARTS = frozenset({"guitar", "keys", "pad", "synth", "synths", "lead", "strings", "brass"})
BED_ROLE = "other"


def _bed_holding(part: str, tracks) -> list[str]:
    """The one bed stem of a song split into drums, bass, other and vocals (its role
    "other", or named "other" or "accompaniment"), when a melodic part the song has no stem
    of is asked for; [] when there is no such bed."""
    if part not in BED_PARTS:
        return []
    beds = [t for t in tracks if t.role == BED_ROLE or _bed_name(t.name)]
    rest = [t for t in tracks if t not in beds]
    split = all(t.role in DRUM_ROLES or t.role == "bass" or is_vocal(t.role) for t in rest)
    return [beds[0].name] if len(beds) == 1 and rest and split else []


def _bed_name(name: str) -> bool:
    return bool(re.fullmatch(r"(?:other|others|accompaniment|instrumental|music)s?", name.lower()))


def _role(role: str, tracks) -> list[str]:
    hits = [t.name for t in tracks if t.role == role or (role == "vocal" and is_vocal(t.role))]
    if not hits:
        hits = [
            t.name for t in tracks if role.replace("_", " ") in t.name.lower().replace("_", " ")
        ]
    if not hits:
        nearest = NEAREST_PART.get(role, ())
        hits = [t.name for t in tracks if t.role in nearest]
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
        last = context.lineage[0] if context.lineage else None
        said_before = last.brief if last is not None and last.kind == "brief" else ""
        reading = read_brief(context.brief, tracks=tracks, said_before=said_before)
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
            return clarify(reading, tracks=[t.name for t in context.state.audible_tracks()])
        if intent == "repeat":
            return self._repeat(reading, context)
        if intent == "back_off":
            return back_off(reading, context)
        return self._change(reading, context, scale=scale)

    def _repeat(self, reading: BriefReading, context: PlanContext) -> Plan:
        """ "A bit more", "again": the last change's difference once more (scaled), for
        whatever it touched."""
        return step_further(reading, context)

    def _change(self, reading: BriefReading, context: PlanContext, *, scale: float) -> Plan:
        moves = MoveSet()
        lines: list[str] = []
        for noun in dict.fromkeys(reading.unplaced):
            lines.append(
                f"There is no {noun} among your tracks, so I left the {noun} alone; name its "
                "track if it goes by another name."
            )
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
        # a part raised in the same brief (centred, often bright: the vocal) pulls the mix's
        # side/mid down and its centroid about: the width and tone moves beside it need more;
        # so does more low end ("small, make it wide and big"), which sits in the centre
        raising = any(
            (a.concept in ("level", "buried") and a.direction > 0 and c.targets)
            or (a.concept in ("low_end", "sub") and a.direction > 0)
            for c in reading.clauses
            for a in c.asks
        )
        # "brighter but not harsh": the brightening starts above the harsh band, rather than
        # a cut at 3 kHz beside a shelf from 4.5 kHz, which would take the brightening back
        asked = {(a.concept, a.direction) for c in reading.clauses for a in c.asks}
        guarded = ("brightness", 1) in asked and bool(asked & GUARDS)
        if guarded:
            lines.append(
                f"Brighter from {HARSH_BAND_TOP_HZ / 1000:g} kHz up, clear of the harsh 2–5 kHz "
                "band, so it does not get harsher."
            )
            moves.measures.append(RangeShare(low_hz=2000.0, high_hz=5000.0))
        said_apart = frozenset(FACET_OF[c] for c, _ in asked if c in FACET_OF)
        resolved = [resolve(clause.targets, context) for clause in reading.clauses]
        raised_apart = _parts_moved_apart(reading, resolved)
        heard = context  # as each clause finds the mix: after the faders said before it
        # a clause's EQ beside another clause's level keeps each part's loudness (see
        # ``moves.held`` below): the band is judged with every part held
        level_said = [
            not c.sections and any(a.concept in ("level", "level_set") for a in c.asks)
            for c in reading.clauses
        ]
        faders: list[tuple[int, set[str]]] = []  # (clause, tracks) a level ask moved ...
        equalised: list[tuple[int, set[str]]] = []  # ... and an EQ move touched
        for index, (clause, (names, excluded, notes)) in enumerate(
            zip(reading.clauses, resolved, strict=True)
        ):
            lines.extend(notes)
            if names is not None and THE_REST in clause.targets:
                # "bring the synth up and everything else down": the rest is the rest of them
                names = [n for n in names if n not in raised_apart] or names
            if names == []:
                continue
            said_faders: list[ToolCall] = []
            for ask in clause.asks:
                amount = clause.amount.scale * scale
                if ask.approximate:
                    amount = min(amount, 1.0) * APPROXIMATE_SCALE
                elif (widening or raising) and ask.concept in ("brightness", "warmth"):
                    amount *= 1.5
                elif raising and ask.concept == "width":
                    amount *= 1.4
                if guarded and (ask.concept, ask.direction) in GUARDS:
                    continue  # said by brightening above the harsh band instead
                beside_level = any(said for i, said in enumerate(level_said) if i != index)
                moved = plan_ask(
                    ask,
                    clause,
                    replace(heard, levelled=frozenset(heard.tracks)) if beside_level else heard,
                    names,
                    excluded,
                    amount,
                    scale,
                    harsh_guard=guarded,
                    said_apart=said_apart,
                )
                said_faders += [c for c in moved.calls if c.tool == "adjust_track_gain"]
                faders.append((index, _tracks_of(moved.calls, "adjust_track_gain")))
                equalised.append((index, _tracks_of(moved.calls, "apply_eq")))
                moves.extend(moved)
            # "vocal up 2 dB and less 3k on the mix": the band is judged with the vocal up
            heard = _after_faders(heard, said_faders)
        # "guitars louder, and less 3k on the mix", "drums down a dB, and the mix is boxy":
        # a part EQ'd in one clause keeps its own loudness through the EQ when another clause
        # set a level, so the level is heard against the rest as asked
        moves.held.extend(
            sorted(
                {
                    name
                    for i, levelled in faders
                    for j, cut in equalised
                    if i != j and levelled
                    for name in cut
                }
                - set(moves.held)
            )
        )
        if not moves.level_change and _every_fader_alike(moves.calls, context):
            # "turn up all the instruments and the vocal": parts said apart that together are
            # the whole mix, moved alike, are a level change of the mix, not a balance
            moves.level_change = True
            moves.measures.append(Loudness())
        lines = list(dict.fromkeys([*lines, *moves.notes]))  # a note said once
        if not moves.calls:
            return Plan(
                intent="nothing",
                message=as_sentences(lines) or "Nothing to change.",
                measures=moves.measures,
            )
        return Plan(
            intent="change",
            calls=moves.calls,
            message=as_sentences(lines),
            measures=moves.measures,
            level_change=moves.level_change,
            held_levels=tuple(moves.held),
            notes=list(moves.notes),
        )


# the mood facet an ask said on its own stands for (see ``mood.FACETS``)
FACET_OF = {
    "width": "width",
    "wet": "reverb",
    "brightness": "tilt",
    "warmth": "tilt",
    "saturation": "saturation",
    "punch": "punch",
    "glue": "glue",
    "compression": "glue",
    "low_end": "low_end",
    "sub": "low_end",
}


def _after_faders(context: PlanContext, calls: Sequence[ToolCall]) -> PlanContext:
    """``context`` with the fader moves of ``calls`` heard in its tracks' levels."""
    deltas: dict[str, float] = {}
    for call in calls:
        name = str(call.args["track"])
        deltas[name] = deltas.get(name, 0.0) + float(call.args["delta_db"])
    if not any(deltas.values()):
        return context
    tracks = {
        name: replace(
            facts,
            lufs=facts.lufs + deltas[name],
            band_energies_db={b: v + deltas[name] for b, v in facts.band_energies_db.items()},
        )
        if deltas.get(name)
        else facts
        for name, facts in context.tracks.items()
    }
    moved = frozenset(name for name, delta in deltas.items() if delta)
    faded = dict(context.faded_db)
    for name, delta in deltas.items():
        faded[name] = faded.get(name, 0.0) + delta
    return replace(
        context,
        tracks=tracks,
        levelled=context.levelled | moved,
        faded_db=tuple(sorted(faded.items())),
    )


def _tracks_of(calls: Sequence[ToolCall], tool: str) -> set[str]:
    return {str(c.args["track"]) for c in calls if c.tool == tool and c.args.get("track")}


def as_sentences(lines: list[str]) -> str:
    """Notes from several moves read as sentences: "No delay sends to take down. No reverb
    sends ...", not one run-on line."""
    said = [line.strip() for line in lines if line.strip()]
    return " ".join(
        line[0].upper() + line[1:] + ("" if line[-1] in ".!?" else ".") for line in said
    )


def _every_fader_alike(calls: list[ToolCall], context: PlanContext) -> bool:
    """Whether the calls move every audible track's fader by the same amount."""
    moved: dict[str, float] = {}
    for call in calls:
        if call.tool == "adjust_track_gain":
            name = str(call.args["track"])
            moved[name] = moved.get(name, 0.0) + float(call.args["delta_db"])
    audible = {t.name for t in context.state.audible_tracks()}
    alike = {round(v, 2) for n, v in moved.items() if n in audible}
    return len(audible) > 1 and audible <= set(moved) and len(alike) == 1 and alike != {0.0}


def _comparative(clause: Clause) -> bool:
    """ "more mono", "a bit narrower": a step towards, not all the way."""
    return bool(re.search(r"\b(?:more|less|bit|little|touch|slightly|towards?)\b", clause.text))


HARSH_BAND_TOP_HZ = 6000.0
BODY_CONCEPTS = frozenset({"low_end", "boom", "body", "warmth", "fat", "weight", "thump"})


def plan_ask(
    ask,
    clause: Clause,
    context: PlanContext,
    names: list[str] | None,
    excluded: list[str],
    amount: float,
    scale: float,
    *,
    harsh_guard: bool = False,
    said_apart: frozenset[str] = frozenset(),
) -> MoveSet:
    """The moves for one ask; ``said_apart``: the mood facets the brief asks for on their
    own ("wide and big": the width said is the width, the mood moves the rest)."""
    concept, d = ask.concept, ask.direction
    explicit = names is not None
    tonal_note = MoveSet()
    if concept == "sibilance" and names and not any(_sings(context, n) for n in names):
        # "the guitar is fizzy", "essy hats": a part without esses has its top octaves
        return band_move(context, "sizzle", direction=-1, amount=amount, names=names, explicit=True)
    if concept in CLEANUP_CONCEPTS:
        return cleanup_move(context, concept, names, amount)
    if concept == "mood" or (concept == "energy" and names and not clause.sections):
        return _mood_or_level(ask, clause, context, names, excluded, amount, said_apart)
    if concept == "eq_point" and not names:
        return _mix_eq(ask, context, amount)
    kit = _cymbals_in_kit(clause, context, names)
    if kit and concept in ("level", "buried", "presence", "brightness"):
        # "tame the cymbals", "the hats are too present", "too bright" on a full-kit stem: the
        # cymbals are the kit's top octaves, not its fader (their harshness stays the 2-5 kHz)
        up = 1 if concept == "buried" else d  # a buried part is one to bring up
        out = band_move(context, "sizzle", direction=up, amount=amount, names=kit, explicit=True)
        rest = [n for n in names or () if n not in kit]
        if rest:
            out.extend(plan_ask(ask, clause, context, rest, excluded, amount, scale))
        return out
    if concept == "presence" and names:
        return _named_presence(context, names, d, amount, attack=ask.word in _ATTACK_WORDS)
    if concept == "punch" and clause.sections and not names:
        concept = "energy"
    if concept == "lexicon":
        amount = min(amount, 1.0) * APPROXIMATE_SCALE
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
    elif concept in ("brightness", "warmth", "energy") and not (
        concept == "energy" and clause.sections
    ):
        a = amount * (0.8 if concept == "energy" else 1.0)
        if concept == "brightness" and d < 0 and names is None:
            out = mood_move(context, "dark", direction=1, amount=a, word="darker")
        else:
            out = tilt_move(
                context,
                direction=d if concept != "warmth" else -d,
                amount=a,
                names=names,
                warm=concept == "warmth",
                word=ask.word,
                above_hz=HARSH_BAND_TOP_HZ if harsh_guard and concept == "brightness" else None,
            )
    elif concept == "lexicon":
        out = lexicon_move(ask, context, names, amount)
    elif concept == "clarity" and names and ask.word in BUSY_WORDS:
        # "the keys are too busy": a part crowding the rest comes down where it is said
        out = level_move(
            context,
            names,
            delta_db=level_db(amount, None, -1),
            sections=clause.sections,
            excluded=excluded,
        )
        out.level_change = False
    elif concept == "clarity":
        out = (
            # a named part's definition is its own upper harmonics (a bass's are its 0.7-2.5 kHz)
            shelf_move(context, "presence", direction=d, amount=amount * 0.8, names=names)
            if names and d > 0
            else band_move(
                context, "mud", direction=-1, amount=amount * 0.8, names=None, explicit=False
            )
        )
        if names:
            for name in names[:2]:
                out.extend(carve(context, name, amount=amount * 0.8, maskers=None))
    elif concept in ("level", "energy"):
        if names and set(names) >= {t.name for t in context.state.audible_tracks()}:
            names = None  # every part there is, moved alike: the whole mix's level
        delta = level_db(amount, clause.amount.db, d)
        if clause.amount.db is not None:
            delta *= scale
        if concept == "energy" or (names is None and clause.sections):
            delta = level_db(amount * 1.1, clause.amount.db, d) if concept == "energy" else delta
        out = level_move(
            context, names, delta_db=delta, sections=clause.sections, excluded=excluded
        )
        # a balance move (a part against the rest, a section against the song) keeps the
        # mix loudness where it was; a level asked of the whole mix, or in dB, moves it
        out.level_change = (names is None and not clause.sections) or (
            clause.amount.db is not None and bool(clause.sections)
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
        out = parameter_move(context, ask, names, amount=amount)
    elif concept == "reverb_tone":
        out = reverb_tone_move(context, d, amount)
    elif concept in ("reverb_size", "delay_feedback"):
        bus: Bus = "reverb" if concept == "reverb_size" else "delay"
        out = length_move(context, bus=bus, direction=d, amount=amount)
        silent = [
            n for n in names or () if getattr(context.state.track(n), f"{bus}_send_db") is None
        ]
        if d > 0 and silent:
            # "put the singer in a bigger room" when the singer sends nothing: into the room
            out.extend(send_move(context, silent, direction=1, amount=amount, bus=bus, sections=()))
    elif concept in ("wet", "echo"):
        out = send_move(
            context,
            names,
            direction=d,
            amount=amount,
            bus="reverb" if concept == "wet" else "delay",
            sections=clause.sections,
        )
        if concept == "echo" and d < 0 and ask.word == "echo":
            # "less echo on my voice": most who say echo hear the reverb as often as the
            # delay, so both sends come down
            out.extend(
                send_move(
                    context,
                    names,
                    direction=d,
                    amount=amount,
                    bus="reverb",
                    sections=clause.sections,
                )
            )
    elif concept == "punch":
        # "knock harder in the low end": the EQ asked beside it lifts the body, which a
        # body-holding compressor after it would take back down
        lifted = any(a.concept in BODY_CONCEPTS and a.direction > 0 for a in clause.asks)
        out = punch_move(context, names, direction=d, amount=amount, hold_body=not lifted)
    elif concept == "glue" and d > 0 and names and len(names) == 1 and not _low(context, names[0]):
        out = _sit_in(context, names[0], amount=amount)
    elif concept == "glue":
        out = glue_move(context, amount=amount, direction=d)
    elif concept == "compression":
        said = re.search(r"\b(\d+(?:\.\d+)?)\s*(?::|to)\s*1\b", clause.text)
        out = compress_move(
            context,
            names,
            direction=d,
            amount=amount,
            remove=ask.word == "uncompress",
            ratio_said=min(20.0, max(1.0, float(said.group(1)))) if said else None,
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


CYMBAL_PARTS = ("hats", "overheads")


def _parts_moved_apart(reading: BriefReading, resolved: list) -> set[str]:
    """The tracks a brief moves in level in clauses of their own, apart from "the rest"."""
    return {
        name
        for clause, (names, _, _) in zip(reading.clauses, resolved, strict=True)
        if names
        and THE_REST not in clause.targets
        and clause.asks
        and all(a.concept in ("level", "buried") for a in clause.asks)
        for name in names
    }


def _low(context: PlanContext, name: str) -> bool:
    return context.state.track(name).role in LOW_PARTS


def _sit_in(context: PlanContext, name: str, *, amount: float) -> MoveSet:
    """ "Glue the vocal into the track", "it sounds pasted on": the part into the mix's own
    room (more of the shared reverb) and a touch down, not the whole mix compressed."""
    out = send_move(context, [name], direction=1, amount=amount, bus="reverb", sections=())
    out.extend(level_move(context, [name], delta_db=-1.0, sections=(), excluded=[]))
    return out


def _sings(context: PlanContext, name: str) -> bool:
    return name in context.tracks and is_vocal(context.tracks[name].role)


def _cymbals_in_kit(clause: Clause, context: PlanContext, names: list[str] | None) -> list[str]:
    """When the clause names only cymbals (hats, overheads): the tracks among ``names`` that
    carry them inside a kit stem (role ``drums``)."""
    said = [t for t in clause.targets if t.kind != "mix"]
    if not names or not said or not all(t.kind == "role" and t.value in CYMBAL_PARTS for t in said):
        return []
    return [n for n in names if context.state.track(n).role == "drums"]


def _mood_or_level(
    ask, clause: Clause, context: PlanContext, names, excluded, amount: float, said_apart
) -> MoveSet:
    """A mood on the mix moves its dimensions; on a named part ("the pad is too big",
    "the drums feel lifeless") it is that part's level or punch."""
    if names and MOODS.get(ask.word) == "intimate":
        # "bring the vocal closer": closeness is the part's own reverb coming down
        return send_move(
            context,
            names,
            direction=-ask.direction,
            amount=amount,
            bus="reverb",
            sections=clause.sections,
        )
    if names and MOODS.get(ask.word) == "lofi":
        # "make the vocal sound like it's on the radio": an effect on the part, not its level
        out = MoveSet()
        out.notes.append(
            f"A lo-fi, radio or telephone sound on {', '.join(names)} is an effect I cannot make "
            "on one part yet: in your DAW, band-pass it to about 400 Hz-4 kHz and add a little "
            "drive. Nothing changed."
        )
        return out
    if names:
        if ask.concept == "energy" or (ask.word in ("hit",)):
            return punch_move(context, names, direction=ask.direction, amount=amount)
        delta = level_db(amount, None, ask.direction)
        out = level_move(context, names, delta_db=delta, sections=clause.sections, excluded=[])
        out.level_change = False  # the part against the rest: the mix keeps its loudness
        return out
    out = MoveSet()
    if clause.sections:  # the section lifts against the song; the mood's colour is global
        delta = level_db(amount * 1.1, clause.amount.db, ask.direction)
        out = level_move(context, None, delta_db=delta, sections=clause.sections, excluded=[])
        out.level_change = False
        if ask.concept != "mood":
            return out
        if all(ref.occurrence is not None for ref in clause.sections):
            return _mood_in_one_occurrence(ask, clause, context, out, amount)
    mood = MOODS.get(ask.word, "huge")
    # a section lifted against the song: bus compression over the whole song would squash
    # the lift back
    skip = (*said_apart, "glue") if clause.sections and ask.direction > 0 else tuple(said_apart)
    out.extend(
        mood_move(context, mood, direction=ask.direction, amount=amount, word=ask.word, skip=skip)
    )
    out.level_change = False
    return out


def _mood_in_one_occurrence(
    ask, clause: Clause, context: PlanContext, out: MoveSet, amount: float
) -> MoveSet:
    """ "the last chorus bigger than the others": a setting that holds over the whole song
    (width, tone, the room) would move the other choruses alike, so the mood is ridden in
    that occurrence only, as its level and, where the mood has one, its reverb send."""
    facets = MOOD_FACETS[MOODS.get(ask.word, "huge")]
    reverb = next((f for f in facets if f.kind == "reverb"), None)
    sends = MoveSet()
    if reverb is not None:
        sends = send_move(
            context,
            None,
            direction=reverb.direction * ask.direction,
            amount=amount * reverb.weight,
            bus="reverb",
            sections=clause.sections,
        )
        out.extend(sends)
    ridden = "its level" + (" and reverb sends" if sends.calls else "")
    out.notes.append(
        f"'{ask.word}' in one occurrence only: ridden there as {ridden}; width and tone hold "
        "over the whole song, so they would move the others alike"
    )
    out.level_change = False
    return out


MIX_EQ_CONCEPTS = (  # (upper edge Hz, concept for a cut, concept for a boost)
    (60.0, "sub", "sub"),
    (200.0, "boom", "low_end"),
    (500.0, "mud", "warmth"),
    (1000.0, "box", "warmth"),
    (1800.0, "honk", "presence"),
    (6000.0, "harsh", "presence"),
    (20001.0, "air", "air"),
)


def _mix_eq(ask, context: PlanContext, amount: float) -> MoveSet:
    """An EQ move in numbers on the whole mix ("scoop some 250-400 out of the mix", "a ring
    around 3k", "shelf in some 12k on the master"): the band said, moved on the parts that
    carry it (the parts a cut or boost there suits, as for the band's own word)."""
    span = ask.descriptor
    freq = (span[0] * span[1]) ** 0.5 if isinstance(span, tuple) else float(span)
    cut, boost = next((c, b) for edge, c, b in MIX_EQ_CONCEPTS if freq < edge)
    d = ask.direction
    spec = said_band(span if isinstance(span, tuple) else freq, direction=d)
    concept = cut if d < 0 else boost
    return band_move(
        context, concept, direction=d, amount=amount, names=None, explicit=False, spec=spec
    )


# a drum's attack: its presence range only ("the kick is missing its click"); the fader would
# lift the whole kit when the kick shares a stem with it
_ATTACK_WORDS = frozenset({"click", "clicky", "beater"})


def _named_presence(
    context: PlanContext, names: list[str], d: int, amount: float, *, attack: bool
) -> MoveSet:
    """ "More presence on the vocal", "the hats are too present", "bring the keys forward":
    the part's presence range and its level against the rest, together."""
    out = shelf_move(context, "presence", direction=d, amount=amount, names=names)
    if attack:
        return out
    level = level_move(context, names, delta_db=level_db(amount, None, d), sections=(), excluded=[])
    out.extend(level)
    out.level_change = False
    return out


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
    # the reader puts the part that is buried first ("the keys cover the vocal": the vocal)
    target = vocal[0] if vocal else names[0]
    maskers = [n for n in names if n != target] or None
    if maskers is not None and len(maskers) > 2:  # "behind the band": lift and carve the worst
        maskers = None
    mutual = any(a.word in MUTUAL_WORDS for a in clause.asks if a.concept == "buried") or bool(
        _EACH_OTHER.search(clause.text)
    )
    return buried_move(
        context,
        target,
        amount=amount,
        sections=clause.sections,
        maskers=maskers,
        mutual=mutual or len(names) < 2,
    )


_EACH_OTHER = re.compile(r"\beach ?other\b|\bone another\b")
# a clash both parts take part in ("fighting"), not one part buried by another ("drowned
# out by the drums": the buried one is not cut)
MUTUAL_WORDS = frozenset(
    {
        "can't separate", "run together", "clash", "clashing", "fighting", "fight",
        "competing", "compete", "step on each other", "on top of each other", "blur together",
        "bleed together", "smear together", "mush together",
    }
)  # fmt: skip


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
                    reason=f"pan {name} to {pan_text(ask.value)}",
                )
            )
            out.measures.append(TrackPan(track=name))
    return out


def _last_change(context: PlanContext):
    """(the parent, its parent) when the parent was made by a brief, else None."""
    if len(context.lineage) < 2 or context.lineage[0].kind != "brief":
        return None
    return context.lineage[0], context.lineage[1]


def pan_text(value: float) -> str:
    """ "L60", "C", "R25": how a console shows a pan."""
    if abs(value) < 0.005:
        return "C"
    return f"{'L' if value < 0 else 'R'}{abs(value) * 100:.0f}"


def back_off(reading: BriefReading, context: PlanContext) -> Plan:
    """ "Too much, go halfway back": the state part of the way back to the one before."""
    pair = _last_change(context)
    if pair is None:
        return Plan(intent="nothing", message="There is no earlier change to go back from.")
    return _blend_plan(context, pair, reading.scale, "back")


def step_further(reading: BriefReading, context: PlanContext) -> Plan:
    pair = _last_change(context)
    if pair is None:
        return Plan(
            intent="clarify",
            message="More of what? The last version was not a change I can repeat; say what "
            'to push further, e.g. "more air".',
        )
    return _blend_plan(context, pair, -reading.scale, "further")


def _blend_plan(context: PlanContext, pair, fraction: float, how: str) -> Plan:
    last, before = pair
    moved = diff_measures(before.state, last.state)
    target = blend(last.state, before.state, fraction)
    if target == context.state:
        return Plan(intent="nothing", message="The last version changed nothing I can scale.")
    call = blend_call(context.state, target, version=before.version, fraction=fraction)
    words = (
        f"Took the last change {fraction:.0%} of the way back"
        if how == "back"
        else f"The last change again, {-fraction:.0%} of a step further"
    )
    return Plan(
        intent="change",
        calls=[call],
        level_change=True,  # between two states whose loudness was each set already
        message=f'{words} ("{last.brief}"), setting by setting.',
        # what the last brief named first ("warmer": the centroid), then what its settings moved
        measures=list(dict.fromkeys([*last.measures, *moved])),
        blend=BlendAim(
            new=last.state,
            old=before.state,
            old_version=before.version,
            fraction=fraction,
            landed_on=tuple(moved),
        ),
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
    from mixchat.assistant.knowledge.ask import answer_question  # questions only

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


def clarify(reading: BriefReading, *, tracks: Sequence[str] = ()) -> Plan:
    text = reading.text.lower()
    for pattern, message in OUT_OF_SCOPE:
        if re.search(pattern, text):
            return Plan(intent="clarify", message=f"{message} Nothing changed.")
    if reading.unplaced:
        noun = reading.unplaced[0]
        more = f" and {len(tracks) - 8} more" if len(tracks) > 8 else ""
        named = f" ({', '.join(tracks[:8])}{more})" if tracks else ""
        if noun in INSTRUMENT_NOUNS:
            return Plan(
                intent="clarify",
                message=f"There is no {noun} among your tracks{named}. If it is one of them, "
                "name that track and I will move it. Nothing changed.",
            )
        return Plan(
            intent="clarify",
            message=f"I can't tell which part 'the {noun}' is. Name the track{named} and "
            f'I will move it, e.g. "{tracks[0] if tracks else "the guitar"} is too loud". '
            "Nothing changed.",
        )
    words = ", ".join(f"'{w}'" for w in reading.unknown[:3])
    near = ", ".join(reading.suggestions)
    if reading.vague:
        said = ", ".join(f"'{w}'" for w in dict.fromkeys(reading.vague))
        return Plan(
            intent="clarify",
            message=f"{said.capitalize()} can mean many things, and a big guess could undo what "
            "you like. Tell me what to change: the tone (darker, brighter, less muddy), a "
            "part's level (more vocal, less bass), space (wider, more reverb) or punch. "
            "Nothing changed.",
        )
    if words:
        text = f"I don't know {words} as a mixing word. Did you mean {near}? Nothing changed."
    else:
        text = f"I could not find a change in that. Try words like {near}. Nothing changed."
    return Plan(intent="clarify", message=re.sub(r"\s+", " ", text))
