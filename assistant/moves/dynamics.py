"""Dynamics and master moves: punch, compression, glue, saturation, the mastering chain."""

from __future__ import annotations

from mixchat.assistant.moves.tone import MoveSet, clamp
from mixchat.assistant.planning.contract import PlanContext
from mixchat.assistant.planning.measures import Crest, TruePeak
from mixchat.assistant.reading.vocab import DRUM_ROLES
from mixchat.dsp.state import Compressor
from mixchat.tools.base import ToolCall

# fast enough to hold a part's peaks, not only its body: a slower attack lets the peaks through
# while the body comes down, and the part measures less even (a higher crest factor)
EVEN_OUT_ATTACK_MS = 0.3


def drum_tracks(context: PlanContext) -> list[str]:
    names = [n for n, t in context.tracks.items() if t.role in DRUM_ROLES]
    if not names:
        keys = ("drum", "kick", "snare", "perc", "hat")
        names = [n for n in context.tracks if any(k in n.lower() for k in keys)]
    return names


def input_lufs(context: PlanContext, name: str) -> float:
    """A track's level into its inserts' dynamics: its level in the mix less its fader and
    the mix's trim."""
    if name not in context.tracks:
        return -20.0
    return (
        context.tracks[name].lufs - context.state.track(name).gain_db - context.state.master.trim_db
    )


def punch_move(
    context: PlanContext,
    names: list[str] | None,
    *,
    direction: int,
    amount: float,
    hold_body: bool = True,
) -> MoveSet:
    """Transients up (or down) on the named tracks or the drums; ``hold_body``: a slow-attack
    compressor under the hits too."""
    pool = names or drum_tracks(context)
    if not pool:
        ranked = sorted(context.tracks.values(), key=lambda t: (-t.crest_factor_db, t.name))
        pool = [ranked[0].name] if ranked else []
    out = MoveSet(measures=[Crest(track=n) for n in pool], held=list(pool))
    for name in pool:
        crest = context.tracks[name].crest_factor_db if name in context.tracks else 0.0
        attack = clamp(4.0 * amount * direction, -12, 12)
        sustain = clamp(-1.5 * amount * direction, -12, 12)
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
        if direction > 0 and hold_body and crest < 20.0:  # spiky drums: it only lowers crest
            threshold = clamp(input_lufs(context, name) + 2.0, -40, -3)
            out.calls.append(
                compressor_call(
                    name,
                    threshold,
                    ratio=4.0,
                    attack_ms=25.0,
                    release_ms=110.0,
                    makeup_db=1.0,
                    reason=f"{name}: 4:1 with a 25 ms attack lets the hit through, holds the body",
                )
            )
    return out


def compress_move(
    context: PlanContext,
    names: list[str] | None,
    *,
    direction: int,
    amount: float,
    remove: bool = False,
    ratio_said: float | None = None,
) -> MoveSet:
    """More compression on the named tracks (or the mix bus), less (the threshold up and
    the ratio down, by a step), or none."""
    whole_mix = names is None
    if names is None:
        glue = context.state.master.glue
        if direction > 0 or (context.state.master.enabled and glue is not None):
            return glue_move(context, amount=amount, direction=direction)
        # "the mix sounds squashed" with no bus compressor: it is the tracks' compressors
        names = [t.name for t in context.state.audible_tracks() if t.compressor is not None]
    out = MoveSet(measures=[Crest(track=n) for n in names] or [Crest()])
    if whole_mix and direction < 0:  # dynamics back: the drums' hits stand up again
        hits = punch_move(context, None, direction=1, amount=0.8 * amount, hold_body=False)
        hits.held.clear()  # the hits standing out of the mix again is the point
        out.extend(hits)
        out.measures.insert(0, Crest())
    for name in names:
        current = context.state.track(name).compressor
        if direction < 0 and current is None:
            out.notes.append(f"{name} has no compressor to back off")
            continue
        if direction < 0 and current is not None and (remove or current.ratio <= 1.6):
            out.calls.append(
                ToolCall(
                    tool="remove_compressor",
                    args={"track": name},
                    reason=f"{name}: more dynamic, compressor off",
                )
            )
            continue
        if current is not None:
            out.calls.append(
                _stepped(name, current, direction=direction, amount=amount, ratio_said=ratio_said)
            )
            continue
        threshold = clamp(input_lufs(context, name) - 4.0 - 2.0 * amount, -40, -3)
        ratio = ratio_said or 4.0
        out.calls.append(
            compressor_call(
                name,
                threshold,
                ratio=ratio,
                attack_ms=EVEN_OUT_ATTACK_MS,
                release_ms=100.0,
                makeup_db=0.0,
                reason=f"{name} at {input_lufs(context, name):.1f} LUFS in: {ratio:g}:1 from "
                f"{threshold:.0f} dB with a fast attack, to even out its peaks and level",
            )
        )
    if not out.calls and not out.notes:
        out.notes.append("no compressor on these tracks or the mix bus to back off")
    return out


