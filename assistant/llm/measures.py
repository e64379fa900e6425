"""What the LLM planner's tool calls are measured by, and what it tells the model after a call.

``measures_for`` names the measurements that show what the calls did (quoted before → after in
the reply), ``changes_level`` whether they move a level on purpose, both from the tools'
registered categories; ``state_after`` is the touched track (or the buses and master) as the
model sees it in a tool result.
"""

from __future__ import annotations

from mixchat.assistant.llm.prompt import buses_block
from mixchat.assistant.planning.measures import (
    BandShare,
    Centroid,
    Measure,
    SectionContrast,
    SectionLevel,
    TrackLevel,
    TruePeak,
    Width,
)
from mixchat.dsp.errors import MixError
from mixchat.dsp.spectrum import BANDS_HZ
from mixchat.dsp.state import MixState
from mixchat.tools.base import ToolCall, ToolCategory, resolve_track, track_name_or_none
from mixchat.tools.catalog import REGISTRY
from mixchat.tools.settings_text import track_line


def state_after(state: MixState, call: ToolCall) -> str:
    """What the touched track (or the master) looks like now: cheap facts for the model."""
    track = call.args.get("track")
    if isinstance(track, str):
        try:
            resolved = resolve_track(state, track)
        except MixError:
            return ""
        return f"{resolved.name} now: {track_line(resolved)}"
    return "Now: " + buses_block(state).replace("\n", " ")


def band_of(freq_hz: float) -> str:
    for band, (low, high) in BANDS_HZ.items():
        if low <= freq_hz < high:
            return band
    return "air" if freq_hz >= 20000.0 else "sub"


def _is(call: ToolCall, category: ToolCategory) -> bool:
    return category in REGISTRY.categories(call.tool)


def changes_level(calls: list[ToolCall]) -> bool:
    """True when the calls move a level on purpose (a fader, the master, a section ride):
    the turn then leaves the loudness where they put it."""
    return any(_is(c, "level") or _is(c, "loudness") for c in calls)


def measures_for(calls: list[ToolCall], state: MixState) -> list[Measure]:
    """The measurements that show what these calls did (quoted before → after in the reply)."""
    measures: list[Measure] = []
    for call in calls:
        args = call.args
        track = track_name_or_none(state, args.get("track"))
        if _is(call, "tone"):
            measures.append(Centroid())
            freq = args.get("freq_hz") or args.get("cutoff_hz")
            if isinstance(freq, (int, float)):
                measures.append(BandShare(band=band_of(float(freq))))
        if _is(call, "stereo"):
            measures.append(Width())
        if _is(call, "master"):
            measures.append(TruePeak())
        if _is(call, "automation") and isinstance(args.get("section"), str):
            measures.append(
                SectionContrast(label=args["section"], occurrence=args.get("occurrence"))
            )
            if track:  # a ride on a part: the part against the rest where it acts
                occurrence = args.get("occurrence")
                measures.append(
                    SectionLevel(
                        names=(track,),
                        label=args["section"],
                        occurrence=occurrence if isinstance(occurrence, int) else None,
                    )
                )
                continue
        if track and not _is(call, "stereo"):
            measures.append(TrackLevel(track=track))
    return list(dict.fromkeys(measures))
