"""Moods: a word such as "dreamy", "vintage", "aggressive", "intimate" or "huge" names no
single setting but a direction in several at once (tonal tilt, the reverb's size, damping
and send, transients, saturation, width). Each mood is a short list of facets; each facet is
one of the ordinary moves, made smaller than on its own (the mood is their sum), explained
and measured like any other.

The reverb's size, damping and pre-delay come from the crowd-sourced SocialReverb settings
for the word where the lexicon has them (``prompts/lexicon.json``): the bus moves half way
from where it is towards what people chose for that word.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from mixchat.assistant.moves.dynamics import glue_move, punch_move, saturation_move
from mixchat.assistant.moves.space import send_move, width_move
from mixchat.assistant.moves.tone import MoveSet, clamp, shelf_move, tilt_move
from mixchat.assistant.planning.contract import PlanContext
from mixchat.assistant.planning.measures import BusReturn, Centroid, Crest
from mixchat.assistant.reading.lexicon import load_lexicon
from mixchat.tools.base import ToolCall


@dataclass(frozen=True)
class Facet:
    kind: str  # tilt, reverb, width, saturation, punch, glue, low_end, air
    direction: int
    weight: float  # share of the brief's amount this facet gets


F = Facet
MOODS: dict[str, tuple[Facet, ...]] = {
    "huge": (F("width", 1, 1.0), F("reverb", 1, 0.7), F("glue", 1, 0.6)),
    "dreamy": (F("reverb", 1, 1.0), F("width", 1, 0.7), F("tilt", -1, 0.5), F("punch", -1, 0.5)),
    "vintage": (
        F("tilt", -1, 0.9),
        F("saturation", 1, 0.8),
        F("width", -1, 0.5),
        F("glue", 1, 0.7),
    ),
    "aggressive": (
        F("saturation", 1, 1.0),
        F("punch", 1, 0.8),
        F("tilt", 1, 0.5),
        F("glue", 1, 0.8),
    ),
    "intimate": (F("reverb", -1, 1.0), F("width", -1, 0.6), F("tilt", -1, 0.3)),
    "lofi": (F("tilt", -1, 1.3), F("saturation", 1, 1.0), F("width", -1, 0.7)),
    "moody": (F("tilt", -1, 0.8), F("reverb", 1, 0.6)),
    "dark": (F("tilt", -1, 1.0), F("reverb_tone", -1, 1.0)),
}
WHAT = {
    "tilt": "tonal tilt",
    "reverb": "reverb",
    "reverb_tone": "reverb tone",
    "width": "width",
    "saturation": "saturation",
    "punch": "transients",
    "glue": "bus compression",
    "low_end": "low end",
}
LEXICON_WORD = {"dark": "dark", "moody": "dark", "lofi": "vintage"}


def mood_move(
    context: PlanContext,
    mood: str,
    *,
    direction: int,
    amount: float,
    word: str,
    skip: tuple[str, ...] = (),
) -> MoveSet:
    """The facets of ``mood`` (its opposite when direction < 0), each a small move; the
    facets in ``skip`` are left out."""
    out = MoveSet()
    facets = tuple(f for f in MOODS[mood] if f.kind not in skip)
    said = []
    for facet in facets:
        d = facet.direction * (1 if direction > 0 else -1)
        moved = FACETS[facet.kind](context, d, amount * facet.weight, mood)
        if moved.calls:
            said.append(f"{WHAT[facet.kind]} {'up' if d > 0 else 'down'}")
        out.extend(moved)
    opposite = "" if direction > 0 else "less "
    out.notes.insert(
        0,
        f"'{opposite}{word}' is a mood, not one setting: {', '.join(said)} together, each a "
        "smaller step than on its own",
    )
    return out


def _tilt(context: PlanContext, d: int, amount: float, mood: str) -> MoveSet:
    return tilt_move(context, direction=d, amount=amount, names=None, word=f"{mood} (tilt)")


def _crowd_reverb(mood: str):
    try:
        descriptor = load_lexicon().lookup(LEXICON_WORD.get(mood, mood), approximate=False)
    except Exception:  # noqa: BLE001 - without the lexicon the bus keeps its character
        return None
    return descriptor.reverb if descriptor is not None else None


def _reverb(context: PlanContext, d: int, amount: float, mood: str) -> MoveSet:
    out = send_move(context, None, direction=d, amount=amount, bus="reverb", sections=())
    if d < 0 and not out.calls:
        return out  # nothing sent to the bus: reshaping a silent reverb changes nothing heard
    bus = context.state.reverb
    crowd = _crowd_reverb(mood)
    if crowd is not None:
        size = crowd.room_size if d > 0 else min(bus.room_size, crowd.room_size)
        args = {
            "room_size": round(bus.room_size + 0.5 * (size - bus.room_size), 2),
            "damping": round(bus.damping + 0.5 * (crowd.damping - bus.damping), 2),
            "pre_delay_ms": round(bus.pre_delay_ms + 0.5 * (crowd.pre_delay_ms - bus.pre_delay_ms)),
        }
        source = f"SocialReverb's '{LEXICON_WORD.get(mood, mood)}' ({crowd.num} people)"
    else:
        step = 0.15 * amount * d
        args = {"room_size": round(clamp(bus.room_size + step, 0.1, 0.95), 2)}
        source = "a bigger room" if d > 0 else "a smaller room"
    out.calls.append(
        ToolCall(
            tool="set_reverb",
            args=args,
            reason=f"{mood}: reverb room {bus.room_size:g} → {args['room_size']:g}"
            + (
                f", damping {bus.damping:g} → {args['damping']:g}, pre-delay "
                f"{bus.pre_delay_ms:g} → {args['pre_delay_ms']:g} ms"
                if "damping" in args
                else ""
            )
            + f", half way towards {source}",
        )
    )
    out.measures.append(BusReturn(bus="reverb"))
    return out


def _reverb_tone(context: PlanContext, d: int, amount: float, mood: str) -> MoveSet:
    """A darker (or brighter) reverb tail: damping and the return's low-pass."""
    bus = context.state.reverb
    damping = round(clamp(bus.damping + 0.15 * amount * -d, 0.0, 0.95), 2)
    lpf = round(clamp(bus.lpf_hz * (0.7 if d < 0 else 1.4) ** min(amount, 2.0), 2000, 18000))
    out = MoveSet()
    if damping == bus.damping and lpf == bus.lpf_hz:
        return out
    out.calls.append(
        ToolCall(
            tool="set_reverb",
            args={"damping": damping, "lpf_hz": float(lpf)},
            reason=f"{mood}: a {'darker' if d < 0 else 'brighter'} reverb tail (damping "
            f"{bus.damping:g} → {damping:g}, return low-pass {bus.lpf_hz:.0f} → {lpf:.0f} Hz)",
        )
    )
    return out


