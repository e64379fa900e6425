"""Space moves: stereo width (pans, mid/side width, ambience) and reverb/delay sends."""

from __future__ import annotations

import math
from typing import Any

from mixchat.assistant.moves.level import automate, missing_section, section_args
from mixchat.assistant.moves.tone import MoveSet, clamp
from mixchat.assistant.planning.contract import PlanContext
from mixchat.assistant.planning.measures import Bus, BusReturn, TrackPan, TrackWidth, Width
from mixchat.assistant.reading.reader import SectionRef
from mixchat.tools.base import ToolCall

NO_SPREAD_ROLES = ("bass", "kick", "snare", "vocal", "sub")
KEEP_PAN_ROLES = ("drums",)  # a full kit: wider, but its kick and snare stay in the middle
WIDTH_TARGET_DB = 3.6  # side/mid change per unit of amount; judged audible at >= 2 dB
NAMED_SPREAD = 0.35  # per unit of amount, for named tracks: width 1.0 -> 0.65 or 1.35


def _track_ms(
    pan: float, width: float, stereo: dict[str, float] | None, energy: float
) -> tuple[float, float]:
    """(mid, side) energy of one track placed at ``pan`` with ``width`` (pan law of mixchat.dsp.panning)."""
    if stereo is None or stereo.get("channels", 1) < 2:
        c = math.cos(pan * math.pi / 2.0)
        return energy * (1 + c) / 2, energy * (1 - c) / 2
    mid, side = stereo["mid"], stereo["side"] * width * width
    total = max(stereo["mid"] + stereo["side"], 1e-30)
    mid, side = energy * mid / total, energy * side / total
    far = math.cos(abs(pan) * math.pi / 2.0)  # balance: the far channel scaled by `far`
    moved = (mid + side) * (1 - far) ** 2 / 4  # what the balance turns from mid into side
    return mid - moved, side + moved


def _model_mid_side(
    context: PlanContext, placement: dict[str, tuple[float, float]]
) -> tuple[float, float]:
    """Mid and side energy of the tracks' sum (tracks taken as uncorrelated), raw energies
    (side/mid is not K-weighted) when the stereo facts are there, else from LUFS."""
    stereo = _stereo_facts(context)
    mid = side = 1e-30
    for t in context.state.audible_tracks():
        if t.name not in context.tracks:
            continue
        pan, width = placement.get(t.name, (t.pan, t.width))
        facts = stereo.get(t.name)
        if facts:
            energy = (facts["mid"] + facts["side"]) * 10 ** (t.gain_db / 10)
        else:
            energy = 10 ** (context.tracks[t.name].lufs / 10)
        m, s = _track_ms(pan, width, facts, energy)
        mid, side = mid + m, side + s
    return mid, side


def _side_mid_db(context: PlanContext, placement: dict[str, tuple[float, float]]) -> float:
    """Predicted side/mid of the mix. What the track model misses (bus returns, automation)
    is calibrated on the measured side/mid of the current mix and kept constant."""
    mid0, side0 = _model_mid_side(context, {})
    mid, side = _model_mid_side(context, placement)
    measured = context.metrics.get("mix", {}).get("side_mid_ratio_db")
    extra_mid = extra_side = 0.0
    if isinstance(measured, (int, float)) and measured > -100:
        target = 10 ** (measured / 10)
        if target * mid0 > side0:
            extra_side = target * mid0 - side0
        else:
            extra_mid = side0 / target - mid0
    return 10 * math.log10((side + extra_side) / (mid + extra_mid))


def _stereo_facts(context: PlanContext) -> dict[str, dict[str, float]]:
    try:
        return context.stereo()
    except Exception:  # noqa: BLE001 - without the facts every track counts as mono
        return {}


def _placement(
    tracks: list[Any],
    spread: float,
    direction: int,
    to_mono: bool,
    keep_pan: frozenset[str] = frozenset(),
) -> dict[str, tuple[float, float]]:
    """(pan, width) per track for a spread factor 0..1 (how far towards the extreme);
    the tracks in ``keep_pan`` are widened where they stand."""
    out = {}
    side = -1.0
    for t in sorted(tracks, key=lambda t: t.name):
        if direction > 0:
            width = clamp(max(t.width, 1.0) + spread, 0, 2)
            if t.role in KEEP_PAN_ROLES or t.name in keep_pan:
                pan = t.pan
            elif abs(t.pan) < 0.15:
                pan, side = side * clamp(0.2 + 0.8 * spread, 0, 1.0), -side
            else:
                pan = math.copysign(clamp(abs(t.pan) + 0.5 * spread, 0, 1), t.pan)
        else:
            keep = 0.0 if to_mono else clamp(1 - spread, 0, 1)
            width, pan = t.width * keep, t.pan * keep
        out[t.name] = (round(pan, 2), round(width, 2))
    return out


