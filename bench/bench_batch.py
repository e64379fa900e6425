"""Songs per minute: `mixchat batch` with 1 and 2 workers against `mixchat` song by song.

The catalogue is N excerpts of S seconds cut from ../shared/data/songs (song_1 and song_2 at
different offsets; synthesised demo songs when that folder is missing), written to a temp
folder. Three ways to make every song (automix, master at -14 LUFS / -1 dBTP, feedback):

* ``cli``: `mixchat new / automix / render --no-master / master / feedback` per song, one
  process per command, one song after the other (what a script around the CLI does);
* ``batch 1w``: one Ray task at a time, given every core (its pools run 2 threads here);
* ``batch 2w``: two tasks at once, each given one core and held to one thread
  (the engine's pools and, through threadpoolctl, BLAS), so the two do not fight;
* ``batch 2w×2t`` (with ``--oversubscribe``): two tasks at once, each running 2 threads.

The Ray cluster is started once and its workers warmed up (one short song each, so each has
imported mixchat); both are printed apart, as a batch pays them once, not per song.
CPU utilisation is the work's own CPU time (the songs' process time, or the CLI children's
rusage) over wall time × cores: how busy this work kept the machine. The machine may be shared
with other jobs: the load average is printed before each run, and ``--repeat`` alternates
the runs so that a busy spell does not fall on one of them only. Because wall time on a busy
machine says more about the neighbours than about the work, the songs' worker threads are
also sampled (this bench's Ray workers only, not another batch's on the same machine): the
mean number ready to run (capped at the cores) is the parallelism the work would get on an
idle machine, and 60 × that / cpu-seconds per song its idle songs/min. "worker busy" is the
share of the run the run's workers spent inside a song; the rest they waited (for a worker
process to start and import mixchat, or for the other workers to finish the last songs).

    .venv/bin/python bench/bench_batch.py [--songs 6] [--seconds 30] [--repeat 1] [--oversubscribe]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
SONGS = ROOT.parent / "shared" / "data" / "songs"

from mixchat.assistant.batch import cluster  # noqa: E402
from mixchat.assistant.batch.jobs import BatchOptions  # noqa: E402
from mixchat.assistant.batch.runner import run_batch  # noqa: E402
from mixchat.assistant.demo.song import build_demo_stems  # noqa: E402

CORES = os.cpu_count() or 1
MIXCHAT = [sys.executable, "-m", "mixchat.assistant"]


def build_catalogue(folder: Path, *, songs: int, seconds: float) -> None:
    sources = sorted(p for p in SONGS.glob("song_*") if p.is_dir()) if SONGS.exists() else []
    for index in range(songs):
        target = folder / f"song_{index + 1:02d}"
        if not sources:
            build_demo_stems(target, duration_s=seconds, seed=index)
            continue
        source = sources[index % len(sources)]
        target.mkdir(parents=True)
        for stem in sorted(source.glob("*.flac")):
            info = sf.info(str(stem))
            span = max(info.duration - seconds, 0.0)
            start_s = (index // len(sources)) * 17.0 % max(span, 1.0)
            audio, rate = sf.read(
                str(stem),
                start=int(start_s * info.samplerate),
                frames=int(seconds * info.samplerate),
                dtype="float32",
            )
            sf.write(str(target / stem.name), audio, rate, subtype="PCM_24")


def warm_up(folder: Path, *, workers: int) -> None:
    """One short song per worker, so every worker process has imported mixchat: what a batch
    pays once per worker, not per song (it is printed apart, like Ray's start-up)."""
    for index in range(workers):
        build_demo_stems(folder / "songs" / f"warm_{index}", duration_s=4.0, seed=index)
    run_batch(folder / "songs", folder / "out", options=BatchOptions(), workers=workers)


def run_cli(catalogue: Path, work: Path) -> dict[str, float]:
    """Every song through the `mixchat` commands, one after the other."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    songs = sorted(p for p in catalogue.iterdir() if p.is_dir())
    for song in songs:
        session, mix = work / f"{song.name}.mix", work / f"{song.name}_mix.wav"
        for args in (
            ["new", str(song), "-s", str(session), "--json"],
            ["automix", "-s", str(session), "--json"],
            ["render", "-s", str(session), "-o", str(mix), "--no-master", "--json"],
            ["master", str(mix), "-o", str(work / f"{song.name}.wav"), "--target", "spotify"],
            ["feedback", str(session), "--json"],
        ):
            subprocess.run([*MIXCHAT, *args], check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return {"songs": len(songs), "wall": wall, "cpu": cpu}


def descendants(root: int) -> set[int]:
    """The processes under ``root`` (the local Ray cluster's workers are under its driver)."""
    children: dict[int, list[int]] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        parent = int(stat[stat.rindex(")") + 2 :].split()[1])
        children.setdefault(parent, []).append(int(proc.name))
    found, todo = set(), [root]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


class RunnableSampler:
    """How many threads of the songs' worker processes are ready to run (state R), sampled
    every 20 ms while at least one song runs. Unlike wall time, this does not depend on what
    else the machine runs: on an idle machine, a song phase with k runnable threads keeps
    min(k, cores) cores busy, so the mean (capped at the cores) is the parallelism the work
    would get there, and idle songs/min = 60 × that mean / cpu-seconds per song.

    It also counts, over the whole run, how many of the run's workers were inside a song: a
    worker outside one is waiting (for a process to start and import mixchat, or for the
    others to finish the batch's last songs). The worker processes are looked up twice a
    second; each sample reads only their threads' states, so the sampler itself costs ~2 %
    of a core rather than the ~18 % a scan of /proc every 20 ms cost (which, on an idle
    machine, it took from the songs of a run that used both cores)."""

    LOOKUP_S = 0.5

    def __init__(self, *, workers: int) -> None:
        self.workers = workers
        self.samples: list[int] = []
        self.in_song: list[int] = []
        self.cpu_s = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> RunnableSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        started = time.thread_time()
        title = f"ray::{cluster.TASK_PREFIX}".encode()
        workers: list[Path] = []
        looked_up = -self.LOOKUP_S
        while not self._stop.wait(0.02):
            if time.perf_counter() - looked_up >= self.LOOKUP_S:
                # not the songs of another batch on this machine: this driver's Ray workers
                workers = [Path(f"/proc/{pid}") for pid in descendants(os.getpid())]
                workers = [proc for proc in workers if _cmdline(proc).startswith(b"ray::")]
                looked_up = time.perf_counter()
            running, songs = 0, 0
            for proc in workers:
                if not _cmdline(proc).startswith(title):
                    continue
                songs += 1
                try:
                    for task in (proc / "task").iterdir():
                        stat = (task / "stat").read_text()
                        running += stat[stat.rindex(")") + 2] == "R"
                except OSError:
                    continue
            self.in_song.append(songs)
            if songs:
                self.samples.append(min(running, CORES))
        self.cpu_s = time.thread_time() - started

    @property
    def mean(self) -> float:
        return statistics.fmean(self.samples) if self.samples else float("nan")

    @property
    def busy(self) -> float:
        """The share of the run its workers spent inside a song."""
        if not self.in_song:
            return float("nan")
        return statistics.fmean(min(n, self.workers) for n in self.in_song) / self.workers


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def run_batch_once(
    catalogue: Path, out: Path, *, workers: int, threads: int | None
) -> dict[str, float]:
    shutil.rmtree(out, ignore_errors=True)
    started = time.perf_counter()
    with RunnableSampler(workers=workers) as sampler:
        data = run_batch(
            catalogue, out, options=BatchOptions(), workers=workers, threads_per_song=threads
        )
    wall = time.perf_counter() - started
    made = [row for row in data["songs"] if row["status"] == "done"]
    if len(made) != len(data["songs"]):
        failed = [f"{r['song']}: {r['reason']}" for r in data["songs"] if r["status"] != "done"]
        raise SystemExit(f"songs failed: {failed}")
    reports = [json.loads((out / row["song"] / "report.json").read_text()) for row in made]
    cpu = sum(report["cpu_seconds"] for report in reports)
    off = max(abs(row["lufs"] - (-14.0)) for row in made)
    peak = max(row["true_peak_dbtp"] for row in made)
    return {
        "songs": len(made),
        "wall": wall,
        "cpu": cpu,
        "off_lu": off,
        "peak_dbtp": peak,
        "runnable": sampler.mean,
        "busy": sampler.busy,
        "sampler_cpu": sampler.cpu_s,
    }


def line(name: str, result: dict[str, float]) -> str:
    per_min = 60.0 * result["songs"] / result["wall"]
    util = result["cpu"] / (result["wall"] * CORES)
    per_song = result["cpu"] / result["songs"]
    runnable = result.get("runnable", float("nan"))
    idle = 60.0 * runnable / per_song
    busy = 100 * result.get("busy", float("nan"))
    return (
        f"{name:>12} {result['wall']:7.1f} {per_min:9.2f} {per_song:10.2f} {100 * util:8.0f}%"
        f" {runnable:9.2f} {idle:10.2f} {busy:11.0f}%   load {result['load']:.1f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--oversubscribe", action="store_true")
    parser.add_argument("--no-cli", action="store_true", help="skip the song-by-song CLI run")
    args = parser.parse_args()
    modes: list[tuple[str, int, int | None]] = [("batch 1w", 1, None), ("batch 2w", 2, None)]
    if args.oversubscribe:
        modes.append(("batch 2w×2t", 2, CORES))
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        root = Path(tmp)
        build_catalogue(root / "songs", songs=args.songs, seconds=args.seconds)
        print(f"{args.songs} songs of {args.seconds:g} s on {CORES} cores")
        started = time.perf_counter()
        with cluster.connect(address=None, cores=CORES):
            print(f"Ray local cluster up in {time.perf_counter() - started:.1f} s (not counted)")
            started = time.perf_counter()
            warm_up(root / "warm", workers=CORES)
            print(
                f"{CORES} workers warmed up (mixchat imported) in "
                f"{time.perf_counter() - started:.1f} s (not counted)"
            )
            results: dict[str, list[dict[str, float]]] = {}
            for turn in range(args.repeat):
                if not args.no_cli:
                    work = root / f"cli_{turn}"
                    work.mkdir()
                    load = os.getloadavg()[0]
                    results.setdefault("cli", []).append(
                        {**run_cli(root / "songs", work), "load": load}
                    )
                for name, workers, threads in modes:
                    load = os.getloadavg()[0]
                    result = run_batch_once(
                        root / "songs", root / "out", workers=workers, threads=threads
                    )
                    results.setdefault(name, []).append({**result, "load": load})
        print(
            f"\n{'':>12} {'wall s':>7} {'songs/min':>9} {'cpu s/song':>10} {'cpu use':>9}"
            f" {'runnable':>9} {'idle s/min':>10} {'worker busy':>12}"
        )
        for name, runs in results.items():
            for result in runs:
                print(line(name, result))
        best = {
            name: max(60 * r["songs"] / r["wall"] for r in runs) for name, runs in results.items()
        }
        median = {
            name: statistics.median(60 * r["songs"] / r["wall"] for r in runs)
            for name, runs in results.items()
        }
        print("\nratios (median of the runs; best in brackets):")
        for name in best:
            if name != "batch 1w":
                print(
                    f"  {name} / batch 1w: {median[name] / median['batch 1w']:.2f}× "
                    f"({best[name] / best['batch 1w']:.2f}×)"
                )
        idle = {
            name: statistics.median(60 * r["runnable"] * r["songs"] / r["cpu"] for r in runs)
            for name, runs in results.items()
            if name != "cli"
        }
        for name in idle:
            if name != "batch 1w":
                print(
                    f"  {name} / batch 1w on an idle machine (runnable threads / cpu-s per song):"
                    f" {idle[name] / idle['batch 1w']:.2f}×"
                )
        if "cli" in best:
            print(f"  batch 2w / cli: {median['batch 2w'] / median['cli']:.2f}×")
        worst_lu = max(r["off_lu"] for name, runs in results.items() if name != "cli" for r in runs)
        worst_tp = max(
            r["peak_dbtp"] for name, runs in results.items() if name != "cli" for r in runs
        )
        print(
            f"masters: at most {worst_lu:.2f} LU off -14 LUFS, true peak at most {worst_tp:.2f} dBTP"
        )
        per_song = statistics.median(r["cpu"] / r["songs"] for r in results["batch 2w"])
        print(
            "scaling: songs are independent tasks, so a cluster makes about "
            f"60 × cores × utilisation / {per_song:.1f} cpu-s per song = "
            f"{60 / per_song:.1f} songs/min per fully used core of this machine's speed"
        )


if __name__ == "__main__":
    main()
