"""One song, start to finish, in one task: the same turns the CLI runs, in the same order.

``mixchat new`` → ``automix`` → ``say`` for each brief → the master chain set to the batch's
target as a version of its own → ``render`` → ``feedback`` → ``export``. Everything is built
in the song's staging folder; the manifest is written last and the folder handed over in one
rename (see ``manifest``). A song that cannot be made comes back as a failed row with a
one-line reason: bad stems never stop the batch.
"""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mixchat.assistant.batch.elastic import borrow_idle_cores
from mixchat.assistant.batch.jobs import BatchOptions, ExportFormat, SongJob
from mixchat.assistant.batch.manifest import promote, stem_records, write_manifest
from mixchat.assistant.inspection.feedback import feedback_for_path
from mixchat.assistant.planning.contract import Plan, PlanContext
from mixchat.assistant.planning.measures import Loudness, TruePeak
from mixchat.assistant.turn.actions import run_automix
from mixchat.assistant.turn.comparison import render_version
from mixchat.assistant.turn.conversation import handle_brief
from mixchat.assistant.turn.result import TurnResult
from mixchat.dsp.allocator import keep_block_buffers
from mixchat.dsp.errors import AudioFileError, MixError
from mixchat.dsp.threads import limited_threads
from mixchat.tools.atomic import write_json_atomic
from mixchat.tools.base import ToolCall
from mixchat.tools.export import export_version
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session

SESSION_FOLDER = "session"
CORES = os.cpu_count() or 1
TARGET_TOLERANCE_LU = 0.5
CEILING_TOLERANCE_DB = 0.05  # the meter's own spread on a 24-bit file
RESTARTED = (
    "made again from the start: an earlier attempt was cut off "
    "(its worker died or its batch was stopped)"
)


@dataclass
class DeliveryMaster:
    """A planner that answers one brief only: the batch's master chain (on, the target
    loudness, the true-peak ceiling). Going through ``handle_brief`` makes the master a
    measured, explained version like any other."""

    target_lufs: float
    ceiling_dbtp: float
    name: str = "batch"

    @property
    def brief(self) -> str:
        return f"master at {self.target_lufs:g} LUFS under {self.ceiling_dbtp:g} dBTP"

    def plan(self, context: PlanContext) -> Plan:
        call = ToolCall(
            tool="set_master",
            args={
                "enabled": True,
                "loudness_enabled": True,
                "target_lufs": self.target_lufs,
                "ceiling_dbtp": self.ceiling_dbtp,
            },
            reason="the batch's delivery target",
        )
        return Plan(
            intent="change", calls=[call], measures=[Loudness(), TruePeak()], level_change=True
        )


def process_song(job: SongJob) -> dict[str, Any]:
    """Make one song; a batch.json row: ``{song, status, reason, master, lufs,
    true_peak_dbtp, seconds}``. Runs in a Ray task (or anywhere: it only needs the paths)."""
    started = time.perf_counter()
    try:
        with limited_threads(job.threads), borrow_idle_cores(base=job.threads, most=CORES):
            summary = build_song(job)
    except MixError as error:
        kind = "input" if isinstance(error, AudioFileError) else "error"
        return failed_row(job, str(error), seconds=_since(started), kind=kind)
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        return failed_row(job, f"{where}{error.strerror or error}", seconds=_since(started))
    except Exception as error:  # noqa: BLE001 - a bug in one song must not stop the others
        reason = f"internal error ({type(error).__name__}: {error})"
        return failed_row(job, reason, seconds=_since(started))
    finally:
        shutil.rmtree(job.staging_dir, ignore_errors=True)
    return {
        "song": job.song,
        "status": "done",
        "reason": summary["note"],
        "master": str(job.final_dir / "master.wav"),
        "lufs": summary["lufs"],
        "true_peak_dbtp": summary["true_peak_dbtp"],
        "seconds": _since(started),
    }


def _since(started: float) -> float:
    return round(time.perf_counter() - started, 2)


def failed_row(
    job: SongJob, reason: str, *, seconds: float = 0.0, kind: str = "crash"
) -> dict[str, Any]:
    """A failed song's row. ``kind`` "input" marks a failure the same stem files meet again
    (unreadable audio, no audio), so a rerun need not try it before they change."""
    return {
        "song": job.song,
        "status": "failed",
        "reason": " ".join(reason.split()) or "failed without a message",
        "master": None,
        "lufs": None,
        "true_peak_dbtp": None,
        "seconds": seconds,
        "failure": kind,
    }


