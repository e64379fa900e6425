"""Section automation as per-sample dB envelopes.

Each SectionAutomation is a trapezoid: 0 dB before its range, its offset inside, 0 dB after,
with a linear ramp of ``ramp_ms`` centred on each boundary (shortened to the range's length
for very short ranges), so a change never clicks. A range starting at 0 s is at full offset
from the first sample. Overlapping ranges add in dB.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence

import numpy as np

from mixchat.dsp.state import SectionAutomation

AUTOMATION_FIELDS = ("gain_db", "reverb_send_db", "delay_send_db")


def _breakpoints(item: SectionAutomation, value: float) -> tuple[list[float], list[float]]:
    ramp_s = min(item.ramp_ms / 1000.0, max(item.end_s - item.start_s, 1e-6))
    half = ramp_s / 2.0
    rise = (item.start_s - half, item.start_s + half) if item.start_s > 0 else (-2.0, -1.0)
    times = [*rise, item.end_s - half, item.end_s + half]
    return times, [0.0, value, value, 0.0]


def matching(
    automation: Sequence[SectionAutomation], *, track: str | None, field: str = "gain_db"
) -> list[SectionAutomation]:
    """The entries that move ``field`` of ``track`` (None: the mix bus)."""
    if field not in AUTOMATION_FIELDS:
        raise ValueError(f"field={field!r} must be one of {AUTOMATION_FIELDS}")
    return [
        a
        for a in automation
        if a.track == track and getattr(a, field) != 0.0 and a.end_s > a.start_s
    ]


def _first_at_or_after(time_s: float, *, start: int, frames: int, sample_rate: int) -> int:
    """The first of samples ``start .. start+frames`` whose time, ``(start + i) / rate``
    as the envelope computes it, is >= ``time_s`` (``frames`` when none is)."""
    i = min(max(math.ceil(time_s * sample_rate) - start, 0), frames)
    while i > 0 and (start + i - 1) / sample_rate >= time_s:
        i -= 1
    while i < frames and (start + i) / sample_rate < time_s:
        i += 1
    return i


def _first_after(time_s: float, *, start: int, frames: int, sample_rate: int) -> int:
    """The first sample whose time is > ``time_s`` (``frames`` when none is)."""
    i = _first_at_or_after(time_s, start=start, frames=frames, sample_rate=sample_rate)
    while i < frames and (start + i) / sample_rate <= time_s:
        i += 1
    return i


Shape = tuple[list[float], list[float]]


def _owner_shapes(
    automation: Sequence[SectionAutomation],
    *,
    track: str | None,
    field: str,
    first_s: float,
    last_s: float,
) -> list[Shape] | None:
    """The trapezoids of ``track``'s ``field`` that reach into ``first_s .. last_s`` (None:
    none does, so nothing moves there)."""
    items = matching(automation, track=track, field=field)
    shapes = [_breakpoints(item, float(getattr(item, field))) for item in items]
    shapes = [(t, v) for t, v in shapes if t[-1] >= first_s and t[0] <= last_s]
    return shapes or None


def _ramp_spans(
    shapes: Sequence[Shape], *, start: int, frames: int, sample_rate: int
) -> list[tuple[int, int]]:
    """The sample ranges, merged, where some trapezoid ramps (its breakpoints included):
    outside them every trapezoid is flat, 0 or its offset."""
    spans = []
    for times, _ in shapes:
        for rise_s, top_s in ((times[0], times[1]), (times[2], times[3])):
            lo = _first_at_or_after(rise_s, start=start, frames=frames, sample_rate=sample_rate)
            hi = _first_after(top_s, start=start, frames=frames, sample_rate=sample_rate)
            if hi > lo:
                spans.append((lo, hi))
    merged: list[tuple[int, int]] = []
    for lo, hi in sorted(spans):
        if merged and lo <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
        else:
            merged.append((lo, hi))
    return merged


def _pieces(frames: int, ramps: list[tuple[int, int]]) -> list[tuple[int, int, bool]]:
    """``0 .. frames`` cut into (lo, hi, ramps) pieces."""
    pieces, at = [], 0
    for lo, hi in ramps:
        if lo > at:
            pieces.append((at, lo, False))
        pieces.append((lo, hi, True))
        at = hi
    if at < frames:
        pieces.append((at, frames, False))
    return pieces


def _envelope(
    shapes: Sequence[Shape], *, lo: int, hi: int, start: int, sample_rate: int, ramps: bool
) -> np.ndarray | np.float32:
    """The dB envelope (float32) of samples ``lo .. hi`` of the block: per sample where
    something ramps, else the one value all of them share.

    Both are the same arithmetic as the whole block's ``np.interp`` sum: on a flat part a
    trapezoid's interpolation gives its 0 or its offset exactly, and the sum is in float64
    in the same order."""
    if ramps:
        seconds = (start + np.arange(lo, hi, dtype=np.float64)) / float(sample_rate)
        envelope = np.zeros(hi - lo, dtype=np.float64)
        for times, values in shapes:
            envelope += np.interp(seconds, times, values, left=0.0, right=0.0)
        return envelope.astype(np.float32)
    time_s = (start + lo) / sample_rate
    level = 0.0
    for times, values in shapes:
        if times[1] < time_s < times[2]:
            level += values[1]
    return np.float32(level)


def _moving(
    automation: Sequence[SectionAutomation],
    *,
    owners: Sequence[str | None],
    field: str,
    start: int,
    frames: int,
    sample_rate: int,
) -> list[list[Shape]]:
    """For each owner with something that moves in samples ``start .. start+frames``, its
    trapezoids there (owners in order; none when nothing moves)."""
    if not frames:
        return []
    first, last = start / sample_rate, (start + frames - 1) / sample_rate
    found = [
        _owner_shapes(automation, track=owner, field=field, first_s=first, last_s=last)
        for owner in owners
    ]
    return [shapes for shapes in found if shapes is not None]


def _summed_pieces(
    moving: list[list[Shape]], *, start: int, frames: int, sample_rate: int
) -> Iterator[tuple[int, int, np.ndarray | np.float32]]:
    """(lo, hi, dB) over the block: the owners' envelopes added in float32 in order, per
    sample where something ramps, else once for the whole piece."""
    ramps = _ramp_spans(
        [shape for shapes in moving for shape in shapes],
        start=start,
        frames=frames,
        sample_rate=sample_rate,
    )
    for lo, hi, ramping in _pieces(frames, ramps):
        envelopes = [
            _envelope(shapes, lo=lo, hi=hi, start=start, sample_rate=sample_rate, ramps=ramping)
            for shapes in moving
        ]
        total = envelopes[0]
        for env in envelopes[1:]:
            total = total + env
        yield lo, hi, total


def gain_envelope_db(
    automation: Sequence[SectionAutomation],
    *,
    track: str | None,
    frames: int,
    sample_rate: int,
    field: str = "gain_db",
    start: int = 0,
) -> np.ndarray | None:
    """dB offsets for samples ``start .. start+frames`` (float32), or None if nothing moves
    there (no entry, or none whose ramps reach into these samples)."""
    moving = _moving(
        automation,
        owners=(track,),
        field=field,
        start=start,
        frames=frames,
        sample_rate=sample_rate,
    )
    if not moving:
        return None
    out = np.empty(frames, dtype=np.float32)
    for lo, hi, level_db in _summed_pieces(
        moving, start=start, frames=frames, sample_rate=sample_rate
    ):
        out[lo:hi] = level_db
    return out


def envelope_at_db(
    automation: Sequence[SectionAutomation],
    *,
    track: str | None,
    times_s: np.ndarray,
    field: str = "gain_db",
) -> np.ndarray:
    """The dB offsets of ``track``'s ``field`` at the given times (float64): the same
    trapezoids as the render's envelopes, read at any instants (a meter's block centres)."""
    out = np.zeros(np.shape(times_s), dtype=np.float64)
    for item in matching(automation, track=track, field=field):
        times, values = _breakpoints(item, float(getattr(item, field)))
        out += np.interp(times_s, times, values, left=0.0, right=0.0)
    return out


def db_to_gain(envelope_db: np.ndarray) -> np.ndarray:
    """Linear gain from a dB envelope (float32)."""
    return np.power(np.float32(10.0), envelope_db * np.float32(0.05), dtype=np.float32)


def automation_gain(
    automation: Sequence[SectionAutomation],
    *,
    owners: Sequence[str | None],
    field: str,
    static_db: float,
    start: int,
    frames: int,
    sample_rate: int,
) -> np.ndarray | float:
    """Linear gain for samples ``start .. start+frames``: ``static_db`` plus the automation
    of ``field`` for each owner (a track name, None for the mix bus). A float when nothing
    is automated there, so the caller can multiply by a scalar.

    The gain is computed per sample only where an envelope ramps; where they are all flat,
    once, and filled in (``db_to_gain`` of a value does not depend on its neighbours)."""
    moving = _moving(
        automation, owners=owners, field=field, start=start, frames=frames, sample_rate=sample_rate
    )
    if not moving:
        return float(10.0 ** (static_db / 20.0))
    gain = np.empty(frames, dtype=np.float32)
    for lo, hi, level_db in _summed_pieces(
        moving, start=start, frames=frames, sample_rate=sample_rate
    ):
        gain[lo:hi] = db_to_gain(np.atleast_1d(level_db + np.float32(static_db)))
    return gain
