"""Two asks of one brief that make the same EQ band on the same track ("smeared, more
definition": both a low-mid cut) give one band, the deeper; a band the other way, or on
another track, is kept."""

from mixchat.assistant.moves.tone import MoveSet
from mixchat.tools.base import ToolCall


def _eq(track: str, gain_db: float, *, freq_hz: float = 315.0) -> ToolCall:
    args = {"track": track, "kind": "bell", "freq_hz": freq_hz, "gain_db": gain_db, "q": 1.1}
    return ToolCall(tool="apply_eq", args=args, reason=f"{track} cut {gain_db} at {freq_hz}")


def test_the_same_band_said_twice_is_one_cut_the_deeper() -> None:
    first = MoveSet(calls=[_eq("vocal", -4.9), _eq("keys", -3.7)])
    first.notes = [c.reason for c in first.calls]
    second = MoveSet(calls=[_eq("vocal", -6.0), _eq("keys", -3.0)])
    second.notes = [c.reason for c in second.calls]
    first.extend(second)
    assert [(c.args["track"], c.args["gain_db"]) for c in first.calls] == [
        ("vocal", -6.0),
        ("keys", -3.7),
    ]
    assert first.notes == ["keys cut -3.7 at 315.0", "vocal cut -6.0 at 315.0"]


def test_bands_the_other_way_or_elsewhere_add_up() -> None:
    moves = MoveSet(calls=[_eq("vocal", -4.0)])
    moves.extend(MoveSet(calls=[_eq("vocal", 3.0), _eq("vocal", -2.0, freq_hz=3000.0)]))
    assert [c.args["gain_db"] for c in moves.calls] == [-4.0, 3.0, -2.0]
