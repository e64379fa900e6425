"""Rendering, A/B, mastering and exports for the command line, the chat and the MCP server."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal

import numpy as np

from mixchat.dsp.analysis import analyze_audio, measure_mix
from mixchat.dsp.audio_io import audio_writer, load_audio, write_audio
from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.master import master_audio, parse_target
from mixchat.dsp.spectrum import FLOOR_DB
from mixchat.tools.cached_render import (
    NEAR_FULL_SCALE_DB,
    check_output,
    over_full_scale_notes,
    render_cached,
)
from mixchat.tools.compare import level_match, metric_rows, state_diff
from mixchat.tools.engine import Engine
from mixchat.tools.session import Session, refuse_session_overwrite

Progress = Callable[[str, float], None]


def _file_format(path: Path, audio: np.ndarray) -> tuple[str, list[str]]:
    """24-bit, unless the mix goes over full scale: then a WAV is written as 32-bit float,
    which keeps those peaks, and any other format says how much clips."""
    peak = float(np.max(np.abs(audio))) if audio.size else 0.0
    if peak <= 1.0:
        return "PCM_24", []
    over = f"the mix peaks at {20 * np.log10(peak):+.1f} dBFS"
    if path.suffix.lower() == ".wav":
        return "FLOAT", [
            f"{over}: written as 32-bit float so nothing clips; master it or pull the faders "
            "down for a 24-bit file"
        ]
    clipped = int(np.count_nonzero(np.abs(audio) > 1.0))
    return "PCM_24", [
        f"{over}: {clipped} samples clip in this 24-bit file; render to .wav (32-bit float), "
        "master it, or pull the faders down"
    ]


def render_version(
    session: Session,
    *,
    output: Path,
    version: int | None = None,
    stems_dir: Path | None = None,
    master: bool = True,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Render a version into ``output``, block by block from the render cache. The loudness
    and peaks reported are the version's stored metrics when they describe this file (no
    master, or the master its state asks for), else measured as the mix is rendered."""
    output = check_output(output)
    chosen = session.load(version)
    if stems_dir is None:
        cached = render_cached(session, output=output, version=chosen, master=master)
        if cached is not None:
            return cached
    if stems_dir is not None:
        stems_dir = Path(stems_dir)
        refuse_session_overwrite(stems_dir, name="stems_dir")
        stems_dir.mkdir(parents=True, exist_ok=True)
    engine = Engine.for_session(session)
    stored = chosen.metrics.get("mix") if (master or not chosen.state.master.enabled) else None
    rendered = engine.render(
        chosen.state,
        master=master,
        stems_out=stems_dir,
        progress=progress,
        measure=stored is None,
    )
    if rendered.master_result is not None:
        measured = measure_mix(rendered.audio, sample_rate=rendered.sample_rate)
        lufs, peak_dbtp, peak = (
            measured.metrics.integrated_lufs,
            measured.metrics.true_peak_dbtp,
            measured.peak,
        )
    elif stored is None:
        analysis = rendered.premaster_analysis or measure_mix(
            rendered.audio, sample_rate=rendered.sample_rate
        )
        lufs, peak_dbtp, peak = (
            analysis.metrics.integrated_lufs,
            analysis.metrics.true_peak_dbtp,
            analysis.peak,
        )
    else:
        lufs, peak_dbtp = stored["integrated_lufs"], stored["true_peak_dbtp"]
        peak = _sample_peak(rendered) if stored["sample_peak_dbfs"] > NEAR_FULL_SCALE_DB else 0.0
    subtype, clipped = _write(output, rendered, peak)
    files = sorted(str(p) for p in stems_dir.glob("*.wav")) if stems_dir else []
    return {
        "version": chosen.version,
        "output": str(output),
        "mastered": rendered.master_result is not None,
        "integrated_lufs": round(lufs, 2) if lufs > FLOOR_DB else float("-inf"),
        "true_peak_dbtp": round(peak_dbtp, 2) if peak_dbtp > FLOOR_DB else float("-inf"),
        "stems_dir": str(stems_dir) if stems_dir else None,
        "stem_files": files,
        "subtype": subtype,
        "notes": over_full_scale_notes(output, peak, clipped),
    }


def _sample_peak(rendered: Any) -> float:
    return max(
        (float(np.max(np.abs(block), initial=0.0)) for _, block in rendered.blocks()), default=0.0
    )