STEREO_SIDE_MID_DB = -20.0  # a track with this much side content is stereo, not a mono part


def _is_stereo(context: PlanContext, name: str) -> bool:
    facts = _stereo_facts(context).get(name)
    if not facts or facts.get("channels", 1) < 2:
        return False
    return facts["side"] > facts["mid"] * 10 ** (STEREO_SIDE_MID_DB / 10)


def _ambience_for_width(context: PlanContext, amount: float) -> list[ToolCall]:
    """When panning alone cannot widen enough (the centre carries most of the mix), send
    the centred parts a little more to the stereo reverb: decorrelated side energy."""
    calls = []
    for t in context.state.audible_tracks():
        if any(r in t.role for r in ("bass", "kick", "sub")):
            continue
        current = t.reverb_send_db
        new = -18.0 if current is None else min(0.0, current + 3.0 * max(amount, 0.8))
        calls.append(
            ToolCall(
                tool="set_send",
                args={"track": t.name, "bus": "reverb", "send_db": round(new, 1)},
                reason=f"wider: the centre dominates, so {t.name} gets more stereo reverb "
                f"({'off' if current is None else f'{current:.0f} dB'} → {new:.0f} dB)",
            )
        )
    return calls


def width_move(
    context: PlanContext,
    names: list[str] | None,
    *,
    direction: int,
    amount: float,
    to_mono: bool = False,
) -> MoveSet:
    """Spread (or narrow) the tracks that may move, as far as the side/mid model says is
    needed for an audible change: pans for mono tracks, mid/side width for stereo ones."""
    out = MoveSet(measures=[] if names else [Width()])  # a named part's own width first
    audible = context.state.audible_tracks()
    if names:
        pool = names
    elif direction > 0:
        pool = [t.name for t in audible if not any(r in t.role for r in NO_SPREAD_ROLES)]
    else:
        pool = [t.name for t in audible]
    tracks = [context.state.track(n) for n in pool]
    before = _side_mid_db(context, {})
    target = WIDTH_TARGET_DB * max(amount, 0.8)
    spread, predicted = 0.0, before
    keep_pan: frozenset[str] = frozenset()
    if names:  # judged on the named tracks themselves, not on the whole mix's side/mid
        spread = clamp(NAMED_SPREAD * amount, 0.15, 0.8)
        if len(tracks) == 1:  # one stereo part (a whole bed, a stereo synth): wider, not moved
            keep_pan = frozenset(n for n in pool if _is_stereo(context, n))
    else:
        for step in range(1, 21):
            spread = step * 0.05
            placement = _placement(tracks, spread, direction, to_mono)
            predicted = _side_mid_db(context, placement)
            if (predicted - before) * direction >= target:
                break
    placement = _placement(tracks, spread, direction, to_mono, keep_pan)
    why = "wider" if direction > 0 else "narrower"
    for t in tracks:
        pan, width = placement[t.name]
        if names and (pan, width) != (t.pan, t.width):
            out.measures.append(TrackWidth(track=t.name))
        if abs(width - t.width) > 1e-3:
            out.calls.append(
                ToolCall(
                    tool="set_width",
                    args={"track": t.name, "width": width},
                    reason=f"{why}: {t.name} stereo width {t.width:.2f} → {width:.2f}",
                )
            )
        if abs(pan - t.pan) > 1e-3:
            out.calls.append(
                ToolCall(
                    tool="set_pan",
                    args={"track": t.name, "pan": pan},
                    reason=f"{why}: {t.name} pan {t.pan:+.2f} → {pan:+.2f}",
                )
            )
            if names:  # a named part moved across: where it sits left to right
                out.measures.append(TrackPan(track=t.name))
    if names:
        out.measures.append(Width())
    if direction > 0 and not names and (predicted - before) < target:
        out.calls.extend(_ambience_for_width(context, amount))
    if direction < 0 and not names and context.state.reverb.width > 0.3:
        verb = round(context.state.reverb.width * (0.0 if to_mono else 0.4), 2)
        out.calls.append(
            ToolCall(
                tool="set_reverb",
                args={"width": verb},
                reason=f"{why}: reverb width {context.state.reverb.width:.2f} → {verb:.2f}",
            )
        )
    if names:
        out.notes.append(f"{why}: {', '.join(names)}" + (" to mono" if to_mono else ""))
    else:
        out.notes.append(
            f"{why}: spreading {len(tracks)} tracks (bass, kick, snare and vocal stay centred)"
            if direction > 0
            else f"{why}: {len(tracks)} tracks pulled towards the centre"
        )
    return out


