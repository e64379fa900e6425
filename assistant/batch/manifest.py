"""A finished song's proof, and the hand-over that makes a song finished in one step.

A song is built in ``OUT/.partial/<song>/``. Its ``manifest.json`` is written last: the
options it was made with, its stems (size, mtime, SHA-256) and the SHA-256 of its deliverables
(``master.wav``, ``report.json``). Then the folder is renamed to ``OUT/<song>`` (atomic), so
a half-built song is never where a finished one is looked for. A rerun counts a song as
finished only when its manifest matches the options, the stems and the deliverables' bytes.

The session and any export are not hashed: they are the producer's to go on working with.
A finished song that has to be made again (other options, changed stems) is moved aside to
``OUT/.replaced/`` first, so nothing already made is lost.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Any

from mixchat.assistant.batch.jobs import SongJob
from mixchat.dsp.audio_io import file_sha256
from mixchat.dsp.errors import MixError
from mixchat.tools.atomic import fsync_dir, write_json_atomic
from mixchat.tools.workspace import find_stem_files

MANIFEST = "manifest.json"
DELIVERABLES = ("master.wav", "report.json")
MANIFEST_VERSION = 1


def stem_records(stems_dir: Path, known: dict[str, str] | None = None) -> dict[str, Any]:
    """{file name: {size, mtime_ns, sha256}} of a song's stems; ``known`` hashes (by file
    name) are used instead of reading the file again."""
    records = {}
    for path in find_stem_files(stems_dir):
        stat = path.stat()
        digest = (known or {}).get(path.name) or file_sha256(path)
        records[path.name] = {"size": stat.st_size, "mtime_ns": stat.st_mtime_ns, "sha256": digest}
    return records


def write_manifest(
    folder: Path, *, job: SongJob, stems: dict[str, Any], summary: dict[str, Any]
) -> dict[str, Any]:
    """Hash the deliverables in ``folder`` and write the manifest (atomically, last)."""
    outputs = {}
    for name in DELIVERABLES:
        path = folder / name
        outputs[name] = {"size": path.stat().st_size, "sha256": file_sha256(path)}
    manifest = {
        "manifest_version": MANIFEST_VERSION,
        "song": job.song,
        "stems_dir": str(job.stems_dir),
        "options": job.options.key(),
        "stems": stems,
        "outputs": outputs,
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        **summary,
    }
    write_json_atomic(folder / MANIFEST, manifest)
    return manifest


def read_manifest(folder: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def verified(job: SongJob) -> dict[str, Any] | None:
    """The manifest of ``job``'s song when it is finished for these options and these stems
    and its deliverables are intact; None when the song has to be made (again)."""
    manifest = read_manifest(job.final_dir)
    if manifest is None or manifest.get("manifest_version") != MANIFEST_VERSION:
        return None
    if manifest.get("options") != job.options.key():
        return None
    if not _same_stems(manifest.get("stems") or {}, job.stems_dir):
        return None
    for name, record in (manifest.get("outputs") or {}).items():
        path = job.final_dir / name
        try:
            if path.stat().st_size != record["size"] or file_sha256(path) != record["sha256"]:
                return None
        except (OSError, KeyError, TypeError):
            return None
    return manifest if set(manifest.get("outputs") or {}) == set(DELIVERABLES) else None


def _same_stems(recorded: dict[str, Any], stems_dir: Path) -> bool:
    """The folder holds the stems the song was made from: same names, and for each the same
    size and mtime, or else the same bytes."""
    try:
        files = find_stem_files(stems_dir)
    except (OSError, MixError):
        return False
    if {p.name for p in files} != set(recorded):
        return False
    for path in files:
        record = recorded[path.name]
        stat = path.stat()
        if stat.st_size == record.get("size") and stat.st_mtime_ns == record.get("mtime_ns"):
            continue
        if stat.st_size != record.get("size") or file_sha256(path) != record.get("sha256"):
            return False
    return True


def promote(staging: Path, final: Path) -> None:
    """Make the built folder ``staging`` the song's folder ``final`` by renames: an older
    ``final`` is moved to ``OUT/.replaced/`` first, never deleted."""
    if final.exists():
        aside_root = final.parent / ".replaced"
        aside_root.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        aside, n = aside_root / f"{final.name}.{stamp}", 2
        while aside.exists():
            aside, n = aside_root / f"{final.name}.{stamp}.{n}", n + 1
        os.replace(final, aside)
    os.replace(staging, final)
    fsync_dir(final.parent)
