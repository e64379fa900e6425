"""Balance, sections, space, dynamics, masking and master moves, chosen from the analysis."""

from __future__ import annotations

import math
from typing import Any

from assistant.brief_reader import SectionRef
from assistant.moves import MoveSet, eq_call, has_room
from assistant.planning import PlanContext
from tools.base import ToolCall
from tools.track_tools import format_hz

LEVEL_STEP_DB = 1.75  # per unit of amount; judged audible at >= 1.5 LU against the rest
SECTION_STEP_DB = 2.0
NO_SPREAD_ROLES = ("bass", "kick", "snare", "vocal", "sub")


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


def level_db(amount: float, db: float | None, direction: int) -> float:
    if db is not None:
        return abs(db) * (1 if direction > 0 else -1)
    return LEVEL_STEP_DB * amount * (1 if direction > 0 else -1)


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
    same = [s for s in context.sections if s.label == args["section"]]
    if args.get("occurrence"):
        same = [same[args["occurrence"] - 1]]
    return [(s.start_s, s.end_s) for s in same]


def _existing(
    context: PlanContext, track: str | None, start: float, end: float, field: str
) -> float:
    for a in context.state.automation:
        if a.track == track and abs(a.start_s - start) < 1e-3 and abs(a.end_s - end) < 1e-3:
            return float(getattr(a, field))
    return 0.0


def automate(
    context: PlanContext,
    track: str | None,
    ref: SectionRef,
    *,
    gain_db: float = 0.0,
    reverb_db: float = 0.0,
    reason: str,
) -> tuple[list[ToolCall], str | None]:
    args = section_args(context, ref)
    if args is None:
        known = sorted({s.label for s in context.sections}) or ["none detected"]
        return [], f"this song has no {ref.label.replace('_', ' ')} (sections: {known})"
    start, end = _ranges(context, args)[0]
    gain = _clamp(_existing(context, track, start, end, "gain_db") + gain_db, -24, 12)
    verb = _clamp(_existing(context, track, start, end, "reverb_send_db") + reverb_db, -24, 12)
    call_args = {
        "track": track,
        **args,
        "gain_db": round(gain, 2),
        "reverb_send_db": round(verb, 2),
    }
    calls = [ToolCall(tool="automate_section", args=call_args, reason=reason)]
    return calls, None


def section_lufs(context: PlanContext, label: str) -> str:
    rows = context.metrics.get("sections") or []
    values = [r.get("lufs") for r in rows if isinstance(r, dict) and r.get("label") == label]
    values = [v for v in values if isinstance(v, (int, float))]
    return f" ({label} at {sum(values) / len(values):.1f} LUFS now)" if values else ""


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
            label = ref.label
            targets = names if names is not None else [None]
            for track in targets:
                reason = (
                    f"{track or 'the mix'} {delta_db:+.1f} dB in the {label}"
                    f"{section_lufs(context, label)}"
                )
                calls, problem = automate(context, track, ref, gain_db=delta_db, reason=reason)
                out.calls.extend(calls)
                if problem:
                    out.notes.append(problem)
            out.measures.append(f"section:{label}")
        for n in names or []:
            out.measures.append(f"track:{n}")
        return out
    if names is None:
        master = context.state.master
        if master.enabled and master.loudness_enabled:
            target = _clamp(master.target_lufs + delta_db, -40, -4)
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
        out.measures.append("lufs")
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
    focus = excluded or (names if len(names) <= 2 else [])
    out.measures.extend(f"track:{n}" for n in focus)
    return out


# --- masking / buried -----------------------------------------------------------------------
def buried_move(
    context: PlanContext,
    target: str,
    *,
    amount: float,
    sections: tuple[SectionRef, ...],
    maskers: list[str] | None,
) -> MoveSet:
    out = MoveSet(measures=[f"track:{target}"])
    lift = round(2.0 * amount + 0.5, 2)
    if sections:
        for ref in sections:
            reason = f"{target} is buried in the {ref.label}: +{lift:.1f} dB there"
            calls, problem = automate(context, target, ref, gain_db=lift, reason=reason)
            out.calls.extend(calls)
            out.notes.extend([problem] if problem else [reason])
            out.measures.append(f"section:{ref.label}")
    elif maskers is None:
        reason = f"{target} is buried: fader +{lift:.1f} dB"
        out.calls.append(
            ToolCall(
                tool="adjust_track_gain", args={"track": target, "delta_db": lift}, reason=reason
            )
        )
    out.extend(carve(context, target, amount=amount, maskers=maskers))
    return out


