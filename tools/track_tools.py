"""Per-track tools: level, pan and width, EQ and filters, dynamics, colour, sends, mute/solo."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field

from mixchat.dsp.errors import StateError
from mixchat.dsp.state import (
    Compressor,
    EqBand,
    EqKind,
    Gate,
    MixState,
    Saturation,
    TransientShaper,
)
from mixchat.tools.base import Change, ToolArgs, ToolContext, resolve_track, tool
from mixchat.tools.settings_text import (
    compressor,
    cutoff,
    db,
    db_change,
    eq_band,
    gate,
    number,
    pan,
    send,
    width,
)

MAX_EQ_BANDS = 8
MERGE_OCTAVES = 1 / 3


def merges_with(freq_hz: float, other_hz: float) -> bool:
    """True when EQ moves at these two frequencies (of the same kind) land on one band."""
    return abs(math.log2(freq_hz / other_hz)) <= MERGE_OCTAVES


class TrackArgs(ToolArgs):
    track: str = Field(description="Track name (or a unique role such as 'vocal' or 'bass')")


class GainArgs(TrackArgs):
    gain_db: float = Field(ge=-60.0, le=24.0, description="Fader level in dB (0 = unity)")


class DeltaArgs(TrackArgs):
    delta_db: float = Field(ge=-24.0, le=24.0, description="Change in fader level, dB")


class TrimArgs(TrackArgs):
    trim_db: float = Field(ge=-60.0, le=36.0, description="Input trim before the inserts, dB")


class PanArgs(TrackArgs):
    pan: float = Field(ge=-1.0, le=1.0, description="-1 hard left, 0 centre, +1 hard right")


class WidthArgs(TrackArgs):
    width: float = Field(
        ge=0.0, le=2.0, description="Stereo width: 0 mono, 1 as recorded, 2 extra wide"
    )


class EqArgs(TrackArgs):
    kind: EqKind = Field(default="bell", description="bell, low_shelf, high_shelf or notch")
    freq_hz: float = Field(ge=20.0, le=20000.0)
    gain_db: float = Field(ge=-24.0, le=24.0, description="Boost (+) or cut (-) in dB")
    q: float = Field(default=1.0, ge=0.1, le=18.0)


class BandIndexArgs(TrackArgs):
    band_index: int = Field(
        ge=0, le=MAX_EQ_BANDS - 1, description="0-based index into the track's EQ bands"
    )


class SetBandArgs(BandIndexArgs):
    kind: EqKind | None = None
    freq_hz: float | None = Field(default=None, ge=20.0, le=20000.0)
    gain_db: float | None = Field(default=None, ge=-24.0, le=24.0)
    q: float | None = Field(default=None, ge=0.1, le=18.0)


class HighPassArgs(TrackArgs):
    cutoff_hz: float | None = Field(
        ge=10.0, le=2000.0, description="High-pass cutoff in Hz; null removes it"
    )


class LowPassArgs(TrackArgs):
    cutoff_hz: float | None = Field(
        ge=1000.0, le=22000.0, description="Low-pass cutoff in Hz; null removes it"
    )


class CompressorArgs(TrackArgs):
    threshold_db: float = Field(ge=-60.0, le=0.0)
    ratio: float = Field(ge=1.0, le=20.0)
    attack_ms: float = Field(ge=0.1, le=300.0)
    release_ms: float = Field(ge=5.0, le=3000.0)
    makeup_db: float = Field(default=0.0, ge=0.0, le=24.0)


class GateArgs(TrackArgs):
    threshold_db: float = Field(ge=-90.0, le=0.0)
    ratio: float = Field(default=4.0, ge=1.0, le=100.0)
    attack_ms: float = Field(default=1.0, ge=0.1, le=100.0)
    release_ms: float = Field(default=100.0, ge=5.0, le=3000.0)


class TransientArgs(TrackArgs):
    attack_db: float = Field(
        ge=-12.0, le=12.0, description="Emphasis of the attack, dB (+ = punchier)"
    )
    sustain_db: float = Field(
        default=0.0, ge=-12.0, le=12.0, description="Emphasis of the sustain, dB"
    )


class SaturationArgs(TrackArgs):
    drive_db: float = Field(
        ge=0.0, le=24.0, description="Drive into the saturator, dB (0 removes it)"
    )
    mix_pct: float = Field(default=100.0, ge=0.0, le=100.0)


class SendArgs(TrackArgs):
    bus: Literal["reverb", "delay"]
    send_db: float | None = Field(
        ge=-60.0, le=6.0, description="Send level in dB; null turns the send off"
    )


class FlagArgs(TrackArgs):
    on: bool


class RoleArgs(TrackArgs):
    role: str = Field(min_length=2, max_length=30)


def _update(state: MixState, track: str, summary: str, **changes: object) -> Change:
    return Change(state=state.with_track(track, **changes), summary=f"{track}: {summary}")


@tool("set_track_gain", "Set a track's fader level in dB (0 dB = unity).", categories=("level",))
def set_track_gain(state: MixState, args: GainArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(
        state, t.name, f"fader {db_change(t.gain_db, args.gain_db)}", gain_db=args.gain_db
    )


@tool("adjust_track_gain", "Raise or lower a track's fader by delta_db.", categories=("level",))
def adjust_track_gain(state: MixState, args: DeltaArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    new = max(-60.0, min(24.0, t.gain_db + args.delta_db))
    return _update(state, t.name, f"fader {db_change(t.gain_db, new)}", gain_db=new)


@tool(
    "set_track_trim",
    "Set a track's input trim (gain staging before EQ and compression), dB.",
    categories=("level",),
)
def set_track_trim(state: MixState, args: TrimArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(
        state, t.name, f"trim {db_change(t.trim_db, args.trim_db)}", trim_db=args.trim_db
    )


@tool("set_pan", "Pan a track: -1 hard left, 0 centre, +1 hard right.", categories=("stereo",))
def set_pan(state: MixState, args: PanArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(state, t.name, f"pan {pan(t.pan)} → {pan(args.pan)}", pan=args.pan)


@tool(
    "set_width",
    "Set a track's stereo width: 0 mono, 1 as recorded, up to 2 extra wide.",
    categories=("stereo",),
)
def set_width(state: MixState, args: WidthArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(state, t.name, f"width {width(t.width)} → {width(args.width)}", width=args.width)


@tool(
    "apply_eq",
    "Boost or cut on a track. If the track has a band of the same kind within a third of an "
    "octave, gain_db is added to it; otherwise a new band is added (at most 8).",
    categories=("tone",),
)
def apply_eq(state: MixState, args: EqArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    bands, verb = merge_eq_move(
        t.eq, kind=args.kind, freq_hz=args.freq_hz, gain_db=args.gain_db, q=args.q
    )
    return _update(state, t.name, verb, eq=bands)


@tool(
    "set_eq_band",
    "Change fields of one existing EQ band of a track (by 0-based index).",
    categories=("tone",),
)
def set_eq_band(state: MixState, args: SetBandArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    band = _band_at(t.eq, args.band_index, t.name)
    fields = {
        k: v
        for k, v in args.model_dump(include={"kind", "freq_hz", "gain_db", "q"}).items()
        if v is not None
    }
    new_band = EqBand.model_validate({**band.model_dump(), **fields})
    bands = tuple(new_band if i == args.band_index else b for i, b in enumerate(t.eq))
    return _update(
        state,
        t.name,
        f"EQ band {args.band_index}: {eq_band(band)} → {eq_band(new_band)}",
        eq=bands,
    )


@tool("remove_eq_band", "Remove one EQ band from a track (by 0-based index).", categories=("tone",))
def remove_eq_band(state: MixState, args: BandIndexArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    band = _band_at(t.eq, args.band_index, t.name)
    bands = tuple(b for i, b in enumerate(t.eq) if i != args.band_index)
    return _update(state, t.name, f"removed EQ {eq_band(band)}", eq=bands)


@tool(
    "set_high_pass",
    "Set a track's high-pass filter cutoff in Hz (null removes it).",
    categories=("tone",),
)
def set_high_pass(state: MixState, args: HighPassArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(
        state,
        t.name,
        f"high-pass {cutoff(t.hpf_hz)} → {cutoff(args.cutoff_hz)}",
        hpf_hz=args.cutoff_hz,
    )


@tool(
    "set_low_pass",
    "Set a track's low-pass filter cutoff in Hz (null removes it).",
    categories=("tone",),
)
def set_low_pass(state: MixState, args: LowPassArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(
        state,
        t.name,
        f"low-pass {cutoff(t.lpf_hz)} → {cutoff(args.cutoff_hz)}",
        lpf_hz=args.cutoff_hz,
    )


@tool(
    "set_compressor",
    "Put a compressor on a track (replaces its current settings).",
    categories=("dynamics",),
)
def set_compressor(state: MixState, args: CompressorArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    comp = Compressor.model_validate(args.model_dump(exclude={"track"}))
    return _update(state, t.name, f"compressor {compressor(comp)}", compressor=comp)


@tool("remove_compressor", "Take the compressor off a track.", categories=("dynamics",))
def remove_compressor(state: MixState, args: TrackArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(state, t.name, "compressor removed", compressor=None)


@tool("set_gate", "Put a noise gate / expander on a track.", categories=("dynamics",))
def set_gate(state: MixState, args: GateArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    spec = Gate.model_validate(args.model_dump(exclude={"track"}))
    return _update(state, t.name, f"gate {gate(spec)}", gate=spec)


@tool("remove_gate", "Take the gate off a track.", categories=("dynamics",))
def remove_gate(state: MixState, args: TrackArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(state, t.name, "gate removed", gate=None)


@tool(
    "set_transient_shaper",
    "Shape a track's transients: attack_db > 0 adds punch, sustain_db < 0 tightens.",
    categories=("dynamics",),
)
def set_transient_shaper(state: MixState, args: TransientArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    shaper = (
        None
        if args.attack_db == 0 and args.sustain_db == 0
        else TransientShaper(attack_db=args.attack_db, sustain_db=args.sustain_db)
    )
    return _update(
        state,
        t.name,
        f"transients attack {db(args.attack_db)}, sustain {db(args.sustain_db)}",
        transient=shaper,
    )


@tool(
    "set_saturation",
    "Add harmonic saturation to a track (drive_db 0 removes it).",
    categories=("tone",),
)
def set_saturation(state: MixState, args: SaturationArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    sat = None if args.drive_db == 0 else Saturation(drive_db=args.drive_db, mix_pct=args.mix_pct)
    return _update(
        state,
        t.name,
        f"saturation drive {number(args.drive_db)} dB, mix {args.mix_pct:.0f}%",
        saturation=sat,
    )


@tool(
    "set_send",
    "Set a track's send level to the reverb or delay bus, in dB (null = off).",
    categories=("space",),
)
def set_send(state: MixState, args: SendArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    field = f"{args.bus}_send_db"
    old = getattr(t, field)
    return _update(
        state,
        t.name,
        f"{args.bus} send {send(old)} → {send(args.send_db)}",
        **{field: args.send_db},
    )


@tool("set_mute", "Mute (on=true) or unmute a track.", categories=("level",))
def set_mute(state: MixState, args: FlagArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(state, t.name, "muted" if args.on else "unmuted", mute=args.on)


@tool("set_solo", "Solo (on=true) or unsolo a track.", categories=("level",))
def set_solo(state: MixState, args: FlagArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(state, t.name, "soloed" if args.on else "unsoloed", solo=args.on)


@tool("set_polarity", "Invert (on=true) or restore a track's polarity.", categories=("phase",))
def set_polarity(state: MixState, args: FlagArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(
        state,
        t.name,
        "polarity inverted" if args.on else "polarity normal",
        polarity_inverted=args.on,
    )


@tool(
    "set_track_role",
    "Correct a track's role (kick, snare, drums, bass, vocal, guitar, keys, pad, lead...).",
    categories=("role",),
)
def set_track_role(state: MixState, args: RoleArgs, context: ToolContext) -> Change:
    t = resolve_track(state, args.track)
    return _update(state, t.name, f"role {t.role} → {args.role}", role=args.role.strip().lower())


# --- helpers shared with the planners -------------------------------------------------
def merge_eq_move(
    bands: tuple[EqBand, ...], *, kind: EqKind, freq_hz: float, gain_db: float, q: float
) -> tuple[tuple[EqBand, ...], str]:
    """Add ``gain_db`` to a nearby band of the same kind, or append a new band."""
    for index, band in enumerate(bands):
        if band.kind == kind and merges_with(band.freq_hz, freq_hz):
            total = max(-24.0, min(24.0, band.gain_db + gain_db))
            merged = band.model_copy(update={"gain_db": round(total, 2)})
            kept = tuple(merged if i == index else b for i, b in enumerate(bands))
            if abs(total) < 0.05:
                kept = tuple(b for i, b in enumerate(bands) if i != index)
                return kept, f"EQ {eq_band(band)} removed (back to flat)"
            return kept, f"EQ {eq_band(band)} → {db(merged.gain_db)}"
    if len(bands) >= MAX_EQ_BANDS:
        raise StateError(
            f"the track already has {MAX_EQ_BANDS} EQ bands; change or remove one first"
        )
    new = EqBand(kind=kind, freq_hz=freq_hz, gain_db=round(gain_db, 2), q=q)
    return bands + (new,), f"EQ {eq_band(new)}"


def _band_at(bands: tuple[EqBand, ...], index: int, track: str) -> EqBand:
    if index >= len(bands):
        raise StateError(
            f"band_index={index} does not exist on {track} (it has {len(bands)} EQ bands)"
        )
    return bands[index]
