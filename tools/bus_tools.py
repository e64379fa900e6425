"""Bus, section-automation and master tools."""

from __future__ import annotations

from typing import cast

from pydantic import Field

from mixchat.dsp.errors import StateError
from mixchat.dsp.state import (
    Compressor,
    DelayBus,
    EqKind,
    MixState,
    ReverbBus,
    Section,
    SectionAutomation,
)
from mixchat.tools.base import Change, ToolArgs, ToolContext, resolve_track, tool
from mixchat.tools.settings_text import compressor, db, db_change
from mixchat.tools.track_tools import EqArgs, merge_eq_move

SECTION_ALIASES = {
    "hook": "chorus",
    "refrain": "chorus",
    "choruses": "chorus",
    "verses": "verse",
    "pre": "pre_chorus",
    "prechorus": "pre_chorus",
    "pre-chorus": "pre_chorus",
    "pre chorus": "pre_chorus",
    "build": "pre_chorus",
    "middle 8": "bridge",
    "middle eight": "bridge",
    "breakdown": "bridge",
    "ending": "outro",
    "end": "outro",
    "start": "intro",
}


class ReverbArgs(ToolArgs):
    room_size: float | None = Field(
        default=None, ge=0.0, le=1.0, description="0 small room .. 1 huge hall"
    )
    damping: float | None = Field(
        default=None, ge=0.0, le=1.0, description="High-frequency damping"
    )
    width: float | None = Field(default=None, ge=0.0, le=1.0)
    pre_delay_ms: float | None = Field(default=None, ge=0.0, le=250.0)
    hpf_hz: float | None = Field(default=None, ge=20.0, le=2000.0)
    lpf_hz: float | None = Field(default=None, ge=1000.0, le=20000.0)
    return_db: float | None = Field(
        default=None, ge=-60.0, le=12.0, description="Reverb return level, dB"
    )


class DelayArgs(ToolArgs):
    delay_ms: float | None = Field(default=None, ge=1.0, le=2000.0)
    feedback: float | None = Field(default=None, ge=0.0, le=0.95)
    hpf_hz: float | None = Field(default=None, ge=20.0, le=2000.0)
    lpf_hz: float | None = Field(default=None, ge=1000.0, le=20000.0)
    return_db: float | None = Field(default=None, ge=-60.0, le=12.0)


class SectionArgs(ToolArgs):
    track: str | None = Field(
        default=None, description="Track name or role; null means the whole mix"
    )
    section: str | None = Field(
        default=None, description="Section label: intro, verse, pre_chorus, chorus, bridge, outro"
    )
    occurrence: int | None = Field(
        default=None, ge=1, le=32, description="1 = first of that label; null = every one"
    )
    start_s: float | None = Field(
        default=None, ge=0.0, description="Explicit range start (instead of a section)"
    )
    end_s: float | None = Field(default=None, gt=0.0, description="Explicit range end")


class AutomateArgs(SectionArgs):
    gain_db: float = Field(
        default=0.0, ge=-24.0, le=12.0, description="Level offset over the range, dB"
    )
    reverb_send_db: float = Field(
        default=0.0, ge=-24.0, le=12.0, description="Reverb send offset, dB"
    )
    delay_send_db: float = Field(
        default=0.0, ge=-24.0, le=12.0, description="Delay send offset, dB"
    )
    ramp_ms: float = Field(default=80.0, ge=1.0, le=2000.0)


class MasterArgs(ToolArgs):
    enabled: bool | None = Field(default=None, description="Turn the master chain on or off")
    target_lufs: float | None = Field(
        default=None, ge=-40.0, le=-4.0, description="Integrated loudness target"
    )
    ceiling_dbtp: float | None = Field(
        default=None, ge=-12.0, le=0.0, description="True-peak ceiling"
    )
    loudness_enabled: bool | None = Field(
        default=None, description="Normalise to target_lufs (limiter always on)"
    )


class MasterEqArgs(ToolArgs):
    kind: str = Field(default="bell", pattern="^(bell|low_shelf|high_shelf|notch)$")
    freq_hz: float = Field(ge=20.0, le=20000.0)
    gain_db: float = Field(ge=-12.0, le=12.0)
    q: float = Field(default=0.7, ge=0.1, le=18.0)


class MasterWidthArgs(ToolArgs):
    width: float = Field(
        ge=0.0, le=2.0, description="Mix-bus side gain: 0 mono, 1 as mixed, up to 2 twice as wide"
    )


