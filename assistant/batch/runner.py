"""The batch: find the songs, skip the finished ones, run the rest, write ``batch.json``.

``OUT/batch.json`` is ``{songs: [{song, status, reason, master, lufs, true_peak_dbtp,
seconds}], summary: {...}}``, one row per song folder, in name order. It is rewritten
(atomically) each time a song ends, so it is true even if the batch is stopped.

A rerun does no work for a song whose manifest verifies (status ``skipped``), nor for a song
whose stem files could not be read last time and have not changed since (``failed``, with
the same reason). Everything else is made: new songs, changed stems or options, and songs
whose worker died.
"""

from __future__ import annotations

import fcntl
import json
import math
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from mixchat.assistant.batch.errors import BatchError
from mixchat.assistant.batch.jobs import (
    BatchOptions,
    SongJob,
    find_songs,
    memory_estimate_bytes,
)
from mixchat.assistant.batch.manifest import verified
from mixchat.tools.atomic import write_json_atomic

BATCH_FILE = "batch.json"
ROW_KEYS = ("song", "status", "reason", "master", "lufs", "true_peak_dbtp", "seconds")
AGAIN = " (its files have not changed since; fix them and run again)"
DEFAULT_RETRIES = 1  # a worker killed once gets a second try; twice and the song is reported

OnRow = Callable[[dict[str, Any], int, int], None]


def run_batch(
    songs_dir: Path,
    out: Path,
    *,
    options: BatchOptions,
    workers: int | None = None,
    address: str | None = None,
    retries: int = DEFAULT_RETRIES,
    threads_per_song: int | None = None,
    on_row: OnRow | None = None,
) -> dict[str, Any]:
    """Make every song of ``songs_dir`` into ``out``; returns what ``batch.json`` holds.
    ``on_row(row, finished, total)`` is called as each song is skipped or ends. Each song
    runs as many threads as the cores it declares, unless ``threads_per_song`` says."""
    if workers is not None and workers < 1:
        raise BatchError(f"--workers={workers} must be at least 1")
    out = Path(out).resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise BatchError(
            f"-o {out}: cannot create it ({error.strerror}); choose a writable folder"
        ) from None
    songs = find_songs(songs_dir, out_root=out)
    jobs = [
        SongJob(song=song, stems_dir=folder.resolve(), out_root=out, options=options)
        for song, folder in songs
    ]
    book = Book(out, jobs, on_row=on_row)
    with _locked(out):
        todo = []
        for job in jobs:
            if (manifest := verified(job)) is not None:
                book.add(_skipped_row(job, manifest))
            elif (reason := known_failure(job)) is not None:
                book.add(_failed_again(job, reason))
            else:
                todo.append(job)
        book.write()
        if todo:
            _run(
                todo,
                book,
                workers=workers,
                address=address,
                retries=retries,
                threads=threads_per_song,
            )
        with suppress(OSError):  # only when empty: a killed song's leftovers stay for its retry
            (out / ".partial").rmdir()
        return book.write()


def _run(
    todo: list[SongJob],
    book: Book,
    *,
    workers: int | None,
    address: str | None,
    retries: int,
    threads: int | None,
) -> None:
    from mixchat.assistant.batch import cluster  # Ray: only when there is work

    with cluster.connect(address=address, cores=os.cpu_count() or 1) as ray:
        offer = cluster.capacity(ray)
        count, cpus, own_threads = offer.share(workers, songs=len(todo))
        threads = threads or own_threads
        book.summary.update(
            cluster=address or "local", workers=count, cpus_per_song=cpus, threads_per_song=threads
        )
        jobs = [
            (
                SongJob(j.song, j.stems_dir, j.out_root, j.options, threads),
                memory_estimate_bytes(j.stems_dir),
            )
            for j in todo
        ]
        jobs.sort(key=lambda pair: -pair[1])  # biggest first: the batch ends on small songs
        try:
            cluster.run_songs(
                ray,
                jobs,
                cpus=cpus,
                memory_per_node=offer.memory_per_node,
                retries=retries,
                on_row=book.add,
            )
        finally:
            for job, _ in jobs:
                if job.song not in book.rows:
                    book.add(_interrupted_row(job))


