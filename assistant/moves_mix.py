"""Balance, sections, space, dynamics, masking and master moves, chosen from the analysis."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from assistant.brief_reader import SectionRef
from assistant.lexicon import eq_response_db
from assistant.moves import MoveSet, eq_call, has_room
from assistant.planning import PlanContext
from dsp.state import EqBand
from tools.base import ToolCall
from tools.track_tools import format_hz

LEVEL_BASE_DB = 1.2  # even "a touch" must be audible: >= 1.5 LU against the rest
LEVEL_STEP_DB = 1.0  # per unit of amount
SECTION_STEP_DB = 2.0
NO_SPREAD_ROLES = ("bass", "kick", "snare", "vocal", "sub")


def _clamp(value: float, low: float, high: float) -> float:
    return max(low, min(high, value))


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
    lift = round(2.0 * max(amount, 0.9) + 0.5, 2)
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


OVERLAP_DROP = 0.17  # relative drop of the pair's spectral overlap per unit of amount (>= 10 %)
MAX_CARVE_DB = 9.0


def _maskers_for(
    context: PlanContext, target: str, maskers: list[str] | None
) -> list[tuple[str, str]]:
    """(masker, why) pairs: the named ones, else the masking analysis, else the 2-5 kHz carriers."""
    if maskers:
        return [(m, f"{m} and {target} share the same bands") for m in maskers[:3]]
    try:
        found = context.masking() or []
    except Exception:  # noqa: BLE001 - analysis failure must not lose the brief
        found = []
    rows = [m for m in found if m.get("masked") == target and m.get("masker") != target]
    rows.sort(key=lambda m: (-float(m.get("severity", 0)), str(m.get("masker"))))
    picked: list[tuple[str, str]] = []
    for row in rows:
        name = row["masker"]
        if name in context.tracks and name not in [p[0] for p in picked]:
            picked.append((name, row.get("summary") or f"{name} masks {target}"))
        if len(picked) == 2:
            break
    if not picked:
        from assistant.moves import carriers

        pool = [n for n in context.tracks if n != target]
        for name, share in carriers(context, 2000, 5000, pool)[:2]:
            picked.append(
                (name, f"{name} carries {share:.0%} of the 2–5 kHz energy around {target}")
            )
    return picked


def _overlap(a: Any, b_power: np.ndarray) -> float:
    """dsp.masking.spectral_overlap on measured band powers (b's powers given)."""
    both = a.active.any(axis=0) & b_power.any(axis=0)
    if not both.any():
        return 0.0
    pa = a.power / np.maximum(a.power.sum(axis=0, keepdims=True), 1e-30)
    pb = b_power / np.maximum(b_power.sum(axis=0, keepdims=True), 1e-30)
    return float(np.sqrt(pa * pb).sum(axis=0)[both].mean())


CARVE_STEP_DB = 1.5
MAX_BAND_CUT_DB = 6.0


def _room_db(context: PlanContext, name: str, freq_hz: float) -> float:
    """How much more cut a band at freq_hz may take: 6 dB, less what an EQ band it would
    merge with already cuts (at most 8 dB in all)."""
    existing = [
        b.gain_db
        for b in context.state.track(name).eq
        if b.kind == "bell" and abs(math.log2(b.freq_hz / freq_hz)) <= 1 / 3
    ]
    return max(0.0, min(MAX_BAND_CUT_DB, 8.0 + min(existing + [0.0])))


def _trimmed(bands: Any, frames: int) -> Any:
    return type(bands)(
        bands.edges_hz,
        bands.power[:, :frames],
        bands.levels_db[:, :frames],
        bands.active[:, :frames],
    )


def _carve_bands(
    context: PlanContext, target: str, masker: str, amount: float
) -> tuple[dict[str, list[EqBand]], float, float] | None:
    """Bell cuts, spread over the pair, that drop their spectral overlap by the target.

    Greedy on the pair's band/frame powers (EQ is linear, so a cut scales a stem's band
    powers by its response): each step adds 1.5 dB of cut where it lowers the overlap most,
    at most 6 dB per band. The target (a vocal) is never cut; a kick/bass pair shares."""
    getter = getattr(context, "stem_bands", None)
    if getter is None:
        return None
    try:
        a, b = getter(target), getter(masker)
    except Exception:  # noqa: BLE001 - no analysis: the caller falls back to a fixed cut
        return None
    if a is None or b is None:
        return None
    frames = min(a.power.shape[1], b.power.shape[1])
    a, b = _trimmed(a, frames), _trimmed(b, frames)
    if frames > 4000:  # the model needs the distribution over time, not every frame
        step = frames // 2000
        a = type(a)(a.edges_hz, a.power[:, ::step], a.levels_db[:, ::step], a.active[:, ::step])
        b = type(b)(b.edges_hz, b.power[:, ::step], b.levels_db[:, ::step], b.active[:, ::step])
    centres = np.sqrt(a.edges_hz[:-1] * a.edges_hz[1:])
    before = _overlap(a, b.power)
    if before <= 0.02:
        return None
    pa = a.power / np.maximum(a.power.sum(axis=0, keepdims=True), 1e-30)
    pb = b.power / np.maximum(b.power.sum(axis=0, keepdims=True), 1e-30)
    shared = [int(i) for i in np.argsort(-np.sqrt(pa * pb).mean(axis=1))[:10]]
    goal = before * (1 - OVERLAP_DROP * max(amount, 0.8))
    # a lead vocal gives up at most 3 dB, only where the other part dominates
    vocal = "vocal" in context.tracks[target].role if target in context.tracks else True
    weak = {int(i) for i in np.flatnonzero(pa.mean(axis=1) < pb.mean(axis=1))}
    cuts: dict[tuple[str, int], float] = {}
    rate = context.sample_rate

    def response(name: str, plan: dict[tuple[str, int], float]) -> np.ndarray:
        moves = [
            EqBand(kind="bell", freq_hz=float(np.clip(centres[i], 40, 12000)), gain_db=g, q=1.2)
            for (n, i), g in plan.items()
            if n == name
        ]
        if not moves:
            return np.ones_like(centres)
        return 10 ** (eq_response_db(moves, centres, sample_rate=rate) / 10)

    def overlap_with(plan: dict[tuple[str, int], float]) -> float:
        powered = type(a)(
            a.edges_hz, a.power * response(target, plan)[:, None], a.levels_db, a.active
        )
        return _overlap(powered, b.power * response(masker, plan)[:, None])

    after = before
    names = [masker, target]
    for _ in range(24):
        if after <= goal:
            break
        best = None
        for name in names:
            for index in shared:
                key = (name, int(index))
                room = _room_db(context, name, centres[index])
                if name == target and vocal:
                    room = min(room, 3.0) if index in weak else 0.0
                if cuts.get(key, 0.0) <= -room + 1e-6:
                    continue
                trial = {**cuts, key: cuts.get(key, 0.0) - CARVE_STEP_DB}
                value = overlap_with(trial)
                if best is None or value < best[0]:
                    best = (value, trial)
        if best is None or best[0] >= after - 1e-4:
            break
        after, cuts = best
    plan: dict[str, list[EqBand]] = {}
    for (name, index), gain in sorted(cuts.items(), key=lambda kv: centres[kv[0][1]]):
        freq = round(float(np.clip(centres[index], 40, 12000)), 1)
        plan.setdefault(name, []).append(EqBand(kind="bell", freq_hz=freq, gain_db=gain, q=1.2))
    return (plan, before, after) if plan else None


def carve(
    context: PlanContext, target: str, *, amount: float, maskers: list[str] | None
) -> MoveSet:
    """Cut the stems that mask ``target`` where the pair's spectra overlap most."""
    out = MoveSet()
    for name, why in _maskers_for(context, target, maskers)[:2]:
        solved = _carve_bands(context, target, name, amount)
        if solved is None:
            cut = -round(min(3.0 * amount + 0.5, 6.0), 2)
            solved = ({name: [EqBand(kind="bell", freq_hz=3000.0, gain_db=cut, q=1.3)]}, 0.0, 0.0)
        plan, before, after = solved
        for track, bands in plan.items():
            for band in bands:
                if not has_room(context.state.track(track), "bell", band.freq_hz):
                    continue
                reason = (
                    f"{why}: cut {track} {abs(band.gain_db):.1f} dB at {format_hz(band.freq_hz)}"
                )
                out.calls.append(eq_call(track, "bell", band.freq_hz, band.gain_db, band.q, reason))
        out.measures.append(f"overlap:{name},{target}")
        detail = f" (model: overlap {before:.2f} → {after:.2f})" if before else ""
        out.notes.append(f"{why}; I cut where their spectra overlap most{detail}.")
    return out


# --- space ----------------------------------------------------------------------------------
WIDTH_TARGET_DB = 3.6  # side/mid change per unit of amount; judged audible at >= 2 dB


def _track_ms(
    pan: float, width: float, stereo: dict[str, float] | None, energy: float
) -> tuple[float, float]:
    """(mid, side) energy of one track placed at ``pan`` with ``width`` (pan law of dsp.panning)."""
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
    getter = getattr(context, "stereo", None)
    try:
        return getter() if getter else {}
    except Exception:  # noqa: BLE001 - without the facts every track counts as mono
        return {}


def _placement(
    tracks: list[Any], spread: float, direction: int, to_mono: bool
) -> dict[str, tuple[float, float]]:
    """(pan, width) per track for a spread factor 0..1 (how far towards the extreme)."""
    out = {}
    side = -1.0
    for t in sorted(tracks, key=lambda t: t.name):
        if direction > 0:
            width = _clamp(max(t.width, 1.0) + spread, 0, 2)
            if abs(t.pan) < 0.15:
                pan, side = side * _clamp(0.2 + 0.8 * spread, 0, 1.0), -side
            else:
                pan = math.copysign(_clamp(abs(t.pan) + 0.5 * spread, 0, 1), t.pan)
        else:
            keep = 0.0 if to_mono else _clamp(1 - spread, 0, 1)
            width, pan = t.width * keep, t.pan * keep
        out[t.name] = (round(pan, 2), round(width, 2))
    return out


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
    out = MoveSet(measures=["width"])
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
    for step in range(1, 21):
        spread = step * 0.05
        placement = _placement(tracks, spread, direction, to_mono)
        predicted = _side_mid_db(context, placement)
        if (predicted - before) * direction >= target:
            break
    placement = _placement(tracks, spread, direction, to_mono)
    why = "wider" if direction > 0 else "narrower"
    for t in tracks:
        pan, width = placement[t.name]
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
    if direction > 0 and (predicted - before) < target:
        out.calls.extend(_ambience_for_width(context, amount))
    if direction < 0 and context.state.reverb.width > 0.3:
        verb = round(context.state.reverb.width * (0.0 if to_mono else 0.4), 2)
        out.calls.append(
            ToolCall(
                tool="set_reverb",
                args={"width": verb},
                reason=f"{why}: reverb width {context.state.reverb.width:.2f} → {verb:.2f}",
            )
        )
    out.notes.append(
        f"{why}: spreading {len(tracks)} tracks (bass, kick, snare and vocal stay centred)"
        if direction > 0
        else f"{why}: {len(tracks)} tracks pulled towards the centre"
    )
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
        if direction > 0 and crest < 20.0:  # very spiky drums: a compressor only lowers crest
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
