"""A model's tool call checked against what the offline reader found in the brief.

Schemas catch a wrong type or range; they cannot catch a small model that answers "bring the
vocal up 3 dB" with the bass at +24 dB. Before a call is applied it is checked against the
reader's frame, only where the frame is unambiguous:

* size: no fader or EQ move larger than ``MAX_MOVE_DB`` unless the brief names that much;
* level: a level brief that names its tracks moves those tracks' faders, in the direction
  asked, by the dB asked when a number was given;
* top end: a brief for less top end (darker, duller) does not boost above ``TOP_HZ``, and one
  for more does not cut there.

A call that fails goes back to the model as a one-line tool error (it may correct it), exactly
like a value out of range; nothing here changes a call.
"""

from __future__ import annotations

from dataclasses import dataclass

from mixchat.assistant.reading.reader import BriefReading, Clause
from mixchat.dsp.state import MixState
from mixchat.tools.base import ToolCall, track_name_or_none

MAX_MOVE_DB = 9.0
AMOUNT_SLACK_DB = 1.0
TOP_HZ = 2000.0
FADER_TOOLS = ("adjust_track_gain", "set_track_gain")
EQ_TOOLS = ("apply_eq", "apply_master_eq")
TOP_CONCEPTS = ("brightness", "air")


@dataclass(frozen=True)
class LevelAsk:
    tracks: frozenset[str]
    direction: int
    db: float | None


def check_call(
    call: ToolCall, reading: BriefReading | None, state: MixState, *, question: bool = False
) -> str:
    """Why ``call`` contradicts the brief (one line), or "" when it does not. For a question
    ("how loud is the vocal?") only the size is checked: it asks for no direction."""
    if reading is None or reading.intent != "change":
        return ""
    if question:
        return _size(call, reading, state)
    return _level(call, reading, state) or _size(call, reading, state) or _top_end(call, reading)


def fader_move_db(call: ToolCall, state: MixState) -> float | None:
    """How far ``call`` moves a track's fader (None for other calls or unknown tracks)."""
    if call.tool not in FADER_TOOLS:
        return None
    track = track_name_or_none(state, call.args.get("track"))
    if track is None:
        return None
    if call.tool == "adjust_track_gain":
        return _number(call.args.get("delta_db"))
    gain = _number(call.args.get("gain_db"))
    return None if gain is None else gain - state.track(track).gain_db


def _size(call: ToolCall, reading: BriefReading, state: MixState) -> str:
    asked = max((abs(c.amount.db) for c in reading.clauses if c.amount.db is not None), default=0.0)
    limit = max(MAX_MOVE_DB, asked + AMOUNT_SLACK_DB)
    move = fader_move_db(call, state)
    if move is None and call.tool in EQ_TOOLS:
        move = _number(call.args.get("gain_db"))
    if move is not None and abs(move) > limit:
        return f"a {move:+.1f} dB move is far more than the brief asks; stay within ±{limit:g} dB"
    return ""


def _level(call: ToolCall, reading: BriefReading, state: MixState) -> str:
    move = fader_move_db(call, state)
    asks = _level_asks(reading, state)
    if move is None or not asks:
        return ""
    track = track_name_or_none(state, call.args.get("track")) or ""
    named = frozenset().union(*(a.tracks for a in asks))
    if track not in named:
        return f"the brief asks to change the level of {', '.join(sorted(named))}, not {track}"
    for ask in (a for a in asks if track in a.tracks):
        if move * ask.direction <= 0:
            way = "up" if ask.direction > 0 else "down"
            return f"the brief asks for {track} {way}, and this call moves it {move:+.1f} dB"
        if ask.db is not None and abs(abs(move) - abs(ask.db)) > AMOUNT_SLACK_DB:
            return f"the brief asks for {abs(ask.db):g} dB on {track}, not {move:+.1f} dB"
    return ""


def _level_asks(reading: BriefReading, state: MixState) -> list[LevelAsk]:
    """The level asks whose targets are all named tracks or roles (no groups, no mix)."""
    asks = []
    for clause in reading.clauses:
        tracks = _clause_tracks(clause, state)
        if not tracks:
            continue
        for ask in clause.asks:
            if ask.concept == "level" and ask.direction:
                asks.append(LevelAsk(tracks, ask.direction, clause.amount.db))
    return asks


def _clause_tracks(clause: Clause, state: MixState) -> frozenset[str]:
    if not clause.targets or any(t.kind not in ("track", "role") for t in clause.targets):
        return frozenset()
    names = {
        track.name
        for target in clause.targets
        for track in state.tracks
        if track.name == target.value or (target.kind == "role" and track.role == target.value)
    }
    return frozenset(names)


def _top_end(call: ToolCall, reading: BriefReading) -> str:
    if call.tool not in EQ_TOOLS:
        return ""
    freq, gain = _number(call.args.get("freq_hz")), _number(call.args.get("gain_db"))
    if freq is None or gain is None or freq < TOP_HZ or not gain:
        return ""
    for clause in reading.clauses:
        for ask in clause.asks:
            if ask.concept in TOP_CONCEPTS and ask.direction * gain < 0:
                want = "less" if ask.direction < 0 else "more"
                act = "boosts" if gain > 0 else "cuts"
                return f"'{ask.word}' asks for {want} top end, and this call {act} {freq:g} Hz"
    return ""


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)