def carve(
    context: PlanContext, target: str, *, amount: float, maskers: list[str] | None
) -> MoveSet:
    """Cut the stems that mask ``target`` where they overlap (from the masking analysis)."""
    out = MoveSet()
    try:
        found = context.masking() or []
    except Exception as error:  # noqa: BLE001 - analysis failure must not lose the brief
        out.notes.append(f"masking analysis unavailable ({error})")
        found = []
    rows = [
        m
        for m in found
        if m.get("masked") == target
        and m.get("masker") != target
        and (maskers is None or m.get("masker") in maskers)
    ]
    rows.sort(key=lambda m: (-float(m.get("severity", 0)), str(m.get("masker"))))
    picked: list[tuple[str, float, str]] = []
    for row in rows:
        name = row["masker"]
        if name in [p[0] for p in picked] or name not in context.tracks:
            continue
        low, high = float(row.get("low_hz", 1000)), float(row.get("high_hz", 5000))
        freq = math.sqrt(max(low, 20.0) * min(max(high, low * 1.1), 16000.0))
        why = row.get("summary") or f"{name} masks {target} at {format_hz(freq)}"
        picked.append((name, freq, f"{why} ({row.get('overlap_pct', 0):.0f}% overlap)"))
        if len(picked) == 2:
            break
    if not picked:
        pool = maskers or [n for n in context.tracks if n != target]
        from assistant.moves import carriers

        for name, share in carriers(context, 2000, 5000, pool)[:2]:
            picked.append(
                (name, 3000.0, f"{name} carries {share:.0%} of the 2–5 kHz energy around {target}")
            )
    cut = -round(min(3.0 * amount + 0.5, 6.0), 2)
    for name, freq, why in picked:
        if not has_room(context.state.track(name), "bell", freq):
            continue
        out.calls.append(eq_call(name, "bell", freq, cut, 1.3, f"{why}: cut {abs(cut):.1f} dB"))
        out.measures.append(f"overlap:{name},{target}")
        out.notes.append(f"{why}: cut {name} {abs(cut):.1f} dB at {format_hz(freq)}")
    return out


# --- space ----------------------------------------------------------------------------------
def width_move(
    context: PlanContext,
    names: list[str] | None,
    *,
    direction: int,
    amount: float,
    to_mono: bool = False,
) -> MoveSet:
    out = MoveSet(measures=["width"])
    pool = names or [
        t.name
        for t in context.state.audible_tracks()
        if not any(r in t.role for r in NO_SPREAD_ROLES)
    ]
    tracks = [context.state.track(n) for n in pool]
    side = -1.0
    for t in sorted(tracks, key=lambda t: t.name):
        if direction > 0:
            width = _clamp(max(t.width, 1.0) + 0.45 * amount, 0, 2)
            if abs(t.pan) < 0.15:
                pan, side = side * _clamp(0.25 + 0.3 * amount, 0, 0.9), -side
            else:
                pan = math.copysign(_clamp(abs(t.pan) + 0.25 * amount, 0, 1), t.pan)
        else:
            keep = 0.0 if to_mono else _clamp(1 - 0.4 * amount, 0, 1)
            width, pan = (
                t.width * keep,
                t.pan * (0.0 if to_mono else _clamp(1 - 0.5 * amount, 0, 1)),
            )
        why = "wider" if direction > 0 else "narrower"
        if abs(width - t.width) > 1e-3:
            out.calls.append(
                ToolCall(
                    tool="set_width",
                    args={"track": t.name, "width": round(width, 2)},
                    reason=f"{why}: {t.name} width {t.width:.2f} → {width:.2f}",
                )
            )
        if abs(pan - t.pan) > 1e-3:
            out.calls.append(
                ToolCall(
                    tool="set_pan",
                    args={"track": t.name, "pan": round(pan, 2)},
                    reason=f"{why}: {t.name} pan {t.pan:+.2f} → {pan:+.2f}",
                )
            )
    ratio = context.metrics.get("mix", {}).get("side_mid_ratio_db")
    if isinstance(ratio, (int, float)):
        out.notes.append(f"side/mid is {ratio:.1f} dB now; spreading {len(tracks)} tracks")
    return out