def reverb_tone_move(context: PlanContext, d: int, amount: float) -> MoveSet:
    """ "The reverb is too dark", "a brighter verb": the tail's own tone, measured on the
    reverb return and the mix's centroid."""
    out = _reverb_tone(context, d, amount, "reverb")
    if not out.calls:
        side = "bright" if d > 0 else "dark"
        out.notes.append(f"the reverb tail is as {side} as this reverb goes already")
    out.measures.extend([BusReturn(bus="reverb"), Centroid()])
    return out


def _width(context: PlanContext, d: int, amount: float, mood: str) -> MoveSet:
    return width_move(context, None, direction=d, amount=amount)


def _saturation(context: PlanContext, d: int, amount: float, mood: str) -> MoveSet:
    out = saturation_move(context, None, direction=d, amount=amount)
    out.measures.append(Crest())
    return out


def _punch(context: PlanContext, d: int, amount: float, mood: str) -> MoveSet:
    return punch_move(context, None, direction=d, amount=amount)


def _glue(context: PlanContext, d: int, amount: float, mood: str) -> MoveSet:
    return glue_move(context, amount=amount, direction=d)


def _low_end(context: PlanContext, d: int, amount: float, mood: str) -> MoveSet:
    return shelf_move(context, "low_end", direction=d, amount=amount, names=None)


FACETS: dict[str, Callable[[PlanContext, int, float, str], MoveSet]] = {
    "tilt": _tilt,
    "reverb": _reverb,
    "reverb_tone": _reverb_tone,
    "width": _width,
    "saturation": _saturation,
    "punch": _punch,
    "glue": _glue,
    "low_end": _low_end,
}