class GlueArgs(ToolArgs):
    enabled: bool = True
    threshold_db: float = Field(default=-18.0, ge=-60.0, le=0.0)
    ratio: float = Field(default=2.0, ge=1.0, le=10.0)
    attack_ms: float = Field(default=30.0, ge=0.1, le=300.0)
    release_ms: float = Field(default=200.0, ge=5.0, le=3000.0)
    makeup_db: float = Field(default=0.0, ge=0.0, le=12.0)


def _changed_fields(old: object, args: ToolArgs) -> tuple[dict[str, object], str]:
    fields = {k: v for k, v in args.model_dump().items() if v is not None}
    text = ", ".join(
        f"{k} {getattr(old, k):g} → {v:g}" for k, v in fields.items() if getattr(old, k) != v
    )
    return fields, text or "unchanged"


@tool(
    "set_reverb",
    "Adjust the shared reverb bus (size, damping, pre-delay, filters, return level).",
    categories=("space",),
)
def set_reverb(state: MixState, args: ReverbArgs, context: ToolContext) -> Change:
    fields, text = _changed_fields(state.reverb, args)
    new = ReverbBus.model_validate({**state.reverb.model_dump(), **fields})
    return Change(state=state.model_copy(update={"reverb": new}), summary=f"reverb bus: {text}")


@tool(
    "set_delay",
    "Adjust the shared delay bus (time, feedback, filters, return level).",
    categories=("space",),
)
def set_delay(state: MixState, args: DelayArgs, context: ToolContext) -> Change:
    fields, text = _changed_fields(state.delay, args)
    new = DelayBus.model_validate({**state.delay.model_dump(), **fields})
    return Change(state=state.model_copy(update={"delay": new}), summary=f"delay bus: {text}")


def _offset_text(field: str, old: float, new: float) -> str:
    """ "gain -1.6 → +0.8 dB" when the section had another offset, else "gain +0.8 dB"."""
    moved = abs(old) > 1e-9 and abs(old - new) > 1e-9
    return f"{field.replace('_db', '')} {db_change(old, new) if moved else db(new)}"


def normalise_section_label(label: str) -> str:
    key = label.strip().lower().replace("_", " ")
    return SECTION_ALIASES.get(key, key.replace(" ", "_"))


def resolve_ranges(args: SectionArgs, context: ToolContext) -> list[Section]:
    """The time ranges a section argument names: a label (+ occurrence) or explicit seconds."""
    if args.start_s is not None or args.end_s is not None:
        end = args.end_s if args.end_s is not None else context.duration_s
        start = args.start_s or 0.0
        if end <= start:
            raise StateError(f"end_s={end:g} must be after start_s={start:g}")
        same = [
            s
            for s in context.sections
            if abs(s.start_s - start) < 1e-3 and abs(s.end_s - end) < 1e-3
        ]  # a range that is a section keeps its name (follow-ups give sections as seconds)
        return same[:1] or [Section(label="range", start_s=start, end_s=end)]
    if not args.section:
        raise StateError("name a section (e.g. section='chorus') or give start_s and end_s")
    label = normalise_section_label(args.section)
    matches = [s for s in context.sections if s.label == label]
    if not matches:
        known = sorted({s.label for s in context.sections}) or ["none detected"]
        raise StateError(f"section={args.section!r} is not in this song; sections are {known}")
    if args.occurrence is None:
        return matches
    if args.occurrence > len(matches):
        raise StateError(
            f"occurrence={args.occurrence} but the song has {len(matches)} {label} section(s)"
        )
    return [matches[args.occurrence - 1]]


def section_name(section: Section, context: ToolContext) -> str:
    same = [s for s in context.sections if s.label == section.label]
    number = next((i + 1 for i, s in enumerate(same) if s.start_s == section.start_s), None)
    ordinal = f" {number}" if number and len(same) > 1 else ""
    return f"{section.label}{ordinal} ({section.start_s:.1f}–{section.end_s:.1f} s)"


