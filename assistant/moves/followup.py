"""Follow-ups on the last change, whatever it touched: "halfway back", "a bit more", "too
much". They act on the difference between two states, field by field, so a setting added
by a new tool is covered without new code here.

``blend(new, old, fraction)`` walks the two states together: 0 gives ``new``, 1 gives
``old``, 0.5 half way back, a negative fraction goes further the same way ("a bit more":
-0.5). Numbers move linearly (dB, pan, ratios) or geometrically (Hz, ms); a stage or send
switched on by the change moves from its neutral setting (a compressor at 1:1, a send at
silence, an EQ band at 0 dB) and is removed when it gets back there; items of a list are
matched by what identifies them (a track's name, a section ride's span, an EQ band's kind
and frequency), so labels and every other field not in the difference are kept as they are.
Values stay inside each field's bounds.
"""

from __future__ import annotations

import math
from typing import Any

from annotated_types import Ge, Gt, Le, Lt
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from mixchat.assistant.planning.measures import (
    BusReturn,
    Centroid,
    Crest,
    Loudness,
    Measure,
    SectionContrast,
    SectionLevel,
    TrackLevel,
    TrackPan,
    TrackRange,
    TrackWidth,
    Width,
)
from mixchat.dsp.state import MixState
from mixchat.tools.base import ToolCall
from mixchat.tools.settings_text import track_setting
from mixchat.tools.track_tools import merges_with

# The value of a field that makes its stage do nothing (a compressor at 1:1 from 0 dBFS).
# Only the fields that set how much the stage does (a compressor's ratio, not its threshold;
# a saturator's drive, not its mix): moving both would take the effect back twice as fast.
NEUTRAL = {
    "ratio": 1.0,
    "gain_db": 0.0,
    "attack_db": 0.0,
    "sustain_db": 0.0,
    "drive_db": 0.0,
    "makeup_db": 0.0,
    "reduction_db": 0.0,
    "reverb_send_db": 0.0,
    "delay_send_db": 0.0,
}
# A ratio moves through its slope (1 - 1/ratio, the share of the overshoot it removes), so
# half way from 1:1 to 3:1 removes half as much (1.5:1), not 2:1's three quarters.
SLOPE = ("ratio",)
SILENCE_DB = -60.0  # a send or level under this is off
GEOMETRIC = ("_hz", "_ms")


def _bounds(info: FieldInfo | None) -> tuple[float, float]:
    low, high = -math.inf, math.inf
    for item in info.metadata if info is not None else ():
        if isinstance(item, (Ge, Gt)):
            low = float(item.ge if isinstance(item, Ge) else item.gt)  # type: ignore[arg-type]
        if isinstance(item, (Le, Lt)):
            high = float(item.le if isinstance(item, Le) else item.lt)  # type: ignore[arg-type]
    return low, high


def _number(new: float, old: float, fraction: float, name: str, info: FieldInfo | None):
    low, high = _bounds(info)
    if name in SLOPE and new >= 1 and old >= 1 and fraction > 0:
        slope = (1 - 1 / new) + ((1 - 1 / old) - (1 - 1 / new)) * fraction
        value = 1 / max(1 - slope, 1e-3)
    elif name.endswith(GEOMETRIC) and new > 0 and old > 0:
        value = new * (old / new) ** fraction
    else:
        value = new + (old - new) * fraction
    value = min(high, max(low, value))
    return type(new)(round(value, 3)) if isinstance(new, int) else round(value, 3)


def _optional_number(new: float | None, old: float | None, fraction: float, name: str, info):
    """A send (or filter) switched on or off: dB fields through their amplitude (off is
    silence), a filter through the bound where it does nothing."""
    low, high = _bounds(info)
    if name.endswith("_db"):
        amp_new = 0.0 if new is None else 10 ** (new / 20)
        amp_old = 0.0 if old is None else 10 ** (old / 20)
        amp = amp_new + (amp_old - amp_new) * fraction
        if amp <= 10 ** (SILENCE_DB / 20):
            return None
        return round(min(high, max(low, 20 * math.log10(amp))), 2)
    edge = low if "hpf" in name or "high_pass" in name else high
    if not math.isfinite(edge):
        return new if fraction < 0.5 else old
    value = _number(
        edge if new is None else new, edge if old is None else old, fraction, name, info
    )
    return None if abs(value - edge) < 1e-6 else value


