"""What the clean-up detectors find on a session's raw stems, cached per stem and role.

Detection takes about a second per 4-minute stem; the result is a small JSON file under the
session's ``cache/faults`` named by the stem's content key, the role and DETECT_VERSION.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from mixchat.dsp.cleanup.detect import DETECT_VERSION, StemFaults, detect_faults
from mixchat.dsp.state import MixState, TrackState
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
    faults = detect_faults(source.array(), sample_rate=engine.meta.sample_rate, role=track.role)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(path, faults.model_dump(mode="json"))
    return faults


def faults_lookup(engine: Any, state: MixState) -> Callable[[str], StemFaults | None]:
    """``lookup(track_name)``: the track's findings, detected once on first use."""
    seen: dict[str, StemFaults] = {}

    def lookup(name: str) -> StemFaults | None:
        if name not in seen:
            names = {t.name: t for t in state.tracks}
            if name not in names:
                return None
            seen[name] = stem_faults(engine, names[name])
        return seen[name]

    return lookup
