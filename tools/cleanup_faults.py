"""What the clean-up detectors find on a session's raw stems, cached per stem and role.

Detection streams the stem from its file in one pass (a few blocks in memory, whatever its
length) and costs about a second of CPU per 4-minute stem; the result is a small JSON file
under the session's ``cache/faults`` named by the stem's content key, the role and
DETECT_VERSION. A new session feeds the detectors while it decodes the stems and caches
their findings for the roles it guessed (``finish_fed_faults``); otherwise the automix asks
for every track at once, and they are detected on the engine's thread budget, side by side.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from mixchat.dsp.allocator import large_buffers_mapped, release_free_memory
from mixchat.dsp.cleanup.detect import DETECT_VERSION, FaultMeter, StemFaults, stream_faults
from mixchat.dsp.state import MixState, TrackState
from mixchat.dsp.stems import StemReader
from mixchat.dsp.threads import pool_size
from mixchat.tools.atomic import write_json_atomic


def _faults_path(engine: Any, track: TrackState) -> Path:
    key = re.sub(r"[^\w.-]+", "_", engine.stem_sources()[track.name].key)
    return engine.cache_dir / "faults" / f"{key}-{track.role}-v{DETECT_VERSION}.json"


def _own_reader(engine: Any, name: str) -> StemReader:
    reader = engine.stem_sources()[name].reader
    return reader.own() if hasattr(reader, "own") else reader  # a stream of its own


def _save(path: Path, faults: StemFaults) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, faults.model_dump(mode="json"), durable=False)  # a cache file


def stem_faults(engine: Any, track: TrackState) -> StemFaults:
    path = _faults_path(engine, track)
    if path.exists():
        try:
            return StemFaults.model_validate_json(path.read_text())
        except (OSError, ValidationError, ValueError):
            pass
    source = engine.stem_sources()[track.name]
    faults = stream_faults(
        _own_reader(engine, track.name).read,
        frames=source.frames,
        sample_rate=engine.meta.sample_rate,
        role=track.role,
    )
    _save(path, faults)
    return faults


def finish_fed_faults(engine: Any, state: MixState, meters: dict[str, FaultMeter]) -> None:
    """Cache the findings of detectors fed while a new session's stems were decoded
    (``ingest(faults=True)``), each judged for its track's role (a vocal's own parts read
    its stem once more), so the automix finds them instead of reading every stem again.
    One stem at a time, each from the memory the stages before leave free (a stem's long hum
    spectrum is tens of MB while it is made: two side by side, each in its own allocator
    arena, or one after the other on what the last left fragmented, raised the new session's
    peak by 40-80 MB), and their large arrays on pages of their own (on the heap, over what
    the decoding pass left scattered, they raised it by ~25 MB more). ``meters`` is emptied as
    they finish."""
    with large_buffers_mapped():
        for track in state.tracks:
            meter = meters.pop(track.name, None)
            if meter is not None:
                release_free_memory()
                faults = meter.finish(_own_reader(engine, track.name).read, role=track.role)
                _save(_faults_path(engine, track), faults)


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