def _neutral(model: BaseModel) -> BaseModel | None:
    """The model with every field that has a neutral value set to it (None if none has)."""
    fields = {k: v for k, v in NEUTRAL.items() if k in type(model).model_fields}
    if "reduction_db" in fields:  # a capped dynamic band: its cap says how much it does
        fields.pop("ratio", None)
    if not fields:
        return None
    return model.model_copy(update=fields)


def _key(item: Any) -> Any:
    if isinstance(item, BaseModel):
        data = item.__dict__
        if "name" in data:
            return ("name", data["name"])
        if {"track", "start_s", "end_s"} <= set(data):
            return ("span", data["track"], round(data["start_s"], 3), round(data["end_s"], 3))
    return None


def _same_band(a: Any, b: Any) -> bool:
    return (
        isinstance(a, BaseModel)
        and isinstance(b, BaseModel)
        and type(a) is type(b)
        and "freq_hz" in a.__dict__
        and a.__dict__.get("kind") == b.__dict__.get("kind")
        and merges_with(a.freq_hz, b.freq_hz)  # type: ignore[attr-defined]
    )


def _list(new: tuple, old: tuple, fraction: float, name: str) -> tuple:
    if len(new) == len(old) and all(isinstance(x, (int, float)) for x in (*new, *old)):
        return tuple(_number(a, b, fraction, name, None) for a, b in zip(new, old))
    keyed_old = {_key(b): b for b in old if _key(b) is not None}
    out, matched = [], set()
    for item in new:
        partner = keyed_old.get(_key(item)) if _key(item) is not None else None
        if partner is None:
            partner = next((b for b in old if _same_band(item, b) or b == item), None)
        if partner is not None:
            matched.add(id(partner))
            out.append(blend_value(item, partner, fraction, name))
            continue
        back = _from_neutral(item, fraction, toward_neutral=True)
        if back is not None:
            out.append(back)
    for item in old:  # removed by the change: brought part of the way back
        if id(item) not in matched and not any(_same_band(item, n) or item == n for n in new):
            back = (
                _from_neutral(item, 1.0 - fraction, toward_neutral=True) if fraction > 0 else None
            )
            if back is not None:
                out.append(back)
    return tuple(out)


def _from_neutral(item: Any, fraction: float, *, toward_neutral: bool) -> Any:
    """``item`` moved ``fraction`` of the way to its neutral setting (None when it gets
    there, or when it has no neutral setting and goes more than half way)."""
    if not isinstance(item, BaseModel):
        return None if fraction >= 0.5 else item
    neutral = _neutral(item)
    if neutral is None:
        return None if fraction >= 0.5 else item
    if fraction >= 1.0:
        return None
    return blend_value(item, neutral, fraction, "")


def blend_value(new: Any, old: Any, fraction: float, name: str, info: FieldInfo | None = None):
    if new == old:
        return new
    if fraction >= 1.0:
        return old
    if isinstance(new, BaseModel) and isinstance(old, BaseModel) and type(new) is type(old):
        fields = type(new).model_fields
        update = {
            k: blend_value(getattr(new, k), getattr(old, k), fraction, k, fields[k])
            for k in fields
            if getattr(new, k) != getattr(old, k)
        }
        return new.model_copy(update=update)
    if isinstance(new, bool) or isinstance(old, bool):  # a switch: kept until all the way back
        return new
    if isinstance(new, (int, float)) and isinstance(old, (int, float)):
        return _number(new, old, fraction, name, info)
    if new is None or old is None:
        present = new if new is not None else old
        if isinstance(present, (int, float)):
            return _optional_number(new, old, fraction, name, info)
        if isinstance(present, BaseModel):
            neutral = _neutral(present)
            if neutral is None:
                return new
            result = blend_value(
                new if new is not None else neutral,
                old if old is not None else neutral,
                fraction,
                name,
                info,
            )
            return None if result == neutral else result
        return new
    if isinstance(new, tuple) and isinstance(old, tuple):
        return _list(new, old, fraction, name)
    return new


def blend(new: MixState, old: MixState, fraction: float) -> MixState:
    """``new`` taken ``fraction`` of the way back to ``old`` (negative: further from it)."""
    return MixState.model_validate(blend_value(new, old, fraction, "").model_dump())


