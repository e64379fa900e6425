"""Level moves: faders, per-section automation, and the buried-part move (level plus carve)."""

from __future__ import annotations

from typing import Any

from mixchat.assistant.moves.masking import OVERLAP_DROP, OVERLAP_DROP_WITH_LIFT, carve
from mixchat.assistant.moves.tone import MoveSet, clamp
from mixchat.assistant.planning.contract import PlanContext
from mixchat.assistant.planning.measures import (
    GroupLevel,
    Loudness,
    SectionContrast,
    SectionLevel,
    TrackLevel,
)
from mixchat.assistant.reading.reader import SectionRef
from mixchat.tools.base import ToolCall
from mixchat.tools.bus_tools import SectionArgs, resolve_ranges

LEVEL_BASE_DB = 1.2  # even "a touch" must be audible: >= 1.5 LU against the rest
LEVEL_STEP_DB = 1.0  # per unit of amount


def level_db(amount: float, db: float | None, direction: int) -> float:
    if db is not None:
        return abs(db) * (1 if direction > 0 else -1)
    return (LEVEL_BASE_DB + LEVEL_STEP_DB * amount) * (1 if direction > 0 else -1)


# --- sections -------------------------------------------------------------------------------
def section_args(context: PlanContext, ref: SectionRef) -> dict[str, Any] | None:
    """automate_section's section/occurrence for a reference, resolved on this song."""
    sections = list(context.sections)
    if ref.label == "before_chorus":
        first = next((i for i, s in enumerate(sections) if s.label == "chorus"), None)
        if not first:
            return None
        target = sections[first - 1]
        same = [s for s in sections if s.label == target.label]
        return {"section": target.label, "occurrence": same.index(target) + 1}
    same = [s for s in sections if s.label == ref.label]
    if not same:
        return None
    if ref.occurrence is None:
        return {"section": ref.label}
    index = len(same) if ref.occurrence == -1 else ref.occurrence
    if index > len(same):
        return None
    return {"section": ref.label, "occurrence": index}


def _ranges(context: PlanContext, args: dict[str, Any]) -> list[tuple[float, float]]:
    section = SectionArgs(section=args["section"], occurrence=args.get("occurrence"))
    return [(s.start_s, s.end_s) for s in resolve_ranges(section, context.tool_context)]


def _existing(
    context: PlanContext, track: str | None, start: float, end: float, field: str
) -> float:
    for a in context.state.automation:
        if a.track == track and abs(a.start_s - start) < 1e-3 and abs(a.end_s - end) < 1e-3:
            return float(getattr(a, field))
    return 0.0


def missing_section(context: PlanContext, ref: SectionRef) -> str:
    """The note for a section reference this song does not have."""
    known = sorted({s.label.replace("_", " ") for s in context.sections}) or ["none detected"]
    return f"this song has no {ref.label.replace('_', ' ')} (its sections: {', '.join(known)})"


def automate(
    context: PlanContext,
    track: str | None,
    args: dict[str, Any],
    *,
    gain_db: float = 0.0,
    reverb_db: float = 0.0,
    delay_db: float = 0.0,
    reason: str,
) -> list[ToolCall]:
    """automate_section calls adding these offsets, in the section ``args`` (from
    ``section_args``) names, to what it already has (the offsets not named are kept, since
    the call replaces the section's entry)."""
    deltas = {"gain_db": gain_db, "reverb_send_db": reverb_db, "delay_send_db": delay_db}
    ranges = _ranges(context, args)
    offsets = [
        {
            f: round(clamp(_existing(context, track, s, e, f) + d, -24, 12), 2)
            for f, d in deltas.items()
        }
        for s, e in ranges
    ]
    if all(o == offsets[0] for o in offsets):
        return [
            ToolCall(
                tool="automate_section", args={"track": track, **args, **offsets[0]}, reason=reason
            )
        ]
    # the occurrences differ already (automix rides each one): move each from where it is
    return [
        ToolCall(
            tool="automate_section",
            args={"track": track, **args, "occurrence": i, **offset},
            reason=reason,
        )
        for i, offset in enumerate(offsets, start=1)
    ]


def section_lufs(context: PlanContext, label: str) -> str:
    rows = context.metrics.get("sections") or []
    values = [r.get("lufs") for r in rows if isinstance(r, dict) and r.get("label") == label]
    numbers: list[float] = [float(v) for v in values if isinstance(v, (int, float))]
    return f" ({label} at {sum(numbers) / len(numbers):.1f} LUFS now)" if numbers else ""