class Book:
    """The rows so far, and ``batch.json`` written from them."""

    def __init__(self, out: Path, jobs: list[SongJob], *, on_row: OnRow | None) -> None:
        self.out = out
        self.jobs = {job.song: job for job in jobs}
        self.total = len(jobs)
        self.rows: dict[str, dict[str, Any]] = {}
        self.on_row = on_row
        self.started = time.perf_counter()
        self.summary: dict[str, Any] = {}

    def add(self, row: dict[str, Any]) -> None:
        self.rows[row["song"]] = {key: _finite(row.get(key)) for key in ROW_KEYS}
        remember_failure(self.jobs[row["song"]], row)
        self.write()
        if self.on_row is not None:
            self.on_row(self.rows[row["song"]], len(self.rows), self.total)

    def write(self) -> dict[str, Any]:
        rows = [self.rows[name] for name in sorted(self.rows)]
        made = [r for r in rows if r["status"] == "done"]
        wall = time.perf_counter() - self.started
        counts = {s: sum(r["status"] == s for r in rows) for s in ("done", "failed", "skipped")}
        data = {
            "songs": rows,
            "summary": {
                "songs": self.total,
                **counts,
                "pending": self.total - len(rows),
                **self.summary,
                "wall_seconds": round(wall, 2),
                "songs_per_minute": round(60.0 * len(made) / wall, 2) if made else None,
            },
        }
        write_json_atomic(self.out / BATCH_FILE, data)
        return data


# --- rows ------------------------------------------------------------------------------
def _finite(value: Any) -> Any:
    """JSON has no infinity: the loudness of a silent master is null."""
    return None if isinstance(value, float) and not math.isfinite(value) else value


def _skipped_row(job: SongJob, manifest: dict[str, Any]) -> dict[str, Any]:
    return {
        "song": job.song,
        "status": "skipped",
        "reason": "finished in an earlier run (outputs verified against its manifest.json)",
        "master": str(job.final_dir / "master.wav"),
        "lufs": manifest.get("lufs"),
        "true_peak_dbtp": manifest.get("true_peak_dbtp"),
        "seconds": 0.0,
    }


def _failed_again(job: SongJob, reason: str) -> dict[str, Any]:
    return {
        "song": job.song,
        "status": "failed",
        "reason": reason,
        "master": None,
        "lufs": None,
        "true_peak_dbtp": None,
        "seconds": 0.0,
        "failure": "input",
    }


def _interrupted_row(job: SongJob) -> dict[str, Any]:
    return {
        "song": job.song,
        "status": "failed",
        "reason": "the batch stopped before it finished; run the batch again to finish it",
        "master": None,
        "lufs": None,
        "true_peak_dbtp": None,
        "seconds": 0.0,
    }


# --- what failed on its input last time ------------------------------------------------
def _failure_path(out: Path, song: str) -> Path:
    return out / ".failed" / f"{song}.json"


def folder_fingerprint(folder: Path) -> list[list[Any]]:
    """Every visible file of a song folder: name, size, mtime."""
    try:
        entries = sorted(p for p in Path(folder).iterdir() if not p.name.startswith("."))
        return [[p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in entries]
    except OSError:
        return []


def remember_failure(job: SongJob, row: dict[str, Any]) -> None:
    """Keep a failure on the song's own files (with their fingerprint) until it is made;
    forget it once the song is made or fails otherwise."""
    path = _failure_path(job.out_root, job.song)
    if row.get("failure") != "input":
        if row["status"] != "skipped":
            path.unlink(missing_ok=True)
        return
    record = {
        "reason": row["reason"].removesuffix(AGAIN),
        "options": job.options.key(),
        "files": folder_fingerprint(job.stems_dir),
    }
    try:
        if json.loads(path.read_text(encoding="utf-8")) == record:
            return
    except (OSError, ValueError):
        pass
    path.parent.mkdir(exist_ok=True)
    write_json_atomic(path, record)


def known_failure(job: SongJob) -> str | None:
    """The reason a song failed on its input last time, when its folder and the options are
    as they were then; None otherwise."""
    try:
        data = json.loads(_failure_path(job.out_root, job.song).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    same = data.get("files") == folder_fingerprint(job.stems_dir)
    if not same or data.get("options") != job.options.key():
        return None
    reason = str(data.get("reason", "")).removesuffix(AGAIN)
    return reason + AGAIN


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """One batch at a time per output folder."""
    with open(out / ".batch.lock", "a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BatchError(
                f"{out} is being written by another mixchat batch; wait for it or choose another -o"
            ) from None
        yield
