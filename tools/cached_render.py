"""Writing a version that is in the render cache to a file, with no render and no DSP import.

A version's metrics name the cached exact mix it was measured on (``mix_file``; with the
master on, ``master_file``) and the state they describe (``render_of``). When that state is
the version's and the file is still there, ``render_cached`` writes it block by block
(24-bit, or 32-bit float for a WAV over full scale) and reports the stored loudness and true
peak: a render after a brief costs a read and a write. Anything else (no cached mix, a stems
folder, ``--no-master`` of a mastered version) returns None and the full render runs.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.dsp.audio_io import audio_writer, open_reader
from mixchat.dsp.mix_file import MIX_VERSION, SUM_DTYPE, read_premaster
from mixchat.dsp.state import MixState
from mixchat.tools.errors import ExportError
from mixchat.tools.session import Session, Version, refuse_session_overwrite

BLOCK = 1 << 19
NEAR_FULL_SCALE_DB = -0.1  # stored peaks this close to 0 dBFS are checked sample by sample
FLOOR_DB = -120.0


def check_output(path: Path) -> Path:
    path = Path(path)
    if path.suffix.lower() not in (".wav", ".flac", ".aif", ".aiff"):
        raise ExportError(f"{path}: use a .wav or .flac file name for the output")
    if not path.parent.exists():
        raise ExportError(f"{path.parent} does not exist; create the folder first")
    refuse_session_overwrite(path)
    return path


def state_digest(state: MixState) -> str:
    """Names the state a version's cached mix was made of, and how mixes were made then
    (``MIX_VERSION``): a mix the engine now makes otherwise is rendered anew."""
    text = f"{MIX_VERSION}:{state.model_dump_json()}"
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def render_cached(
    session: Session, *, output: Path, version: Version, master: bool = True
) -> dict[str, Any] | None:
    metrics = version.metrics
    state = version.state
    if metrics.get("render_of") != state_digest(state) or "mix" not in metrics:
        return None
    mastered = master and state.master.enabled
    if state.master.enabled and not master:
        return None  # the stored metrics describe the master's output, not this file
    frames, rate = session.meta.frames, session.meta.sample_rate
    folder = session.cache_dir / "tracks"
    if mastered:
        reader = open_reader(folder / str(metrics.get("master_file")), shape=(2, frames))
    else:
        reader = open_reader(
            folder / str(metrics.get("mix_file")), shape=(2, frames), dtype=SUM_DTYPE
        )
    if reader is None:
        return None

    def blocks():  # noqa: ANN202
        for start in range(0, frames, BLOCK):
            stop = min(start + BLOCK, frames)
            if mastered:
                yield reader.read(start, stop)
            else:
                yield read_premaster(
                    reader,
                    state.automation,
                    trim_db=state.master.trim_db,
                    sample_rate=rate,
                    start=start,
                    stop=stop,
                )

    mix = metrics["mix"]
    peak = 0.0
    if mix["sample_peak_dbfs"] > NEAR_FULL_SCALE_DB:
        peak = max(float(np.max(np.abs(block), initial=0.0)) for block in blocks())
    subtype = "FLOAT" if peak > 1.0 and output.suffix.lower() == ".wav" else "PCM_24"
    clipped = 0
    with audio_writer(output, sample_rate=rate, channels=2, subtype=subtype) as writer:
        for block in blocks():
            if peak > 1.0 and subtype == "PCM_24":
                clipped += int(np.count_nonzero(np.abs(block) > 1.0))
            writer.write(block)
    return {
        "version": version.version,
        "output": str(output),
        "mastered": mastered,
        "integrated_lufs": _level(mix["integrated_lufs"]),
        "true_peak_dbtp": _level(mix["true_peak_dbtp"]),
        "stems_dir": None,
        "stem_files": [],
        "subtype": subtype,
        "notes": over_full_scale_notes(output, peak, clipped),
    }


def _level(value: float) -> float:
    return round(value, 2) if value > FLOOR_DB else float("-inf")


def over_full_scale_notes(path: Path, peak: float, clipped: int) -> list[str]:
    """What to tell about a mix that goes over full scale (none when it does not)."""
    if peak <= 1.0:
        return []
    over = f"the mix peaks at {20 * np.log10(peak):+.1f} dBFS"
    if path.suffix.lower() == ".wav":
        return [
            f"{over}: written as 32-bit float so nothing clips; master it or pull the faders "
            "down for a 24-bit file"
        ]
    return [
        f"{over}: {clipped} samples clip in this 24-bit file; render to .wav (32-bit float), "
        "master it, or pull the faders down"
    ]
