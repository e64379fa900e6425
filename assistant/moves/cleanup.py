"""Clean-up moves for briefs that name a recording fault: the detectors' findings on each
target's raw stem decide the tool call and its numbers (see mixchat.tools.cleanup_moves).
Without a named track, the move goes where the fault was found (esses and plosives: on the
vocals that have them, since the brief itself says they are heard). A fault asked about but
not measured gets a note with what was measured instead, not an invented move."""

from __future__ import annotations

from mixchat.assistant.moves.tone import MoveSet, clamp
from mixchat.assistant.planning.contract import PlanContext
from mixchat.assistant.planning.measures import Measure, TrackLevel, TrackRange
from mixchat.dsp.cleanup.detect import StemFaults, is_vocal
from mixchat.dsp.state import TrackState
from mixchat.tools.base import ToolCall
from mixchat.tools.cleanup_moves import (
    NOISE_REDUCTION_DB,
    click_call,
    dc_call,
    hum_call,
    noise_call,
    plosive_call,
    rumble_hpf_call,
    sibilance_call,
)

DE_ESS_DB = 10.0
PLOSIVE_DB = 12.0
HUM_DB = 40.0
LABELS = {
    "hum": "50/60 Hz hum",
    "noise": "a steady noise floor",
    "clicks": "clicks",
    "dc_offset": "a DC offset",
    "rumble": "rumble",
    "plosives": "plosive thumps",
    "sibilance": "harsh esses",
}


def _found(concept: str, faults: StemFaults) -> bool:
    if concept == "plosives":
        return bool(faults.rumble.plosives)
    if concept == "sibilance":
        return faults.sibilance is not None and faults.sibilance.found
    return bool(getattr(faults, concept).found)


def _pool(context: PlanContext, concept: str, names: list[str] | None) -> list[str]:
    if names:
        return names
    tracks = [t.name for t in context.state.audible_tracks()]
    if concept in ("sibilance", "plosives"):
        vocals = [t.name for t in context.state.audible_tracks() if is_vocal(t.role)]
        return vocals
    return tracks


# the band a fault lives in on its track, quoted before → after ("the esses": its 5-10 kHz)
FAULT_BAND_HZ = {"sibilance": (5000.0, 10000.0), "rumble": (20.0, 100.0), "plosives": (20.0, 150.0)}


def _measure_of(concept: str, name: str) -> Measure:
    band = FAULT_BAND_HZ.get(concept)
    if band is None:
        return TrackLevel(track=name)
    return TrackRange(track=name, low_hz=band[0], high_hz=band[1])


def cleanup_move(
    context: PlanContext, concept: str, names: list[str] | None, amount: float
) -> MoveSet:
    out = MoveSet()
    named = bool(names)
    pool = _pool(context, concept, names)
    acted: list[str] = []
    for name in pool:
        faults = context.faults(name)
        if faults is None:
            continue
        track = context.state.track(name)
        call = _call_for(concept, track, faults, amount=amount, named=named)
        if call is None:
            if named:
                out.notes.append(_not_found(concept, track, faults))
            continue
        out.calls.extend(call)
        out.measures.append(_measure_of(concept, name))
        acted.append(name)
    if not acted and not named:
        out.notes.append(
            f"I measured no {LABELS[concept]} on any track"
            + ("" if pool else " (there is no vocal track)")
            + "; name the track if you hear it, e.g. '... on the vocal'."
        )
    return out


def _call_for(
    concept: str, track: TrackState, faults: StemFaults, *, amount: float, named: bool
) -> list[ToolCall] | None:
    found = _found(concept, faults)
    if concept == "hum":
        return (
            [hum_call(track, faults, reduction_db=clamp(HUM_DB * amount, 20.0, 60.0))]
            if found
            else None
        )
    if concept == "noise":
        if faults.noise.profile is None or not (found or named):
            return None
        return [
            noise_call(track, faults, reduction_db=clamp(NOISE_REDUCTION_DB * amount, 6.0, 30.0))
        ]
    if concept == "clicks":
        return [click_call(track, faults)] if found else None
    if concept == "dc_offset":
        return [dc_call(track, faults)] if found or named else None
    if concept == "rumble":
        calls = []
        if faults.rumble.steady or named:
            hpf = rumble_hpf_call(track, faults)
            if hpf is not None:
                calls.append(hpf)
        if faults.rumble.plosives and faults.rumble.threshold_db is not None:
            calls.append(_scaled(plosive_call(track, faults), PLOSIVE_DB * amount))
        return calls or None
    if concept == "plosives":
        if not faults.rumble.plosives or faults.rumble.threshold_db is None:
            return None
        return [_scaled(plosive_call(track, faults), PLOSIVE_DB * amount)]
    if concept == "sibilance":
        sib = faults.sibilance
        if sib is None or sib.threshold_db is None:  # a vocal with esses: the brief heard them
            return None
        call = sibilance_call(track, faults)
        return [_scaled(call, DE_ESS_DB * amount)] if call is not None else None
    return None


def _scaled(call: ToolCall, reduction_db: float) -> ToolCall:
    args = {**call.args, "reduction_db": round(clamp(reduction_db, 3.0, 24.0), 1)}
    return call.model_copy(update={"args": args})


def _not_found(concept: str, track: TrackState, faults: StemFaults) -> str:
    if concept == "hum":
        hum = faults.hum
        return (
            (
                f"I measured no steady 50/60 Hz hum on {track.name} (no line held through the "
                f"stem); nothing notched. Say the frequency to notch it anyway."
            )
            if not hum.harmonics
            else (
                f"{track.name} has a line at {hum.fundamental_hz:.2f} Hz, too weak to call hum "
                f"({hum.against_stem_db:.0f} dB under the stem); nothing notched."
            )
        )
    if concept == "noise":
        return f"{track.name} has no quiet passage to learn its noise from; nothing changed there."
    if concept == "clicks":
        return f"I found no clicks on {track.name}."
    if concept in ("plosives", "rumble"):
        return (
            f"I found no plosive thumps or rumble on {track.name} "
            f"({faults.rumble.below_floor_db:.0f} dB under {faults.rumble.floor_hz:g} Hz)."
        )
    if concept == "sibilance":
        return f"I found no esses to tame on {track.name}."
    return f"I found no {LABELS[concept]} on {track.name}."
