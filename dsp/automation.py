"""Section automation as per-sample dB envelopes.

Each SectionAutomation is a trapezoid: 0 dB before its range, its offset inside, 0 dB after,
with a linear ramp of ``ramp_ms`` centred on each boundary (shortened to the range's length
for very short ranges), so a change never clicks. A range starting at 0 s is at full offset
from the first sample. Overlapping ranges add in dB.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    items = matching(automation, track=track, field=field)
    if not items:
        return None
    first, last = start / sample_rate, (start + max(frames - 1, 0)) / sample_rate
    shapes = [_breakpoints(item, float(getattr(item, field))) for item in items]
    shapes = [(t, v) for t, v in shapes if t[-1] >= first and t[0] <= last]
    if not shapes or not frames:
        return None  # nothing moves in these samples
    seconds = (start + np.arange(frames, dtype=np.float64)) / float(sample_rate)
    envelope = np.zeros(frames, dtype=np.float64)
    for times, values in shapes:
        envelope += np.interp(seconds, times, values, left=0.0, right=0.0)
    return envelope.astype(np.float32)


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
    is automated there, so the caller can multiply by a scalar."""
    total: np.ndarray | None = None
    for owner in owners:
        env = gain_envelope_db(
            automation,
            track=owner,
            frames=frames,
            sample_rate=sample_rate,
            field=field,
            start=start,
        )
        if env is not None:
            total = env if total is None else total + env
    if total is None:
        return float(10.0 ** (static_db / 20.0))
    return db_to_gain(total + np.float32(static_db))