SEND_CEILING_DB = -6.0  # post-fader; past it a return rivals the dry part (return at 0 dB)


def _send_reason(bus: str, current: float | None, value: float | None) -> str:
    if current is None:
        return f"it had no {bus}; {value:.0f} dB post-fader is a moderate starting level"
    if value is None:
        return f"less {bus} asked for, and the send was already low: off"
    change = value - current
    return (
        f"{'more' if change > 0 else 'less'} {bus} asked for: {change:+.1f} dB on the send "
        f"is about {10.0 ** (change / 20.0):.1f}x the wet level"
    )


def send_move(
    context: PlanContext,
    names: list[str] | None,
    *,
    direction: int,
    amount: float,
    bus: Bus,
    sections: tuple[SectionRef, ...],
) -> MoveSet:
    out = MoveSet(measures=[BusReturn(bus=bus)])
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
            offset_db = 6.0 * amount * direction
            for ref in sections:
                args = section_args(context, ref)
                if args is None:
                    if (note := missing_section(context, ref)) not in out.notes:
                        out.notes.append(note)
                    continue
                out.calls += automate(
                    context,
                    name,
                    args,
                    **{f"{bus}_db": offset_db},
                    reason=f"{'more' if direction > 0 else 'less'} {bus} asked for in the "
                    f"{ref.label.replace('_', ' ')} only; the rest of the song keeps its send",
                )
            continue
        if direction > 0 and current is not None and current >= SEND_CEILING_DB:
            out.notes.append(
                f"{name}'s {bus} send is at {current:+.1f} dB already; more would wash it out. "
                + (
                    "A bigger room (reverb size) or a longer pre-delay gives more space "
                    "without burying it."
                    if bus == "reverb"
                    else "More feedback gives longer echoes without burying it."
                )
            )
            continue
        if direction > 0:
            new = -16.0 + 3.0 * amount if current is None else current + 4.0 * amount
            new = min(new, SEND_CEILING_DB)
        elif current is None:
            continue
        else:
            new = current - 6.0 * amount
        value = None if new < -40 else round(clamp(new, -60, 6), 1)
        out.calls.append(
            ToolCall(
                tool="set_send",
                args={"track": name, "bus": bus, "send_db": value},
                reason=_send_reason(bus, current, value),
            )
        )
    if not out.calls and direction < 0:
        out.notes.append(f"no {bus} sends to take down" + (NO_SEND_ROOM if bus == "reverb" else ""))
    return out


NO_SEND_ROOM = (
    ": no track feeds the reverb bus, so the room you hear is recorded into the stems "
    "themselves and no send can take it out"
)
ROOM_STEP = 0.15  # pedalboard room size per unit of amount
FEEDBACK_STEP = 0.15


def length_move(context: PlanContext, *, bus: Bus, direction: int, amount: float) -> MoveSet:
    """A longer or shorter tail: the reverb's room size or the delay's feedback."""
    out = MoveSet(measures=[BusReturn(bus=bus)])
    if bus == "reverb":
        old = context.state.reverb.room_size
        new = round(clamp(old + ROOM_STEP * amount * direction, 0.05, 0.95), 2)
        field, what = "room_size", "room size"
    else:
        old = context.state.delay.feedback
        new = round(clamp(old + FEEDBACK_STEP * amount * direction, 0.0, 0.8), 2)
        field, what = "feedback", "feedback"
    if new == old:
        out.notes.append(f"the {bus} {what} is at {old:g} already, as far as it goes")
        return out
    tool = "set_reverb" if bus == "reverb" else "set_delay"
    longer = "longer" if new > old else "shorter"
    out.calls.append(
        ToolCall(
            tool=tool,
            args={field: new},
            reason=f"a {longer} {bus} tail asked for: {what} {old:g} → {new:g} "
            "(the sends stay where they are)",
        )
    )
    return out