def blend_call(current: MixState, target: MixState, *, version: int, fraction: float) -> ToolCall:
    """The ``blend_settings`` call that turns ``current`` into ``target``, naming only the
    parts that differ."""
    now = {t.name: t for t in current.tracks}
    args: dict[str, Any] = {"toward_version": version, "fraction": round(fraction, 3)}
    tracks = [t.model_dump(mode="json") for t in target.tracks if now.get(t.name) != t]
    if tracks:
        args["tracks"] = tracks
    for part in ("reverb", "delay", "master"):
        if getattr(target, part) != getattr(current, part):
            args[part] = getattr(target, part).model_dump(mode="json")
    if target.automation != current.automation:
        args["automation"] = [a.model_dump(mode="json") for a in target.automation]
    return ToolCall(tool="blend_settings", args=args, reason=_what_moved(current, target))


def _what_moved(current: MixState, target: MixState) -> str:
    """ "Vocal: fader, EQ; reverb bus": the settings a blend moves."""
    parts = []
    for track in target.tracks:
        was = current.track(track.name)
        fields = [k for k in type(track).model_fields if getattr(track, k) != getattr(was, k)]
        if fields:
            parts.append(f"{track.name}: {', '.join(track_setting(f) for f in fields)}")
    for part in ("reverb", "delay", "master", "automation"):
        if getattr(target, part) != getattr(current, part):
            parts.append(f"{part}" + (" bus" if part in ("reverb", "delay") else ""))
    return "moves " + "; ".join(parts) if parts else "no setting moves"


# --- what a difference is measured by ---------------------------------------------------------
def diff_measures(old: MixState, new: MixState) -> list[Measure]:
    """The measures that show a difference between two states (quoted by a follow-up's
    reply): a fader by the track against the rest, an EQ by the track's own level around
    the band, a pan by the track's balance, a send or bus by its return, dynamics by crest,
    a section ride by the section against the song, the master by loudness and tone."""
    out: list[Measure] = []
    before = {t.name: t for t in old.tracks}
    for track in new.tracks:
        was = before.get(track.name)
        if was is None or was == track:
            continue
        name = track.name
        if (track.gain_db, track.trim_db, track.mute) != (was.gain_db, was.trim_db, was.mute):
            out.append(TrackLevel(track=name))
        if track.cleanup.deess != was.cleanup.deess:
            out.append(TrackRange(track=name, low_hz=5000.0, high_hz=10000.0))
        elif track.cleanup != was.cleanup:
            out.append(TrackLevel(track=name))
        bands = [b for b in track.eq if b not in was.eq] + [b for b in was.eq if b not in track.eq]
        for band in bands[:2]:
            out.append(
                TrackRange(track=name, low_hz=band.freq_hz / 1.5, high_hz=band.freq_hz * 1.5)
            )
        if track.hpf_hz != was.hpf_hz:
            edge = track.hpf_hz or was.hpf_hz or 100.0
            out.append(TrackRange(track=name, low_hz=20.0, high_hz=edge))
        if track.lpf_hz != was.lpf_hz:
            edge = track.lpf_hz or was.lpf_hz or 10000.0
            out.append(TrackRange(track=name, low_hz=edge, high_hz=20000.0))
        if track.pan != was.pan:
            out.append(TrackPan(track=name))
        if track.width != was.width:
            out.extend((Width(), TrackWidth(track=name)))
        for bus in ("reverb", "delay"):
            if getattr(track, f"{bus}_send_db") != getattr(was, f"{bus}_send_db"):
                out.append(BusReturn(bus=bus))  # type: ignore[arg-type]
        if (track.compressor, track.transient, track.saturation, track.gate) != (
            was.compressor,
            was.transient,
            was.saturation,
            was.gate,
        ):
            out.append(Crest(track=name))
    if new.reverb != old.reverb:
        out.append(BusReturn(bus="reverb"))
    if new.delay != old.delay:
        out.append(BusReturn(bus="delay"))
    for ride in set(new.automation) ^ set(old.automation):
        out.append(SectionContrast(label=ride.label) if ride.label else Loudness())
        if ride.label and ride.track is not None:
            out.append(SectionLevel(names=(ride.track,), label=ride.label))
    if new.master.eq != old.master.eq:
        out.append(Centroid())
    if new.master.glue != old.master.glue:
        out.append(Crest())
    if (new.master.target_lufs, new.master.enabled) != (old.master.target_lufs, old.master.enabled):
        out.append(Loudness())
    return list(dict.fromkeys(out))
