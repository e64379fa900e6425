"""Time one brief end to end on a 4-minute, 8-stem session, stage by stage.

Builds the session once (song_1's seven stems looped to 240 s, plus a duplicate guitar),
automixes it (or sets a plain balance when tools/automix.py is missing), then runs several
briefs through ``handle_brief`` and prints the time of each stage: context (facts), plan,
apply, render, analysis, commit.

Two tables: "warm" re-runs each brief from the automix base (its inserts already cached);
"cold" runs each brief from a fresh parent (the base with the tracks that brief changes
nudged by a unique trim, rendered and measured as a previous brief would have been), so
neither the brief's own insert renders and track measures nor the parent's masking bands are
cached: what a user waits for. ``--repeat N`` keeps each brief's fastest of N runs (the
machine is noisy); ``--profile`` adds a cProfile listing of the slowest brief.
``--corpus dev --sample N`` times N briefs spread over a brief corpus instead (cold only),
and a follow-up ("too much, go halfway back") after each of the first few.

    .venv/bin/python bench/bench_brief.py [--keep DIR] [--profile] [--only warm|cold] [--repeat N]
    .venv/bin/python bench/bench_brief.py --corpus dev --sample 40
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from mixchat.assistant.turn.conversation import handle_brief  # noqa: E402
from mixchat.dsp.allocator import keep_block_buffers  # noqa: E402
from mixchat.tools.engine import Engine  # noqa: E402
from mixchat.tools.session import Session  # noqa: E402
from mixchat.tools.workspace import create_session  # noqa: E402

SONG = ROOT.parent / "shared" / "data" / "songs" / "song_1"
DURATION_S = 240.0
BRIEFS = (
    "make it darker",
    "bring the vocal up 2 dB",
    "push the second chorus 2 dB harder",
    "make it wider",
    "the vocal gets lost behind the guitars",
    "way too muddy",
)
STAGES = ("reading the mix", "planning", "applying", "rendering", "measuring", "committing")
LABELS = ("context", "plan", "apply", "render", "analysis", "commit")


def loop_stems(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(SONG.glob("*.flac")):
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
        frames = int(DURATION_S * rate)
        looped = np.resize(audio.T, (audio.shape[1], frames)).T
        sf.write(str(out / f"{path.stem}.wav"), looped, rate, subtype="PCM_24")
        if path.stem == "Guitar_Rhythm":
            sf.write(str(out / "Guitar_Double.wav"), looped[:, ::-1].copy(), rate, subtype="PCM_24")


def build_session(folder: Path) -> tuple[Session, int]:
    stems = folder / "stems"
    loop_stems(stems)
    session, _ = create_session(stems, folder / "bench.mix")
    try:
        from mixchat.assistant.turn.actions import run_automix

        base = run_automix(session).version
        how = "automix"
    except ImportError:
        from test_briefs_e2e import simple_balance

        base, how = simple_balance(session), "simple balance"
    meta = session.meta
    print(
        f"session: {len(meta.stems)} stems, {meta.duration_s:.0f} s at {meta.sample_rate} Hz; base v{base} ({how})"
    )
    return session, base


def timed_brief(session: Session, brief: str, base: int) -> tuple[dict[str, float], set[str]]:
    """Stage times of one brief, and the tracks its tool calls name."""
    marks: list[tuple[str, float]] = []
    cpu = time.process_time()
    start = time.perf_counter()
    result = handle_brief(
        session,
        brief,
        parent=base,
        progress=lambda label, f: marks.append((label, time.perf_counter())),
    )
    end = time.perf_counter()
    times = dict.fromkeys(LABELS, 0.0)
    for (label, t0), (_, t1) in zip(marks, marks[1:] + [("end", end)]):
        if label in STAGES:
            times[LABELS[STAGES.index(label)]] += t1 - t0
    times["total"] = end - start
    times["cpu"] = time.process_time() - cpu
    return times, {c.args["track"] for c in result.tool_calls if c.args.get("track")}


def fresh_parent(session: Session, base: int, tracks: set[str]) -> int:
    """A new version: ``base`` with ``tracks`` trimmed by a few thousandths of a dB never used
    before (new insert cache keys), rendered and measured like a brief's result."""
    state = session.load(base).state
    nudge = 0.001 * (1 + session.latest_number())
    for name in sorted(tracks):
        state = state.with_track(name, trim_db=state.track(name).trim_db + nudge)
    metrics = Engine.for_session(session).measure(state)
    return session.commit(state, parent=base, brief="bench: fresh parent", metrics=metrics).version


def fastest(runs: list[dict[str, float]]) -> dict[str, float]:
    """The run with the smallest total (the machine is noisy)."""
    return min(runs, key=lambda row: row["total"])