@tool(
    "automate_section",
    "Set level and send offsets for a track (or the whole mix) over sections or a time range, "
    "with short ramps. Replaces earlier offsets for the same track and range.",
    categories=("automation", "loudness"),
)
def automate_section(state: MixState, args: AutomateArgs, context: ToolContext) -> Change:
    track = resolve_track(state, args.track).name if args.track else None
    ranges = resolve_ranges(args, context)
    kept = [
        a
        for a in state.automation
        if not (
            a.track == track
            and any(
                abs(a.start_s - r.start_s) < 1e-3 and abs(a.end_s - r.end_s) < 1e-3 for r in ranges
            )
        )
    ]
    offsets = {
        "gain_db": args.gain_db,
        "reverb_send_db": args.reverb_send_db,
        "delay_send_db": args.delay_send_db,
    }
    if any(abs(v) > 1e-9 for v in offsets.values()):
        for r in ranges:
            kept.append(
                SectionAutomation(
                    track=track,
                    label=r.label,
                    start_s=r.start_s,
                    end_s=r.end_s,
                    ramp_ms=args.ramp_ms,
                    **offsets,
                )
            )
    where = ", ".join(section_name(r, context) for r in ranges)
    replaced = [a for a in state.automation if a not in kept]
    before = {k: getattr(replaced[0], k) if replaced else 0.0 for k in offsets}
    what = (
        ", ".join(
            _offset_text(k, before[k], v)
            for k, v in offsets.items()
            if abs(v) > 1e-9 or abs(before[k]) > 1e-9
        )
        or "offsets cleared"
    )
    return Change(
        state=state.model_copy(update={"automation": tuple(kept)}),
        summary=f"{track or 'mix'} in {where}: {what}",
    )


@tool(
    "clear_automation",
    "Remove section automation for a track (or the mix), optionally only for one section.",
    categories=("automation",),
)
def clear_automation(state: MixState, args: SectionArgs, context: ToolContext) -> Change:
    track = resolve_track(state, args.track).name if args.track else None
    ranges = resolve_ranges(args, context) if (args.section or args.start_s is not None) else None

    def targeted(a: SectionAutomation) -> bool:
        if a.track != track:
            return False
        return ranges is None or any(a.start_s < r.end_s and a.end_s > r.start_s for r in ranges)

    kept = tuple(a for a in state.automation if not targeted(a))
    removed = len(state.automation) - len(kept)
    return Change(
        state=state.model_copy(update={"automation": kept}),
        summary=f"{track or 'mix'}: {removed} automation range(s) cleared",
    )


@tool(
    "set_master",
    "Master chain: on/off, loudness target (LUFS) and true-peak ceiling (dBTP).",
    categories=("master", "loudness"),
)
def set_master(state: MixState, args: MasterArgs, context: ToolContext) -> Change:
    fields = {k: v for k, v in args.model_dump().items() if v is not None}
    new_state = state.with_master(**fields)
    m = new_state.master
    if not m.enabled:
        return Change(state=new_state, summary="master chain off")
    target = f"{m.target_lufs:g} LUFS" if m.loudness_enabled else "no loudness target"
    return Change(state=new_state, summary=f"master on: {target}, ceiling {m.ceiling_dbtp:g} dBTP")


@tool(
    "apply_master_eq",
    "Boost or cut on the master bus EQ (adds to a nearby band of the same kind).",
    categories=("master", "tone"),
)
def apply_master_eq(state: MixState, args: MasterEqArgs, context: ToolContext) -> Change:
    kind = cast(EqKind, args.kind)  # MasterEqArgs' pattern admits only the EqKind names
    bands, verb = merge_eq_move(
        state.master.eq, kind=kind, freq_hz=args.freq_hz, gain_db=args.gain_db, q=args.q
    )
    return Change(state=state.with_master(eq=bands), summary=f"master {verb}")


@tool(
    "set_master_width",
    "Stereo width of the whole mix on the master (mid/side: scales the side signal).",
    categories=("master", "stereo"),
)
def set_master_width(state: MixState, args: MasterWidthArgs, context: ToolContext) -> Change:
    old = state.master.width
    new_state = state.with_master(width=round(args.width, 3))
    change = f"{old:.2f} → {args.width:.2f}" if abs(old - args.width) > 1e-9 else "unchanged"
    return Change(state=new_state, summary=f"master width {change} (side gain)")


@tool(
    "set_master_glue",
    "Glue compressor on the mix bus (enabled=false removes it).",
    categories=("master", "dynamics"),
)
def set_master_glue(state: MixState, args: GlueArgs, context: ToolContext) -> Change:
    if not args.enabled:
        return Change(state=state.with_master(glue=None), summary="master glue compressor removed")
    comp = Compressor.model_validate(args.model_dump(exclude={"enabled"}))
    return Change(state=state.with_master(glue=comp), summary=f"master glue {compressor(comp)}")


__all__ = ["EqArgs"]
