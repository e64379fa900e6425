"""What the clean-up detectors find on a session's raw stems, cached per stem and role.

Detection streams the stem from its file in one pass (a few blocks in memory, whatever its
length) and costs about a second of CPU per 4-minute stem; the result is a small JSON file
under the session's ``cache/faults`` named by the stem's content key, the role and
DETECT_VERSION. The automix asks for every track at once: they are detected on the engine's
thread budget, side by side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pydantic import ValidationError

from mixchat.dsp.cleanup.detect import DETECT_VERSION, StemFaults, stream_faults
from mixchat.dsp.state import MixState, TrackState
from mixchat.dsp.threads import pool_size
from mixchat.tools.atomic import write_json_atomic


def stem_faults(engine: Any, track: TrackState) -> StemFaults:
    source = engine.stem_sources()[track.name]
    key = re.sub(r"[^\w.-]+", "_", source.key)
    path = engine.cache_dir / "faults" / f"{key}-{track.role}-v{DETECT_VERSION}.json"
    if path.exists():
        try:
            return StemFaults.model_validate_json(path.read_text())
        except (OSError, ValidationError, ValueError):
            pass
    reader = source.reader
    reader = reader.own() if hasattr(reader, "own") else reader  # a stream of its own
    faults = stream_faults(
        reader.read, frames=source.frames, sample_rate=engine.meta.sample_rate, role=track.role
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, faults.model_dump(mode="json"))
    return faults


def faults_lookup(
    engine: Any, state: MixState, *, ahead: Sequence[str] = ()
) -> Callable[[str], StemFaults | None]:
    """``lookup(track_name)``: the track's findings, detected once on first use; the tracks
    named in ``ahead`` are detected now, side by side."""
    names = {t.name: t for t in state.tracks}
    seen: dict[str, StemFaults] = {}
    wanted = [names[n] for n in ahead if n in names]
    if wanted:
        with ThreadPoolExecutor(max_workers=pool_size(at_most=len(wanted))) as pool:
            seen.update(
                zip((t.name for t in wanted), pool.map(lambda t: stem_faults(engine, t), wanted))
            )

    def lookup(name: str) -> StemFaults | None:
        if name not in seen:
            if name not in names:
                return None
            seen[name] = stem_faults(engine, names[name])
        return seen[name]

    return lookup