def _write(output: Path, rendered: Any, peak: float) -> tuple[str, int]:
    """Write the render block by block: 24-bit, or 32-bit float for a WAV over full scale.
    Returns the subtype and the number of samples a 24-bit file clips."""
    subtype = "FLOAT" if peak > 1.0 and output.suffix.lower() == ".wav" else "PCM_24"
    clipped = 0
    with audio_writer(
        output, sample_rate=rendered.sample_rate, channels=2, subtype=subtype
    ) as writer:
        for _, block in rendered.blocks():
            if peak > 1.0 and subtype == "PCM_24":
                clipped += int(np.count_nonzero(np.abs(block) > 1.0))
            writer.write(block)
    return subtype, clipped


def ab_compare(
    session: Session,
    a: int,
    b: int,
    *,
    output: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Both versions rendered, level-matched to the quieter one, measured side by side."""
    va, vb = session.load(a), session.load(b)
    engine = Engine.for_session(session)
    report = progress or (lambda label, fraction: None)
    report(f"render v{a}", 0.1)
    audio_a = engine.render(va.state).audio
    report(f"render v{b}", 0.5)
    audio_b = engine.render(vb.state).audio
    rate = engine.meta.sample_rate
    matched_a, matched_b, gain_a, gain_b = level_match(audio_a, audio_b, sample_rate=rate)
    metrics_a = {"mix": analyze_audio(matched_a, sample_rate=rate).model_dump(mode="json")}
    metrics_b = {"mix": analyze_audio(matched_b, sample_rate=rate).model_dump(mode="json")}
    files = []
    if output is not None:
        output = Path(output)
        output.mkdir(parents=True, exist_ok=True)
        pair = [
            (output / f"v{n:04d}_level_matched.wav", x) for n, x in ((a, matched_a), (b, matched_b))
        ]
        loudest = max(pair, key=lambda item: float(np.max(np.abs(item[1]))))
        subtype, _ = _file_format(*loudest)  # both files in the format the louder one needs
        for path, audio in pair:
            write_audio(path, audio, sample_rate=rate, subtype=subtype)
            files.append(str(path))
    report("done", 1.0)
    return {
        "a": a,
        "b": b,
        "matched_lufs": round(metrics_a["mix"]["integrated_lufs"], 2),
        "gain_a_db": round(gain_a, 2),
        "gain_b_db": round(gain_b, 2),
        "settings": [{"setting": k, "a": x, "b": y} for k, x, y in state_diff(va.state, vb.state)],
        "metrics": metric_rows(metrics_a, metrics_b),
        "files": files,
    }


def master_file(
    input_path: Path,
    *,
    output: Path,
    target: str = "spotify",
    ceiling_dbtp: float = -1.0,
    reference: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    target_lufs = parse_target(str(target))
    output = check_output(output)
    report = progress or (lambda label, fraction: None)
    report("loading", 0.05)
    source = load_audio(input_path)
    ref_audio = None
    if reference is not None:
        ref_audio = load_audio(reference, sample_rate=source.sample_rate).audio
        target_lufs = integrated_lufs(ref_audio, sample_rate=source.sample_rate)
    report("mastering", 0.3)
    result = master_audio(
        source.audio,
        sample_rate=source.sample_rate,
        target_lufs=target_lufs,
        ceiling_dbtp=ceiling_dbtp,
        reference=ref_audio,
        reference_lufs=target_lufs if ref_audio is not None else None,
    )
    report("writing", 0.9)
    write_audio(output, result.audio, sample_rate=source.sample_rate, subtype="PCM_24")
    return {
        "input": str(input_path),
        "output": str(output),
        "target_lufs": round(target_lufs, 2),
        "ceiling_dbtp": ceiling_dbtp,
        "input_lufs": round(result.input_lufs, 2),
        "output_lufs": round(result.output_lufs, 2),
        "true_peak_dbtp": round(result.true_peak_dbtp, 2),
        "gain_db": round(result.gain_db, 2),
        "limiter_reduction_db": round(result.limiter_reduction_db, 2),
        "reference": str(reference) if reference else None,
        "notes": list(result.notes),
        "warnings": list(source.warnings),
    }


def export_session(
    session: Session,
    *,
    fmt: Literal["dawproject", "reaper", "stems"],
    output: Path,
    version: int | None = None,
    force: bool = False,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """A version exported as a DAW project or processed stems: where, which files, notes."""
    from mixchat.tools.export import export_version  # lxml: only an export needs it

    result = export_version(
        session, version=version, fmt=fmt, out=output, force=force, progress=progress
    )
    return {
        "format": fmt,
        "path": str(result.path),
        "files": [str(f) for f in result.files],
        "notes": list(result.notes),
    }
