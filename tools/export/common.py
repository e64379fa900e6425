"""What every export format shares: destination checks, atomic publication, readable settings.

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
from mixchat.dsp.state import Compressor, EqBand, Gate, MasterState, MixState, TrackState
from mixchat.tools.errors import ExportError

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


# --- readable settings ------------------------------------------------------------------
def signed(value: float, unit: str = "dB") -> str:
    return f"{value:+.1f} {unit}"


def pan_text(pan: float) -> str:
    if abs(pan) < 0.005:
        return "C"
    return f"{'L' if pan < 0 else 'R'}{round(abs(pan) * 100)}"


def band_text(band: EqBand) -> str:
    kind = band.kind.replace("_", " ")
    return f"{kind} {band.freq_hz:.0f} Hz {signed(band.gain_db)} Q {band.q:.2f}"


def compressor_text(comp: Compressor) -> str:
    return (
        f"threshold {comp.threshold_db:.1f} dB, ratio {comp.ratio:.1f}:1, attack "
        f"{comp.attack_ms:g} ms, release {comp.release_ms:g} ms, makeup {signed(comp.makeup_db)}"
    )


def gate_text(gate: Gate) -> str:
    return (
        f"threshold {gate.threshold_db:.1f} dB, ratio {gate.ratio:.1f}:1, attack "
        f"{gate.attack_ms:g} ms, release {gate.release_ms:g} ms"
    )


def track_settings_lines(track: TrackState) -> list[str]:
    """The track's settings in the engine's chain order, one line per stage."""
    lines = [f"fader {signed(track.gain_db)}, pan {pan_text(track.pan)}"]
    if track.trim_db:
        lines.append(f"trim (input gain) {signed(track.trim_db)}")
    if track.polarity_inverted:
        lines.append("polarity inverted")
    if track.hpf_hz is not None:
        lines.append(f"high-pass {track.hpf_hz:.0f} Hz, 12 dB/oct (-6 dB at the cutoff)")
    if track.lpf_hz is not None:
        lines.append(f"low-pass {track.lpf_hz:.0f} Hz, 12 dB/oct (-6 dB at the cutoff)")
    lines += [f"EQ {band_text(b)}" for b in track.eq]
    if track.gate is not None:
        lines.append(f"gate {gate_text(track.gate)}")
    if track.compressor is not None:
        lines.append(f"compressor {compressor_text(track.compressor)}")
    if track.transient is not None:
        t = track.transient
        lines.append(
            f"transient shaper attack {signed(t.attack_db)}, sustain {signed(t.sustain_db)}"
        )
    if track.saturation is not None:
        s = track.saturation
        lines.append(f"saturation drive {s.drive_db:.1f} dB, mix {s.mix_pct:.0f} %")
    if track.width != 1.0:
        lines.append(f"stereo width {track.width * 100:.0f} %")
    for bus in ("reverb", "delay"):
        send = getattr(track, f"{bus}_send_db")
        if send is not None:
            lines.append(f"{bus} send {send:.1f} dB (post-fader)")
    if track.mute or track.solo:
        lines.append(" ".join(w for w, on in (("muted", track.mute), ("soloed", track.solo)) if on))
    return lines


def master_settings_lines(master: MasterState) -> list[str]:
    if not master.enabled:
        return ["master chain off (the mix is exported pre-master)"]
    lines = [f"EQ {band_text(b)}" for b in master.eq]
    if master.glue is not None:
        lines.append(f"glue compressor {compressor_text(master.glue)}")
    if master.loudness_enabled:
        lines.append(f"loudness target {master.target_lufs:.1f} LUFS (integrated)")
    lines.append(f"limiter ceiling {master.ceiling_dbtp:.1f} dBTP (true peak)")
    return lines


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
