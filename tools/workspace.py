"""Creating a session from a stems folder: load, check, infer roles and sections, version 0."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np

from mixchat.dsp.audio_io import AUDIO_SUFFIXES, file_sha256, load_stems
from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.roles import infer_role
from mixchat.dsp.sections import detect_sections, estimate_tempo_bpm
from mixchat.dsp.state import unity_state
from mixchat.tools.engine import Engine
from mixchat.tools.errors import SessionError
from mixchat.tools.session import Session, SessionMeta, StemInfo

Progress = Callable[[str, float], None]


def find_stem_files(stems_dir: Path) -> list[Path]:
    stems_dir = Path(stems_dir)
    if not stems_dir.exists():
        raise AudioFileError(f"{stems_dir} does not exist; give the folder that holds your stems")
    if stems_dir.is_file():
        raise AudioFileError(f"{stems_dir} is a file; give the folder that holds your stems")
    files = sorted(
        p
        for p in stems_dir.iterdir()
        if p.suffix.lower() in AUDIO_SUFFIXES and not p.name.startswith(".")
    )
    if not files:
        raise AudioFileError(
            f"{stems_dir} holds no audio files ({' '.join(AUDIO_SUFFIXES)}); export your stems there first"
        )
    return files


def track_names(files: list[Path]) -> list[str]:
    """File names without extension, made unique ("Kick", "Kick_2")."""
    names: list[str] = []
    for path in files:
        base = path.stem.strip() or "track"
        name, n = base, 2
        while name in names:
            name, n = f"{base}_{n}", n + 1
        names.append(name)
    return names


def create_session(
    stems_dir: Path,
    session_path: Path,
    *,
    genre: str | None = None,
    progress: Progress | None = None,
) -> tuple[Session, list[str]]:
    """A new session whose version 0 is the unity sum of the stems. Returns it and warnings."""
    session_path = Path(session_path)
    if (session_path / "session.json").exists():
        raise SessionError(
            f"{session_path} already holds a session; open it with -s or choose a new folder"
        )
    files = find_stem_files(stems_dir)
    report = progress or (lambda label, fraction: None)
    report("loading stems", 0.0)
    loaded, rate, warnings = load_stems(files)
    names = track_names(files)
    audio = {name: stem.audio for name, stem in zip(names, loaded)}
    report("roles", 0.35)
    guesses = {name: infer_role(name, audio[name], sample_rate=rate) for name in names}
    mix = sum_to_stereo(list(audio.values()))
    report("tempo and sections", 0.5)
    tempo = estimate_tempo_bpm(mix, sample_rate=rate)
    sections = detect_sections(
        mix,
        sample_rate=rate,
        stems=audio,
        roles={n: g.role for n, g in guesses.items()},
        tempo_bpm=tempo,
    )
    stems = tuple(
        StemInfo(
            name=name,
            file=str(path.resolve()),
            sha256=file_sha256(path),
            role=guesses[name].role,
            role_confidence=round(guesses[name].confidence, 2),
            role_source=guesses[name].source,
            channels=stem.channels,
            source_rate=stem.source_rate,
            subtype=stem.subtype,
        )
        for name, path, stem in zip(names, files, loaded)
    )
    meta = SessionMeta(
        stems_dir=str(Path(stems_dir).resolve()),
        sample_rate=rate,
        frames=loaded[0].frames,
        stems=stems,
        sections=tuple(sections),
        genre=genre,
        tempo_bpm=tempo,
        warnings=tuple(warnings),
    )
    state = unity_state([(s.name, s.role) for s in stems])
    engine = Engine(meta, session_path / "cache")
    report("caching stems", 0.65)
    engine.adopt_stems(audio)
    report("measuring version 0", 0.8)
    metrics = engine.measure(state)
    session = Session.create(session_path, meta, state, metrics=metrics)
    report("done", 1.0)
    return session, warnings


def sum_to_stereo(stems: list[np.ndarray]) -> np.ndarray:
    frames = max(a.shape[1] for a in stems)
    mix = np.zeros((2, frames), dtype=np.float32)
    for audio in stems:
        mix[:, : audio.shape[1]] += audio if audio.shape[0] == 2 else np.repeat(audio, 2, axis=0)
    return mix
