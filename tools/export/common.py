"""What every export format shares: destination checks, atomic publication, automation points.

Nothing reaches the destination until the export is complete: files are written under a
hidden temp name in the destination's folder and renamed into place at the end, so a failed
export leaves nothing half-written (and, without ``force``, never touches what was there).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from mixchat.dsp.automation import gain_envelope_db, matching
from mixchat.dsp.state import MixState
from mixchat.tools.errors import ExportError
from mixchat.tools.session import refuse_session_overwrite

Progress = Callable[[str, float], None]
RAMP_POINTS = 4  # points inside each ramp: the engine ramps in dB, DAWs in linear gain


@dataclass
class ExportResult:
    path: Path
    files: list[Path] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def db_to_linear(gain_db: float) -> float:
    return float(10.0 ** (gain_db / 20.0))


def check_destination(out: Path, *, kind: str, force: bool) -> Path:
    """Refuse an existing file or non-empty folder without ``force``, and an unwritable folder.

    ``kind`` is "file" or "folder": what the export will put at ``out``.
    """
    out = Path(out)
    refuse_session_overwrite(out, name="export")
    if out.exists() or out.is_symlink():
        if kind == "file" and out.is_dir():
            raise ExportError(f"{out} is a folder; give a file path such as {out / 'mix'}")
        if kind == "folder" and not out.is_dir():
            raise ExportError(f"{out} is a file; give a folder path for the export")
        occupied = not out.is_dir() or any(out.iterdir())
        if occupied and not force:
            raise ExportError(f"{out} exists; pass --force to overwrite or choose another path")
    ensure_writable(out.parent)
    return out


def ensure_writable(folder: Path) -> None:
    """Create ``folder`` if needed and prove a file can be written in it."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".mixchat-probe.", dir=folder)
    except OSError as error:
        reason = error.strerror or type(error).__name__
        raise ExportError(
            f"cannot write to folder {folder} ({reason}); choose a writable location"
        ) from None
    os.close(fd)
    os.unlink(probe)


def temp_sibling(out: Path) -> Path:
    return out.with_name(f".{out.name}.{uuid.uuid4().hex[:12]}.tmp")


@contextmanager
def staged_file(out: Path) -> Iterator[Path]:
    """Yield a temp path next to ``out``; on success it replaces ``out`` in one rename."""
    tmp = temp_sibling(Path(out))
    try:
        yield tmp
        os.replace(tmp, out)
    except OSError as error:
        raise ExportError(f"cannot write {out} ({error.strerror}); check the folder") from None
    finally:
        if tmp.exists():
            tmp.unlink()


@contextmanager
def staged_folder(out: Path) -> Iterator[Path]:
    """Yield a temp folder next to ``out``; on success it takes ``out``'s place."""
    out = Path(out)
    tmp = temp_sibling(out)
    aside = temp_sibling(out)
    try:
        tmp.mkdir()
        yield tmp
        if out.exists():
            os.replace(out, aside)
        os.replace(tmp, out)
    except OSError as error:
        if aside.exists() and not out.exists():
            os.replace(aside, out)
        raise ExportError(f"cannot write {out} ({error.strerror}); check the folder") from None
    finally:
        for leftover in (tmp, aside):
            if leftover.exists():
                shutil.rmtree(leftover, ignore_errors=True)


def with_suffix(out: Path, suffix: str, notes: list[str]) -> Path:
    """``out`` with ``suffix`` added when it has none, saying so in ``notes``."""
    out = Path(out)
    if out.suffix.lower() == suffix:
        return out
    if out.suffix:
        raise ExportError(f"{out} should end in {suffix}; rename it to {out.with_suffix(suffix)}")
    notes.append(f"added the {suffix} extension: {out.name}{suffix}")
    return out.with_name(out.name + suffix)


def envelope_points(
    state: MixState,
    *,
    owners: tuple[str | None, ...],
    field: str,
    sample_rate: int,
    duration_s: float,
) -> list[tuple[float, float]]:
    """(time_s, dB offset) points tracing the engine's automation of ``field``."""
    items = [a for owner in owners for a in matching(state.automation, track=owner, field=field)]
    if not items:
        return []
    times = {0.0}
    for item in items:
        ramp = min(item.ramp_ms / 1000.0, max(item.end_s - item.start_s, 1e-6))
        for edge in ([item.start_s] if item.start_s > 0 else []) + [item.end_s]:
            times.update(np.linspace(edge - ramp / 2, edge + ramp / 2, RAMP_POINTS + 2).tolist())
    points = []
    for time_s in sorted(t for t in times if 0.0 <= t <= duration_s):
        start = int(round(time_s * sample_rate))
        offset = 0.0
        for owner in owners:
            env = gain_envelope_db(
                state.automation,
                track=owner,
                frames=1,
                sample_rate=sample_rate,
                field=field,
                start=start,
            )
            offset += float(env[0]) if env is not None else 0.0
        points.append((time_s, offset))
    return points