def send_move(
    context: PlanContext,
    names: list[str] | None,
    *,
    direction: int,
    amount: float,
    bus: str,
    sections: tuple[SectionRef, ...],
) -> MoveSet:
    out = MoveSet(measures=[bus])
    pool = names or [
        t.name
        for t in context.state.audible_tracks()
        if not any(r in t.role for r in ("bass", "kick", "sub"))
    ]
    field = f"{bus}_send_db"
    for name in pool:
        t = context.state.track(name)
        current = getattr(t, field)
        if sections:
            if current is None:
                out.calls.append(
                    ToolCall(
                        tool="set_send",
                        args={"track": name, "bus": bus, "send_db": -30.0},
                        reason=f"{name}: {bus} send ready",
                    )
                )
            for ref in sections:
                calls, problem = automate(
                    context,
                    name,
                    ref,
                    reverb_db=6.0 * amount * direction,
                    reason=f"{name}: {bus} {6 * amount * direction:+.1f} dB in the {ref.label}",
                )
                out.calls.extend(calls if bus == "reverb" else [])
                out.notes.extend([problem] if problem else [])
            continue
        if direction > 0:
            new = -16.0 + 3.0 * amount if current is None else current + 4.0 * amount
        elif current is None:
            continue
        else:
            new = current - 6.0 * amount
        value = None if new < -40 else round(_clamp(new, -60, 6), 1)
        old = "off" if current is None else f"{current:.1f} dB"
        out.calls.append(
            ToolCall(
                tool="set_send",
                args={"track": name, "bus": bus, "send_db": value},
                reason=f"{name}: {bus} send {old} → "
                f"{'off' if value is None else f'{value:.1f} dB'}",
            )
        )
    if not out.calls:
        out.notes.append(f"no {bus} sends to take down")
    return out


# --- dynamics -------------------------------------------------------------------------------
def drum_tracks(context: PlanContext) -> list[str]:
    from assistant.brief_vocab import DRUM_ROLES

    names = [n for n, t in context.tracks.items() if t.role in DRUM_ROLES]
    if not names:
        keys = ("drum", "kick", "snare", "perc", "hat")
        names = [n for n in context.tracks if any(k in n.lower() for k in keys)]
    return names


def input_lufs(context: PlanContext, name: str) -> float:
    t = context.state.track(name)
    return context.tracks[name].lufs - t.gain_db if name in context.tracks else -20.0


def punch_move(
    context: PlanContext, names: list[str] | None, *, direction: int, amount: float
) -> MoveSet:
    pool = names or drum_tracks(context)
    if not pool:
        ranked = sorted(context.tracks.values(), key=lambda t: (-t.crest_factor_db, t.name))
        pool = [ranked[0].name] if ranked else []
    out = MoveSet(measures=[f"crest:{n}" for n in pool])
    for name in pool:
        crest = context.tracks[name].crest_factor_db if name in context.tracks else 0.0
        attack = _clamp(4.0 * amount * direction, -12, 12)
        sustain = _clamp(-1.5 * amount * direction, -12, 12)
        out.calls.append(
            ToolCall(
                tool="set_transient_shaper",
                args={
                    "track": name,
                    "attack_db": round(attack, 1),
                    "sustain_db": round(sustain, 1),
                },
                reason=f"{name} crest factor {crest:.1f} dB: transients {attack:+.1f} dB",
            )
        )
        if direction > 0:
            threshold = _clamp(input_lufs(context, name) + 2.0, -40, -3)
            out.calls.append(
                ToolCall(
                    tool="set_compressor",
                    args={
                        "track": name,
                        "threshold_db": round(threshold, 1),
                        "ratio": 4.0,
                        "attack_ms": 25.0,
                        "release_ms": 110.0,
                        "makeup_db": 1.0,
                    },
                    reason=f"{name}: 4:1 with a 25 ms attack lets the hit through, holds the body",
                )
            )
    return out