def _stepped(
    name: str,
    current: Compressor,
    *,
    direction: int,
    amount: float,
    ratio_said: float | None = None,
) -> ToolCall:
    """The compressor there, a step harder (threshold 4 dB down, ratio +1 per unit of
    amount, a fast attack so the peaks are held too) or softer (the reverse, and 1 dB less
    makeup: about half the gain reduction)."""
    threshold = clamp(current.threshold_db - 4.0 * amount * direction, -40, -3)
    ratio = round(clamp(current.ratio + 1.0 * amount * direction, 1.5, 10.0), 1)
    if ratio_said is not None and direction > 0:
        ratio = ratio_said
    attack = min(current.attack_ms, EVEN_OUT_ATTACK_MS) if direction > 0 else current.attack_ms
    makeup = current.makeup_db if direction > 0 else max(0.0, current.makeup_db - amount)
    how = "more compression" if direction > 0 else "less compression"
    return compressor_call(
        name,
        threshold,
        ratio=ratio,
        attack_ms=attack,
        release_ms=current.release_ms,
        makeup_db=round(makeup, 1),
        reason=f"{name}: {how}, {current.ratio:g}:1 from {current.threshold_db:.0f} dB → "
        f"{ratio:g}:1 from {threshold:.0f} dB",
    )


def glue_move(context: PlanContext, *, amount: float, direction: int = 1) -> MoveSet:
    out = MoveSet(measures=[Crest()])
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
    threshold = clamp(mix_lufs - 1.0 - 2.0 * (amount - 1.0), -40, -3)
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
                "attack_ms": 5.0,
                "release_ms": 150.0,
            },
            reason=f"mix at {mix_lufs:.1f} LUFS: 2:1 glue from {threshold:.0f} dB, 5 ms attack "
            "(the peaks sit into the body of the mix)",
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
        drive = 0.0 if direction < 0 else round(clamp(4.0 * amount, 0, 24), 1)
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
    out = MoveSet(measures=[TruePeak()], level_change=True)
    if not on:
        out.calls.append(
            ToolCall(tool="set_master", args={"enabled": False}, reason="master chain off")
        )
        return out
    target = clamp(target_lufs if target_lufs is not None else -14.0, -40, -4)
    ceiling = clamp(ceiling_dbtp if ceiling_dbtp is not None else -1.0, -12, 0)
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


def compressor_call(
    name: str,
    threshold_db: float,
    *,
    ratio: float,
    attack_ms: float,
    release_ms: float,
    makeup_db: float,
    reason: str,
) -> ToolCall:
    """A set_compressor call with the threshold rounded to 0.1 dB."""
    args = {
        "track": name,
        "threshold_db": round(threshold_db, 1),
        "ratio": ratio,
        "attack_ms": attack_ms,
        "release_ms": release_ms,
        "makeup_db": makeup_db,
    }
    return ToolCall(tool="set_compressor", args=args, reason=reason)
