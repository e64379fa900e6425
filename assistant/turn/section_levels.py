"""Tracks against the rest of the mix inside some sections, from each track's stored
loudness blocks: the fader and the track's own automation applied block by block, so a
section ride is measured where it acts (the whole-song track facts leave automation out)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from mixchat.dsp.automation import envelope_at_db
from mixchat.dsp.errors import MixError
from mixchat.dsp.loudness import BLOCK_HOP_S, BLOCK_S, gated_integrated
from mixchat.dsp.state import MixState, Section
from mixchat.tools.base import ToolContext
from mixchat.tools.bus_tools import SectionArgs, resolve_ranges
from mixchat.tools.engine import Engine


def _section_spans(
    sections: Sequence[Section], *, label: str, occurrence: int | None
) -> list[tuple[float, float]]:
    """The time ranges of the sections labelled ``label`` (one occurrence, or all), as
    ``automate_section`` resolves them; none when the song has no such section."""
    try:
        args = SectionArgs(section=label, occurrence=occurrence)
        found = resolve_ranges(args, ToolContext(sections=tuple(sections)))
    except (MixError, ValueError):  # no such section, or an occurrence it does not have
        return []
    return [(s.start_s, s.end_s) for s in found]


def _inside(count: int, spans: list[tuple[float, float]]) -> np.ndarray:
    """Which loudness blocks lie wholly inside one of the spans."""
    starts_s = np.arange(count) * BLOCK_HOP_S
    keep = np.zeros(count, dtype=bool)
    for start_s, end_s in spans:
        keep |= (starts_s >= start_s - 1e-9) & (starts_s + BLOCK_S <= end_s + 1e-9)
    return keep


def _placed_blocks(engine: Engine, state: MixState, name: str) -> np.ndarray:
    """The track's block powers after its fader and its own automation (at block centres)."""
    track = state.track(name)
    blocks = np.asarray(engine.track_blocks(track), dtype=np.float64)
    centres_s = np.arange(blocks.shape[0]) * BLOCK_HOP_S + BLOCK_S / 2
    offset_db = track.gain_db + envelope_at_db(state.automation, track=name, times_s=centres_s)
    return blocks * np.power(10.0, offset_db / 10.0)


def section_level_db(
    engine: Engine,
    state: MixState,
    sections: Sequence[Section],
    *,
    names: Sequence[str],
    label: str,
    occurrence: int | None = None,
) -> float | None:
    """The named tracks' summed loudness against the summed rest inside the sections (LU);
    None when the song has no such section, or either side is silent there."""
    spans = _section_spans(sections, label=label, occurrence=occurrence)
    audible = [t.name for t in state.audible_tracks()]
    inside_names = [n for n in audible if n in names]
    rest_names = [n for n in audible if n not in names]
    if not spans or not inside_names or not rest_names:
        return None
    placed = {n: _placed_blocks(engine, state, n) for n in audible}
    count = min(b.shape[0] for b in placed.values())
    keep = _inside(count, spans)
    if not keep.any():
        return None
    group = np.sum([placed[n][:count] for n in inside_names], axis=0)[keep]
    rest = np.sum([placed[n][:count] for n in rest_names], axis=0)[keep]
    inside_lufs, rest_lufs = gated_integrated(group), gated_integrated(rest)
    if not (np.isfinite(inside_lufs) and np.isfinite(rest_lufs)):
        return None
    return round(inside_lufs - rest_lufs, 2)