def compress_move(
    context: PlanContext, names: list[str] | None, *, direction: int, amount: float
) -> MoveSet:
    if names is None:
        return glue_move(context, amount=amount, direction=direction)
    out = MoveSet(measures=[f"crest:{n}" for n in names])
    for name in names:
        if direction < 0:
            if context.state.track(name).compressor is not None:
                out.calls.append(
                    ToolCall(
                        tool="remove_compressor",
                        args={"track": name},
                        reason=f"{name}: more dynamic, compressor off",
                    )
                )
            continue
        threshold = _clamp(input_lufs(context, name) - 2.0 * amount, -40, -3)
        out.calls.append(
            ToolCall(
                tool="set_compressor",
                args={
                    "track": name,
                    "threshold_db": round(threshold, 1),
                    "ratio": 3.0,
                    "attack_ms": 10.0,
                    "release_ms": 120.0,
                    "makeup_db": 0.0,
                },
                reason=f"{name} at {input_lufs(context, name):.1f} LUFS in: 3:1 from "
                f"{threshold:.0f} dB to even it out",
            )
        )
    return out


def glue_move(context: PlanContext, *, amount: float, direction: int = 1) -> MoveSet:
    out = MoveSet(measures=["crest:mix"])
    if direction < 0:
        out.calls.append(
            ToolCall(
                tool="set_master_glue",
                args={"enabled": False},
                reason="more dynamic: bus compressor off",
            )
        )
        return out
    mix_lufs = float(context.metrics.get("mix", {}).get("integrated_lufs", -18.0))
    threshold = _clamp(mix_lufs + 1.0 - 2.0 * (amount - 1.0), -40, -3)
    if not context.state.master.enabled:
        out.calls.append(
            ToolCall(
                tool="set_master",
                args={"enabled": True, "loudness_enabled": False, "ceiling_dbtp": -1.0},
                reason="the bus compressor lives on the master chain (no loudness target set)",
            )
        )
    out.calls.append(
        ToolCall(
            tool="set_master_glue",
            args={
                "enabled": True,
                "threshold_db": round(threshold, 1),
                "ratio": 2.0,
                "attack_ms": 30.0,
                "release_ms": 200.0,
            },
            reason=f"mix at {mix_lufs:.1f} LUFS: 2:1 glue from {threshold:.0f} dB, 30 ms attack",
        )
    )
    return out


def saturation_move(
    context: PlanContext, names: list[str] | None, *, direction: int, amount: float
) -> MoveSet:
    pool = (
        names or [n for n, t in context.tracks.items() if t.role in ("bass", "drums", "guitar")][:3]
    )
    out = MoveSet(measures=[])
    for name in pool:
        drive = 0.0 if direction < 0 else round(_clamp(4.0 * amount, 0, 24), 1)
        out.calls.append(
            ToolCall(
                tool="set_saturation",
                args={"track": name, "drive_db": drive, "mix_pct": 60.0},
                reason=f"{name}: saturation drive {drive:.1f} dB",
            )
        )
    return out


def master_move(
    context: PlanContext, *, on: bool, target_lufs: float | None, ceiling_dbtp: float | None
) -> MoveSet:
    out = MoveSet(measures=["master"], level_change=True)
    if not on:
        out.calls.append(
            ToolCall(tool="set_master", args={"enabled": False}, reason="master chain off")
        )
        return out
    target = _clamp(target_lufs if target_lufs is not None else -14.0, -40, -4)
    ceiling = _clamp(ceiling_dbtp if ceiling_dbtp is not None else -1.0, -12, 0)
    mix = context.metrics.get("mix", {})
    now = mix.get("integrated_lufs")
    reason = f"master to {target:g} LUFS, ceiling {ceiling:g} dBTP" + (
        f" (mix at {now:.1f} LUFS now)" if isinstance(now, (int, float)) else ""
    )
    out.calls.append(
        ToolCall(
            tool="set_master",
            args={
                "enabled": True,
                "target_lufs": target,
                "ceiling_dbtp": ceiling,
                "loudness_enabled": True,
            },
            reason=reason,
        )
    )
    out.notes.append(reason)
    return out
