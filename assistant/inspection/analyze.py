"""`mixchat analyze`: measure a stems folder, a session or a finished mix."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.dsp.analysis import analyze_audio, analyze_stem
from mixchat.dsp.audio_io import load_audio, load_stems
from mixchat.dsp.cleanup.detect import StemFaults, detect_faults
from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.masking import find_masking
from mixchat.dsp.roles import infer_role
from mixchat.dsp.sections import detect_sections, detect_stem_sections, estimate_tempo_bpm
from mixchat.dsp.state import Section
from mixchat.tools.cleanup_faults import stem_faults
from mixchat.tools.engine import Engine
from mixchat.tools.session import Session
from mixchat.tools.workspace import find_stem_files, sum_to_stereo, track_names

Progress = Callable[[str, float], None]


@dataclass
class Material:
    """What was measured: the mix, the stems (if any) with roles, sections, and where from."""

    kind: str
    source: str
    sample_rate: int
    mix: np.ndarray
    stems: dict[str, np.ndarray]
    roles: dict[str, str]
    files: dict[str, str]
    sections: list[Section]
    tempo_bpm: float | None
    warnings: list[str]
    genre: str | None = None
    stem_subtypes: dict[str, str] | None = None
    stem_rates: dict[str, int] | None = None
    faults: dict[str, StemFaults] | None = None  # clean-up findings on the raw stems


def load_material(path: Path, *, progress: Progress | None = None) -> Material:
    """Read a session folder, a stems folder or one audio file."""
    path = Path(path)
    report = progress or (lambda label, fraction: None)
    if (path / "session.json").exists():
        return _session_material(Session.open(path), report)
    if path.is_dir():
        return _folder_material(path, report)
    if not path.exists():
        raise AudioFileError(
            f"{path} does not exist; give a stems folder, a session folder or an audio file"
        )
    report("loading", 0.1)
    loaded = load_audio(path)
    report("sections", 0.4)
    sections = detect_sections(loaded.audio, sample_rate=loaded.sample_rate)
    return Material(
        "mix",
        str(path),
        loaded.sample_rate,
        loaded.audio,
        {},
        {},
        {},
        sections,
        estimate_tempo_bpm(_stereo(loaded.audio), sample_rate=loaded.sample_rate),
        list(loaded.warnings),
    )


def _stereo(audio: np.ndarray) -> np.ndarray:
    return audio if audio.shape[0] == 2 else np.repeat(audio, 2, axis=0)


def _folder_material(path: Path, report: Progress) -> Material:
    files = find_stem_files(path)
    report("loading stems", 0.05)
    loaded, rate, warnings = load_stems(files)
    names = track_names(files)
    stems = {n: s.audio for n, s in zip(names, loaded)}
    report("roles", 0.3)
    roles = {n: infer_role(n, stems[n], sample_rate=rate).role for n in names}
    mix = sum_to_stereo(list(stems.values()))
    report("sections", 0.45)
    tempo, sections = detect_stem_sections(stems, sample_rate=rate, roles=roles)
    return Material(
        "stems",
        str(path),
        rate,
        mix,
        stems,
        roles,
        {n: str(f) for n, f in zip(names, files)},
        sections,
        tempo,
        warnings,
        stem_subtypes={n: s.subtype for n, s in zip(names, loaded)},
        stem_rates={n: s.source_rate for n, s in zip(names, loaded)},
    )


def _session_material(session: Session, report: Progress) -> Material:
    version = session.load()
    engine = Engine.for_session(session)
    report("render", 0.1)
    rendered = engine.render(version.state, progress=lambda label, f: report(label, 0.1 + 0.4 * f))
    sources = engine.stem_sources()
    gains = {t.name: 10 ** (t.gain_db / 20) for t in version.state.audible_tracks()}
    stems = {name: sources[name].array() * np.float32(g) for name, g in gains.items()}
    faults = {t.name: stem_faults(engine, t) for t in version.state.audible_tracks()}
    meta = session.meta
    return Material(
        "session",
        str(session.path),
        meta.sample_rate,
        rendered.audio,
        stems,
        {t.name: t.role for t in version.state.tracks},
        {s.name: s.file for s in meta.stems},
        list(meta.sections),
        meta.tempo_bpm,
        list(meta.warnings),
        genre=meta.genre,
        stem_subtypes={s.name: s.subtype for s in meta.stems},
        stem_rates={s.name: s.source_rate for s in meta.stems},
        faults=faults,
    )


def material_faults(material: Material) -> dict[str, StemFaults]:
    """The clean-up findings of every stem (a session's come from its cache)."""
    if material.faults is None:
        material.faults = {
            name: detect_faults(
                audio, sample_rate=material.sample_rate, role=material.roles.get(name, "other")
            )
            for name, audio in material.stems.items()
        }
    return material.faults


def faults_json(faults: StemFaults) -> dict[str, Any]:
    """A stem's findings for ``analyze --json`` (the learned noise profile left out)."""
    data = faults.model_dump(mode="json")
    data["noise"].pop("profile", None)
    data["found"] = faults.found()
    return data


def measure_material(material: Material, *, progress: Progress | None = None) -> dict[str, Any]:
    report = progress or (lambda label, fraction: None)
    rate = material.sample_rate
    report("mix", 0.55)
    result: dict[str, Any] = {
        "source": material.source,
        "kind": material.kind,
        "sample_rate": rate,
        "tempo_bpm": material.tempo_bpm,
        "mix": analyze_audio(material.mix, sample_rate=rate).model_dump(mode="json"),
        "sections": [s.model_dump() for s in material.sections],
        "stems": [],
        "masking": [],
        "warnings": material.warnings,
    }
    report("clean-up detectors", 0.6)
    faults = material_faults(material)
    for index, (name, audio) in enumerate(material.stems.items()):
        report(f"stem {name}", 0.6 + 0.25 * index / max(len(material.stems), 1))
        stem = analyze_stem(audio, sample_rate=rate, name=name).model_dump(mode="json")
        stem.update(
            {
                "file": material.files.get(name, ""),
                "role": material.roles.get(name, "other"),
                "cleanup": faults_json(faults[name]),
            }
        )
        result["stems"].append(stem)
    if len(material.stems) > 1:
        report("masking", 0.88)
        conflicts = find_masking(material.stems, sample_rate=rate, roles=material.roles)
        result["masking"] = [c.model_dump(mode="json") for c in conflicts]
    return result


def analyze_path(
    path: Path, *, plots_dir: Path | None = None, progress: Progress | None = None
) -> dict[str, Any]:
    material = load_material(path, progress=progress)
    result = measure_material(material, progress=progress)
    if plots_dir is not None:
        from mixchat.assistant.inspection.plots import write_plots  # matplotlib: only when asked

        result["plots"] = [str(p) for p in write_plots(material, result, plots_dir=Path(plots_dir))]
    if progress:
        progress("done", 1.0)
    return result
