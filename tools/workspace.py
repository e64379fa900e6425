"""Creating a session from a stems folder: load, check, infer roles and sections, version 0."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.dsp.audio_io import (
    AUDIO_SUFFIXES,
    SILENCE_PEAK_DBFS,
    Put,
    file_sha256,
    load_audio,
    npy_block_writer,
    npy_nbytes,
    plan_stems,
)
from mixchat.dsp.cache import ANALYSIS, MIX, CacheBudget
from mixchat.dsp.cleanup.detect import FaultMeter
from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.ingest import Ingested, ingest
from mixchat.dsp.masking import N_BANDS, frame_hop
from mixchat.dsp.roles import RoleGuess, infer_role, loudest_excerpt, role_from_name
from mixchat.dsp.sections import sections_from_features, tempo_from_features
from mixchat.dsp.state import MixState, unity_state
from mixchat.dsp.stems import (
    ArrayStem,
    FileStem,
    ResampledStem,
    StemReader,
    file_identity,
    readable_in_place,
)
from mixchat.dsp.threads import pool_size
from mixchat.tools.cleanup_faults import finish_fed_faults
from mixchat.tools.engine import Engine, cache_limit_bytes
from mixchat.tools.errors import SessionError
from mixchat.tools.session import Session, SessionMeta, StemInfo

Progress = Callable[[str, float], None]
FAULTS_AT_ONCE = 2  # stems whose detectors finish side by side: memory grows with each


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
    """A new session whose version 0 is the unity sum of the stems. Returns it and warnings.

    The stems are read once, a block at a time (``mixchat.dsp.ingest``): roles, tempo,
    sections, version 0's metrics, the clean-up findings and every analysis later steps read
    come from that pass (a vocal's plosives and esses, judged only on vocals, come from it
    when the stem's name says vocal, else from a second read once the audio says so), and
    the session refers to the stem files instead of copying them."""
    session_path = Path(session_path)
    if (session_path / "session.json").exists():
        raise SessionError(
            f"{session_path} already holds a session; open it with -s or choose a new folder"
        )
    files = find_stem_files(stems_dir)
    report = progress or (lambda label, fraction: None)
    report("loading stems", 0.0)
    infos, rate, frames, warnings = plan_stems(files)
    names = track_names(files)
    cache = session_path / "cache"
    budget = CacheBudget(cache, limit_bytes=cache_limit_bytes())
    with ExitStack() as stack, ThreadPoolExecutor(max_workers=1) as hasher:
        hashes = {name: hasher.submit(file_sha256, i.path) for name, i in zip(names, infos)}
        readers, copies = _readers(names, infos, rate, frames, cache, hashes, budget, stack)
        bands_dir = cache / "bands"
        bands = {name: bands_dir / f"new-{index}.npy" for index, name in enumerate(names)}
        ingested = ingest(
            readers,
            sample_rate=rate,
            frames=frames,
            bands_put=lambda name: _bands_writer(bands[name], rate, frames, budget, stack),
            copies=copies,
            progress=lambda label, f: report(label, 0.05 + 0.7 * f),
            faults=True,
            expected_roles=_named_roles(names),
        )
        shas = {name: future.result() for name, future in hashes.items()}
    report("roles, tempo and sections", 0.8)
    warnings += _checked(names, infos, ingested)
    guesses = {
        name: _role_guess(name, readers[name], ingested.stems[name].extras, rate) for name in names
    }
    duration_s = frames / rate
    tempo = tempo_from_features(ingested.features, duration_s=duration_s)
    sections = sections_from_features(
        ingested.features,
        duration_s=duration_s,
        sample_rate=rate,
        stem_powers={n: ingested.stems[n].extras.section_powers for n in names},
        roles={n: g.role for n, g in guesses.items()},
        tempo_bpm=tempo,
    )
    stems = tuple(
        StemInfo(
            name=name,
            file=str(info.path.resolve()),
            sha256=shas[name],
            role=guesses[name].role,
            role_confidence=round(guesses[name].confidence, 2),
            role_source=guesses[name].source,
            channels=info.channels,
            source_rate=info.sample_rate,
            subtype=info.subtype,
            size=file_identity(info.path)[0],
            mtime_ns=file_identity(info.path)[1],
        )
        for name, info in zip(names, infos)
    )
    meta = SessionMeta(
        stems_dir=str(Path(stems_dir).resolve()),
        sample_rate=rate,
        frames=frames,
        stems=stems,
        sections=tuple(sections),
        genre=genre,
        tempo_bpm=tempo,
        warnings=tuple(warnings),
    )
    state = unity_state([(s.name, s.role) for s in stems])
    engine = Engine(meta, cache)
    report("measuring version 0", 0.9)
    for name in names:
        key = engine.insert_key(state.track(name))
        engine.store.save(key, ingested.stems[name].analysis)
        engine.store.save_extras(key, ingested.stems[name].extras)
        if bands[name].exists():
            bands[name].replace(engine.store.bands_path(key))
    ingested.stems.clear()  # stored: the detectors finish on the memory these held
    report("clean-up detectors", 0.93)
    _finish_faults(engine, state, ingested.faults)
    metrics = engine.metrics_from(ingested.unity.result(sections=sections), state)
    metrics["bus_files"] = {}
    session = Session.create(session_path, meta, state, metrics=metrics)
    report("done", 1.0)
    return session, warnings


def _finish_faults(engine: Engine, state: MixState, meters: dict[str, FaultMeter]) -> None:
    """``finish_fed_faults`` for FAULTS_AT_ONCE stems side by side (each its own meter:
    a stem's findings do not depend on which others finish beside it). ``meters`` is
    emptied as they finish."""
    singles = [{t.name: meters.pop(t.name)} for t in state.tracks if t.name in meters]
    with ThreadPoolExecutor(max_workers=pool_size(at_most=FAULTS_AT_ONCE)) as pool:
        for _ in pool.map(lambda single: finish_fed_faults(engine, state, single), singles):
            pass


def _readers(names, infos, rate, frames, cache, hashes, budget, stack):  # noqa: ANN001, ANN202
    """Each stem's reader and, for stems that cannot be read in place, the writer of their
    decoded copy (``cache/stems``, as the engine finds it later)."""
    readers: dict[str, StemReader] = {}
    copies: dict[str, Put] = {}
    for name, info in zip(names, infos):
        if info.streamable and readable_in_place(info.path, sample_rate=rate):
            readers[name] = FileStem(info.path, frames=frames)
            continue
        if info.streamable:
            readers[name] = ResampledStem(info.path, sample_rate=rate, frames=frames)
        else:
            audio = load_audio(info.path, sample_rate=rate).audio
            readers[name] = ArrayStem(audio, frames=frames)
        path = cache / "stems" / f"{hashes[name].result()[:24]}_{rate}_{frames}.npy"
        shape = (info.channels, frames)
        if budget.reserve(npy_nbytes(shape), rank=MIX):
            try:
                copies[name] = stack.enter_context(npy_block_writer(path, shape=shape))
            finally:
                budget.release(npy_nbytes(shape))
    return readers, copies


def _bands_writer(path: Path, rate: int, frames: int, budget: CacheBudget, stack: ExitStack):  # noqa: ANN202
    shape = (N_BANDS, max(1, frames // frame_hop(rate)))
    if not budget.reserve(npy_nbytes(shape), rank=ANALYSIS):
        return None
    try:
        return stack.enter_context(npy_block_writer(path, shape=shape))
    finally:
        budget.release(npy_nbytes(shape))


def _checked(names: list[str], infos: list[Any], ingested: Ingested) -> list[str]:
    notes = []
    for name, info in zip(names, infos):
        extras = ingested.stems[name].extras
        if not extras.finite_samples:
            raise AudioFileError(
                f"{info.path.name} contains NaN or infinite samples; re-export it from your DAW"
            )
        if extras.peak < 10.0 ** (SILENCE_PEAK_DBFS / 20.0):
            notes.append(f"{info.path.name} is silent (peak below {SILENCE_PEAK_DBFS:g} dBFS)")
    return notes


def _named_roles(names: list[str]) -> dict[str, str]:
    """The roles the stems' names state: ``_role_guess`` keeps them, whatever the audio."""
    return {name: found[0] for name in names if (found := role_from_name(name)) is not None}


def _role_guess(name: str, reader: StemReader, extras: Any, rate: int) -> RoleGuess:
    """The name's role, else the audio's, from the stem's loudest half minute."""
    if role_from_name(name) is not None or reader.frames < rate // 10:
        return infer_role(name, None, sample_rate=rate)
    start, stop, activity = loudest_excerpt(
        extras.activity_powers, sample_rate=rate, frames=reader.frames
    )
    excerpt = reader.read(start, min(stop, reader.frames))
    return infer_role(name, excerpt, sample_rate=rate, activity=activity)


def sum_to_stereo(stems: list[np.ndarray]) -> np.ndarray:
    frames = max(a.shape[1] for a in stems)
    mix = np.zeros((2, frames), dtype=np.float32)
    for audio in stems:
        mix[:, : audio.shape[1]] += audio if audio.shape[0] == 2 else np.repeat(audio, 2, axis=0)
    return mix