def _section_levels(names: list[str], args: dict[str, Any]) -> list[SectionLevel]:
    """The moved tracks against the rest where the move acts: in the sections it names."""
    if not names:
        return []
    return [
        SectionLevel(names=tuple(names), label=args["section"], occurrence=args.get("occurrence"))
    ]


def _contrast(args: dict[str, Any]) -> SectionContrast:
    return SectionContrast(label=args["section"], occurrence=args.get("occurrence"))


# --- level ----------------------------------------------------------------------------------
def level_move(
    context: PlanContext,
    names: list[str] | None,
    *,
    delta_db: float,
    sections: tuple[SectionRef, ...],
    excluded: list[str],
) -> MoveSet:
    out = MoveSet(level_change=True)
    if sections:
        for ref in sections:
            args = section_args(context, ref)
            if args is None:
                out.notes.append(missing_section(context, ref))
                continue
            for track in names if names is not None else [None]:
                reason = (
                    f"{track or 'the mix'} {delta_db:+.1f} dB in the {ref.label}"
                    f"{section_lufs(context, ref.label)}"
                )
                out.calls.extend(automate(context, track, args, gain_db=delta_db, reason=reason))
            out.measures.append(_contrast(args))
            out.measures.extend(_section_levels(names or [], args))
        return out
    if names is None:
        master = context.state.master
        if master.enabled and master.loudness_enabled:
            target = clamp(master.target_lufs + delta_db, -40, -4)
            out.calls.append(
                ToolCall(
                    tool="set_master",
                    args={"target_lufs": target},
                    reason=f"master target {master.target_lufs:g} → {target:g} LUFS",
                )
            )
        else:
            for t in context.state.audible_tracks():
                out.calls.append(
                    ToolCall(
                        tool="adjust_track_gain",
                        args={"track": t.name, "delta_db": round(delta_db, 2)},
                        reason=f"the whole mix {delta_db:+.1f} dB",
                    )
                )
        out.measures.append(Loudness())
        return out
    for name in names:
        lufs = context.tracks[name].lufs if name in context.tracks else float("nan")
        reason = f"{name} sits at {lufs:.1f} LUFS in the mix; fader {delta_db:+.1f} dB"
        out.calls.append(
            ToolCall(
                tool="adjust_track_gain",
                args={"track": name, "delta_db": round(delta_db, 2)},
                reason=reason,
            )
        )
    others = [t.name for t in context.state.audible_tracks() if t.name not in names]
    focus = excluded or (names if len(names) <= 4 else others if len(others) <= 2 else [])
    out.measures.extend(TrackLevel(track=n) for n in focus)
    if not focus:  # many tracks moved together against many others: quote them as one
        out.measures.append(GroupLevel(names=tuple(names)))
    return out


# --- buried: level in the named sections, plus a carve of the maskers ---------------------
def buried_move(
    context: PlanContext,
    target: str,
    *,
    amount: float,
    sections: tuple[SectionRef, ...],
    maskers: list[str] | None,
    mutual: bool = True,
) -> MoveSet:
    out = MoveSet(measures=[] if sections else [TrackLevel(track=target)])
    lift = round(2.0 * max(amount, 0.9) + 0.5, 2)
    if sections:
        for ref in sections:
            args = section_args(context, ref)
            if args is None:
                out.notes.append(missing_section(context, ref))
                continue
            out.measures.extend(_section_levels([target], args))
            reason = f"{target} is buried in the {ref.label}: +{lift:.1f} dB there"
            out.calls.extend(automate(context, target, args, gain_db=lift, reason=reason))
            out.notes.append(reason)
            out.measures.append(_contrast(args))
    elif maskers is None or not mutual:
        # buried by a part named ("drowned out by the drums"): it comes up a little less, as
        # the named part is carved in full
        lift = lift if maskers is None else round(lift * 0.75, 2)
        reason = f"{target} is buried: fader +{lift:.1f} dB"
        out.calls.append(
            ToolCall(
                tool="adjust_track_gain", args={"track": target, "delta_db": lift}, reason=reason
            )
        )
    drop = OVERLAP_DROP_WITH_LIFT if out.calls and maskers is None else OVERLAP_DROP
    out.extend(
        carve(context, target, amount=amount, maskers=maskers, overlap_drop=drop, mutual=mutual)
    )
    return out
