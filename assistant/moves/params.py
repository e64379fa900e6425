"""Moves for briefs in engineering terms (see brief_params): each is the one tool call the
brief names, on the tracks it names, with the numbers it gives."""

from __future__ import annotations

from mixchat.assistant.moves.tone import (
    MoveSet,
    band_move,
    clamp,
    eq_call,
    said_band,
    track_band_measures,
)
from mixchat.assistant.planning.contract import PlanContext
from mixchat.assistant.planning.measures import BusReturn, TrackLevel
from mixchat.assistant.reading.asks import Ask
from mixchat.tools.base import ToolCall
from mixchat.tools.settings_text import hz

PARAMETER_CONCEPTS = ("eq_point", "high_pass", "low_pass", "send_off", "level_set")


def _eq_shape(freq_hz: float, gain_db: float) -> tuple[str, float]:
    """A shelf at the ends of the range ("boost 2 dB at 10k"), a bell elsewhere."""
    if freq_hz >= 8000.0 and gain_db > 0:
        return "high_shelf", 0.7
    if freq_hz <= 80.0:
        return "low_shelf", 0.7
    return "bell", 1.4 if gain_db < 0 else 1.0


# where a high-pass starts on a part when no frequency is said: under the part's own range
HIGH_PASS_BY_ROLE_HZ = {"bass": 30.0, "kick": 30.0, "sub": 25.0, "drums": 40.0, "vocal": 100.0}
DEFAULT_HIGH_PASS_HZ = 150.0
DEFAULT_LOW_PASS_HZ = 12000.0
FILTER_STEP = 1.5  # a filter already there moves this far (in frequency ratio)


def _unsaid_cutoff(concept: str, track) -> float:
    """The cutoff for "high pass the pad" / "low cut the keys": a filter already there moves
    one step further; else a start under (or over) the part's usual range."""
    if concept == "high_pass":
        if track.hpf_hz:
            return track.hpf_hz * FILTER_STEP
        role = next((r for r in HIGH_PASS_BY_ROLE_HZ if r in track.role), None)
        return HIGH_PASS_BY_ROLE_HZ[role] if role else DEFAULT_HIGH_PASS_HZ
    return track.lpf_hz / FILTER_STEP if track.lpf_hz else DEFAULT_LOW_PASS_HZ


def parameter_move(
    context: PlanContext, ask: Ask, names: list[str] | None, *, amount: float = 1.0
) -> MoveSet:
    out = MoveSet()
    if not names:
        out.notes.append(f"'{ask.word}' needs a track: say which one, e.g. '... on the vocal'.")
        return out
    if ask.concept == "eq_point" and ask.value is None:
        # "a nasty resonance in the snare around 500": a band said, no dB: a clear step on
        # the part there, as for the band's own word
        said = ask.descriptor
        spec = said_band(said if isinstance(said, tuple) else float(said), direction=ask.direction)
        return band_move(
            context, "said", direction=ask.direction, amount=amount, names=names, explicit=True,
            spec=spec,
        )  # fmt: skip
    for name in names:
        track = context.state.track(name)
        if ask.concept == "eq_point":
            span = ask.descriptor
            centre = (span[0] * span[1]) ** 0.5 if isinstance(span, tuple) else float(span)
            freq = clamp(centre, 20.0, 20000.0)
            gain = clamp(float(ask.value or 0.0), -24.0, 24.0)
            kind, q = _eq_shape(freq, gain)
            if isinstance(span, tuple):  # a range: a bell as wide as it
                kind, q = "bell", clamp(centre / (span[1] - span[0]), 0.4, 4.0)
            verb = "cut" if gain < 0 else "boost"
            reason = f"{verb} {abs(gain):g} dB at {hz(freq)}, as asked"
            out.calls.append(eq_call(name, kind, freq, gain, q, reason))
            out.measures.extend(track_band_measures([name], freq / 1.41, freq * 1.41))
        elif ask.concept in ("high_pass", "low_pass"):
            low_hz, high_hz = (10.0, 2000.0) if ask.concept == "high_pass" else (1000.0, 22000.0)
            value = ask.value
            if value is None and ask.word == "filter":  # a filter asked for, no frequency said
                value = _unsaid_cutoff(ask.concept, track)
            cutoff = None if value is None else clamp(float(value), low_hz, high_hz)
            what = "high-pass" if ask.concept == "high_pass" else "low-pass"
            if ask.value is not None and cutoff != ask.value:
                out.notes.append(f"a {what} goes from {low_hz:g} to {high_hz:g} Hz here")
            reason = f"{what} {'off' if cutoff is None else hz(cutoff)}, as asked"
            out.calls.append(
                ToolCall(
                    tool=f"set_{ask.concept}",
                    args={"track": name, "cutoff_hz": cutoff},
                    reason=reason,
                )
            )
            old = track.hpf_hz if ask.concept == "high_pass" else track.lpf_hz
            edge = cutoff or old
            if edge:
                low, high = (20.0, edge * 2) if ask.concept == "high_pass" else (edge / 2, 20000.0)
                out.measures.extend(track_band_measures([name], low, high))
        elif ask.concept == "send_off":
            field = f"{ask.word}_send_db"
            if getattr(track, field) is None:
                out.notes.append(f"{name} has no {ask.word} send")
                continue
            out.calls.append(
                ToolCall(
                    tool="set_send",
                    args={"track": name, "bus": ask.word, "send_db": None},
                    reason=f"no {ask.word} on {name}, as asked",
                )
            )
            out.measures.append(BusReturn(bus="reverb" if ask.word == "reverb" else "delay"))
        elif ask.concept == "level_set":
            level = clamp(float(ask.value or 0.0), -60.0, 24.0)
            out.calls.append(
                ToolCall(
                    tool="set_track_gain",
                    args={"track": name, "gain_db": level},
                    reason=f"{name}'s fader at {level:+.1f} dB, as asked",
                )
            )
            out.measures.append(TrackLevel(track=name))
            out.level_change = True
    return out