def build_song(job: SongJob) -> dict[str, Any]:
    """Build the song in its staging folder and hand it over; returns the manifest."""
    keep_block_buffers()  # what `mixchat` does at start-up, for block-wise rendering
    staging = job.staging_dir
    cut_off = staging.exists()  # an earlier attempt's worker died (or its batch was stopped)
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    clock = Stopwatch()
    cpu_started = time.process_time()
    options = job.options
    with clock("new"):
        session, warnings = create_session(job.stems_dir, staging / SESSION_FOLDER)
    with clock("automix"):
        automix = run_automix(session)
    turns = [_turn("automix", automix)]
    with clock("briefs"):
        for brief in options.briefs:
            turns.append(_turn(brief, handle_brief(session, brief)))
    master = DeliveryMaster(options.target_lufs, options.ceiling_dbtp)
    with clock("master"):
        turns.append(_turn(master.brief, handle_brief(session, master.brief, planner=master)))
    with clock("render"):
        rendered = render_version(session, output=staging / "master.wav")
    with clock("feedback"):
        feedback = feedback_for_path(session.path)
    exported = None
    if options.export is not None:
        with clock("export"):
            exported = _export(session, job, staging, options.export)
    shutil.rmtree(session.cache_dir, ignore_errors=True)  # rebuilt on demand; GBs per song
    summary = {
        "lufs": rendered["integrated_lufs"],
        "true_peak_dbtp": rendered["true_peak_dbtp"],
        "seconds": round(clock.total, 2),
        "cpu_seconds": round(time.process_time() - cpu_started, 2),
        "note": "; ".join(
            note for note in (off_target(rendered, options), RESTARTED if cut_off else None) if note
        )
        or None,
    }
    report = _report(job, session, rendered, feedback, turns, exported, warnings, clock, summary)
    write_json_atomic(staging / "report.json", report)
    known = {Path(s.file).name: s.sha256 for s in session.meta.stems}
    manifest = write_manifest(
        staging, job=job, stems=stem_records(job.stems_dir, known), summary=summary
    )
    promote(staging, job.final_dir)
    return manifest


def off_target(rendered: dict[str, Any], options: BatchOptions) -> str | None:
    """Why the master cannot go out as it is: off the target by more than the 0.5 LU a
    platform tolerates, or over the ceiling (what the limiter could not do, it says)."""
    lufs, peak = rendered["integrated_lufs"], rendered["true_peak_dbtp"]
    problems = []
    if not abs(lufs - options.target_lufs) <= TARGET_TOLERANCE_LU:
        problems.append(f"{lufs:g} LUFS against the {options.target_lufs:g} LUFS target")
    if not peak <= options.ceiling_dbtp + CEILING_TOLERANCE_DB:
        problems.append(f"true peak {peak:g} dBTP over the {options.ceiling_dbtp:g} dBTP ceiling")
    if not problems:
        return None
    notes = "; ".join(rendered.get("notes") or [])
    return "check the master: " + " and ".join(problems) + (f" ({notes})" if notes else "")


def _turn(brief: str, result: TurnResult) -> dict[str, Any]:
    """A turn as report.json lists it: the brief, then what the CLI's ``--json`` prints."""
    return {"brief": brief, **result.model_dump(mode="json")}


def _export(session: Session, job: SongJob, staging: Path, fmt: ExportFormat) -> dict[str, Any]:
    if fmt == "dawproject":
        out = staging / f"{job.song}.dawproject"
    elif fmt == "reaper":
        (staging / "reaper").mkdir()
        out = staging / "reaper" / f"{job.song}.rpp"
    else:
        out = staging / "stems"
    result = export_version(session, version=None, fmt=fmt, out=out)
    return {
        "format": fmt,
        "path": str(Path(job.song) / result.path.relative_to(staging)),
        "files": len(result.files),
        "notes": list(result.notes),
    }


def _report(
    job: SongJob,
    session: Session,
    rendered: dict[str, Any],
    feedback: dict[str, Any],
    turns: list[dict[str, Any]],
    exported: dict[str, Any] | None,
    warnings: list[str],
    clock: Stopwatch,
    summary: dict[str, Any],
) -> dict[str, Any]:
    options = job.options
    return {
        "song": job.song,
        "stems_dir": str(job.stems_dir),
        "stems": [{"file": Path(s.file).name, "role": s.role} for s in session.meta.stems],
        "session": SESSION_FOLDER,
        "master": {
            "file": "master.wav",
            "target_lufs": options.target_lufs,
            "ceiling_dbtp": options.ceiling_dbtp,
            "lufs": rendered["integrated_lufs"],
            "true_peak_dbtp": rendered["true_peak_dbtp"],
            "version": rendered["version"],
            "notes": rendered["notes"],
        },
        "turns": turns,
        "feedback": feedback["items"],
        "export": exported,
        "warnings": list(warnings),
        "timings_s": {**clock.laps, "total": summary["seconds"]},
        "cpu_seconds": summary["cpu_seconds"],
        "threads": job.threads,
    }


class Stopwatch:
    """Wall-clock seconds per stage."""

    def __init__(self) -> None:
        self.laps: dict[str, float] = {}

    @contextmanager
    def __call__(self, stage: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.laps[stage] = round(time.perf_counter() - started, 2)

    @property
    def total(self) -> float:
        return sum(self.laps.values())