def print_table(title: str, rows: dict[str, dict[str, float]]) -> None:
    print(f"{title:42s} " + " ".join(f"{k:>8s}" for k in (*LABELS, "total", "cpu")))
    for brief, row in rows.items():
        print(f"{brief:42s} " + " ".join(f"{v:8.2f}" for v in row.values()))
    totals = [r["total"] for r in rows.values()]
    worst = max(rows, key=lambda b: rows[b]["total"])
    besides = [r["total"] - r["render"] for r in rows.values()]
    print(
        f"median {np.median(totals):.2f} s, worst {max(totals):.2f} s ({worst!r}); goal < 2 s; "
        f"all but render: median {np.median(besides):.2f} s, worst {max(besides):.2f} s\n"
    )


def corpus_sample(name: str, count: int) -> list[str]:
    from brief_checks import load_corpus

    briefs = [case.brief for case in load_corpus(name)]
    step = max(1, len(briefs) // max(count, 1))
    return briefs[::step][:count]


def time_corpus(session: Session, base: int, briefs: list[str], followups: int) -> None:
    """Each brief from a fresh parent (cold), then "too much, go halfway back" on the
    versions of the first ``followups`` of them."""
    rows: dict[str, dict[str, float]] = {}
    made: list[int] = []
    for index, brief in enumerate(briefs):
        parent = fresh_parent(session, base, set(session.load(base).state.track_names()))
        times, _ = timed_brief(session, brief, parent)
        rows[f"{index:02d} {brief[:38]}"] = times
        latest = session.latest_number()
        if latest != parent and len(made) < followups:
            made.append(latest)
    for version in made:
        times, _ = timed_brief(session, "too much, go halfway back", version)
        rows[f"halfway back from v{version}"] = times
    print_table(f"cold, {len(briefs)} corpus briefs + {len(made)} follow-ups", rows)
    for what in ("total", "cpu"):
        values = np.array([r[what] for r in rows.values()])
        print(
            f"{'wall' if what == 'total' else 'CPU '}: max {values.max():.2f} s, median "
            f"{np.median(values):.2f} s, p90 {np.percentile(values, 90):.2f} s; over 2 s: "
            f"{int((values > 2).sum())}/{values.size}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="build (or reuse) the session in this folder")
    parser.add_argument("--profile", action="store_true", help="cProfile the slowest brief")
    parser.add_argument("--only", choices=("warm", "cold"), help="run one table only")
    parser.add_argument(
        "--repeat", type=int, default=1, help="run each brief N times, keep the fastest"
    )
    parser.add_argument(
        "--corpus", choices=("dev",), help="time briefs from tests/briefs/dev.jsonl (cold)"
    )
    parser.add_argument("--sample", type=int, default=40, help="how many corpus briefs")
    parser.add_argument("--followups", type=int, default=8, help="halfway-backs to time")
    args = parser.parse_args()
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    keep_block_buffers()  # as the CLI does
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench_brief_"))
    try:
        if (folder / "bench.mix" / "session.json").exists():
            session = Session.open(folder / "bench.mix")
            base = next(v.version for v in session.versions() if v.kind == "automix")
        else:
            started = time.perf_counter()
            session, base = build_session(folder)
            print(f"setup {time.perf_counter() - started:.1f} s")
        handle_brief(session, "make it brighter", parent=base)  # warm the per-track caches
        if args.corpus:
            time_corpus(session, base, corpus_sample(args.corpus, args.sample), args.followups)
            return
        warm: dict[str, dict[str, float]] = {}
        cold: dict[str, dict[str, float]] = {}
        for brief in BRIEFS:
            _, tracks = timed_brief(session, brief, base)  # caches its renders from the base
            if args.only != "cold":
                warm[brief] = fastest(
                    [timed_brief(session, brief, base)[0] for _ in range(args.repeat)]
                )
            if args.only != "warm":
                cold[brief] = fastest(
                    [
                        timed_brief(session, brief, fresh_parent(session, base, tracks))[0]
                        for _ in range(args.repeat)
                    ]
                )
        if args.only != "cold":
            print_table("warm (re-run from the base)", warm)
        if args.only != "warm":
            print_table("cold (fresh parent, new inserts)", cold)
        rows = cold or warm
        worst = max(rows, key=lambda b: rows[b]["total"])
        if args.profile:
            _, tracks = timed_brief(session, worst, base)
            parent = fresh_parent(session, base, tracks) if cold else base
            profile = cProfile.Profile()
            profile.enable()
            handle_brief(session, worst, parent=parent)
            profile.disable()
            text = io.StringIO()
            pstats.Stats(profile, stream=text).sort_stats("cumulative").print_stats(25)
            print(text.getvalue())
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
