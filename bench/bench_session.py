"""Real session sizes, side by side in one run: every figure of issue 17 as a ratio.

Builds two sessions from ../shared/data/songs (song_1 and song_2, song_2 resampled to
44.1 kHz, looped, each copy shifted and at its own level so no two stems are alike) as
24-bit WAV stems in a temporary folder (never in the project): 8 stems x 240 s and
32 stems x 360 s (``--stems-dir`` takes your own folders instead). Then, each step a separate
``mixchat`` process as a user runs it, measured with ``os.wait4`` (wall, CPU = user + sys, peak
RSS of that process):

* first mix = ``new`` + ``automix`` + ``render``, against the bare pedalboard chain doing the
  same processing (the automixed state's plugins on whole arrays, plain pedalboard buses, a
  numpy sum; stems read with soundfile and the mix written as 24-bit WAV, like a script
  would; also without that file I/O) (aim <= 1.0x);
* revision = ``say "more air on the vocal"`` + ``render``, against the first mix (aim
  <= 0.15x): as processes, and in one process as the chat runs it (no start-up);
* peak RSS of every step at 32 x 360 (aim < 1.5 GB and <= 10 % over the 8 x 240 figure);
* brief and render on the 32 x 360 session (aim < 3 s each);
* the cache folder's size after each step against MIXCHAT_CACHE_MB;
* ``mixchat master IN --reference REF`` against Matchering on the same files, start-up
  included, on a 90 s and a 4-minute song (aim <= 0.5x); also ``--target spotify``.

The machine may be shared: each figure is the best of ``--repeat`` runs and CPU time is
printed next to wall time. ``--mixchat PATH`` runs another installation's command (e.g. the
main branch's) for a before/after in the same run.

    .venv/bin/python bench/bench_session.py [--repeat 2] [--only small|big|master]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import soundfile as sf
import soxr

from mixchat.tools.config import use_one_blas_thread  # noqa: I001 - before numpy

use_one_blas_thread()

ROOT = Path(__file__).resolve().parents[1]
SONGS = ROOT.parent / "shared" / "data" / "songs"
RATE = 44100
BRIEF = "more air on the vocal"
PYTHON = sys.executable


# --- material -------------------------------------------------------------------------
def source_stems() -> list[tuple[str, np.ndarray]]:
    found = []
    for song in ("song_1", "song_2"):
        for path in sorted((SONGS / song).glob("*.flac")):
            audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
            if rate != RATE:
                audio = soxr.resample(audio, rate, RATE)
            found.append((path.stem, np.ascontiguousarray(audio, dtype=np.float32)))
    if not found:
        sys.exit(f"no stems under {SONGS}: give --stems-dir")
    return found


def write_stems(folder: Path, count: int, seconds: float) -> Path:
    """``count`` 24-bit WAV stems of ``seconds``, looped from the shared songs (in a child
    process: this one stays small)."""
    code = (
        f"import sys; sys.path.insert(0, {str(ROOT / 'bench')!r}); from bench_session import "
        f"_write_stems; _write_stems({str(folder)!r}, {count}, {seconds})"
    )
    subprocess.run([PYTHON, "-c", code], check=True)
    return folder


def seamless(audio: np.ndarray, rate: int, fade_s: float = 0.02) -> np.ndarray:
    """(frames, channels) audio with short fades at both ends, so a loop or a rotation of it
    has no step at the seam (a step would be a click, and the automix would repair it)."""
    fade = int(fade_s * rate)
    ramp = (0.5 - 0.5 * np.cos(np.linspace(0.0, np.pi, fade))).astype(np.float32)[:, None]
    out = audio.copy()
    out[:fade] *= ramp
    out[-fade:] *= ramp[::-1]
    return out


def _write_stems(where: str, count: int, seconds: float) -> None:
    folder = Path(where)
    folder.mkdir(parents=True, exist_ok=True)
    sources = [(name, seamless(audio, RATE)) for name, audio in source_stems()]
    frames = int(seconds * RATE)
    for index in range(count):
        name, audio = sources[index % len(sources)]
        copy = index // len(sources)
        shifted = np.roll(audio, int(copy * 2.3 * RATE), axis=0)
        looped = np.resize(shifted.T, (audio.shape[1], frames)).T
        looped = looped * np.float32(10 ** (-(copy % 3) / 20))
        label = name if copy == 0 else f"{name}_{copy + 1}"
        sf.write(str(folder / f"{label}.wav"), looped, RATE, subtype="PCM_24")


# --- measuring a process -----------------------------------------------------------------
GNU_TIME = Path("/usr/bin/time")


def measured(args: list[str], *, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run a process; its wall time, CPU time (user + sys) and peak RSS (MB). GNU time
    reports them when it is there (a child forked from this process would count this
    process's memory in its peak); else os.wait4 on the child."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        command = args
        if GNU_TIME.exists():
            command = [str(GNU_TIME), "-f", "%e %U %S %M", "-o", report.name, *args]
        start = time.perf_counter()
        proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env or os.environ.copy()
        )
        stdout, stderr = proc.communicate()
        wall = time.perf_counter() - start
        if proc.returncode:
            sys.exit(f"{' '.join(args[:4])} failed ({proc.returncode}):\n{stderr.decode()[-3000:]}")
        if GNU_TIME.exists():
            fields = report.read().split()[-4:]
            wall, user, system, rss_kb = (float(v) for v in fields)
            cpu, rss = user + system, rss_kb / 1024
        else:  # pragma: no cover - without GNU time the peak may include this process
            usage = resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu, rss = usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024
    return {"wall": wall, "cpu": cpu, "rss_mb": rss, "stdout": stdout.decode()}


def best(runs: list[dict[str, float]]) -> dict[str, float]:
    return {
        "wall": min(r["wall"] for r in runs),
        "cpu": min(r["cpu"] for r in runs),
        "rss_mb": max(r["rss_mb"] for r in runs),
    }


def folder_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def line(label: str, figure: dict[str, float]) -> None:
    print(
        f"  {label:<44} wall {figure['wall']:7.2f} s   cpu {figure['cpu']:7.2f} s   "
        f"peak RSS {figure['rss_mb']:6.0f} MB"
    )


def ratio(label: str, value: dict[str, float], base: dict[str, float], aim: str) -> None:
    print(
        f"  {label:<44} wall {value['wall'] / base['wall']:6.2f}x   "
        f"cpu {value['cpu'] / base['cpu']:6.2f}x   {aim}"
    )


def total(*figures: dict[str, float]) -> dict[str, float]:
    return {
        "wall": sum(f["wall"] for f in figures),
        "cpu": sum(f["cpu"] for f in figures),
        "rss_mb": max(f["rss_mb"] for f in figures),
    }


# --- the session flow -------------------------------------------------------------------
def flow(
    mixchat: str, stems: Path, work: Path, *, limit_mb: int, copy: bool = False
) -> dict[str, dict]:
    """new, automix, render, a brief and its render, each a process; their figures (``copy``
    keeps the session as the first mix left it, for the chat's revision)."""
    session = work / "s.mix"
    shutil.rmtree(session, ignore_errors=True)
    env = {**os.environ, "MIXCHAT_CACHE_MB": str(limit_mb)}
    steps = {
        "new": [mixchat, "new", str(stems), "-s", str(session)],
        "automix": [mixchat, "automix", "-s", str(session)],
        "render": [mixchat, "render", "-s", str(session), "-o", str(work / "first.wav")],
        "say": [mixchat, "say", "-s", str(session), BRIEF],
        "render again": [mixchat, "render", "-s", str(session), "-o", str(work / "rev.wav")],
    }
    figures = {}
    for name, args in steps.items():
        figures[name] = measured(args, env=env)
        figures[name]["cache_mb"] = folder_mb(session / "cache")
        if name == "render" and copy:  # the chat's revision starts from the same first mix
            shutil.rmtree(work / "chat.mix", ignore_errors=True)
            shutil.copytree(session, work / "chat.mix")
    return figures


def in_process_revision(first_mix: Path, work: Path, limit_mb: int) -> dict[str, float]:
    """The brief and its render in one process, as the chat runs them (imports excluded),
    on a fresh copy of the session as the first mix left it."""
    stems_session = work / "chat-run.mix"
    shutil.rmtree(stems_session, ignore_errors=True)
    shutil.copytree(first_mix, stems_session)
    code = f"""
from mixchat.tools.config import use_one_blas_thread; use_one_blas_thread()
import time, json, resource, sys
from pathlib import Path
from mixchat.dsp.allocator import keep_block_buffers
keep_block_buffers()
from mixchat.assistant.turn.conversation import handle_brief
from mixchat.assistant.turn.comparison import render_version
from mixchat.tools.session import Session
session = Session.open(Path({str(stems_session)!r}))
base = session.latest_number()
wall, cpu = time.perf_counter(), time.process_time()
made = handle_brief(session, {BRIEF!r}, parent=base)
replied = time.perf_counter()
from mixchat.tools.engine import Engine
state = session.load(made.version).state
stream = Engine.for_session(session).stream(state, start_s=session.meta.duration_s / 2)
next(stream)
heard = time.perf_counter() - replied
stream.close()
replied = time.perf_counter() - replied
render_version(session, output=Path({str(work / "chat.wav")!r}), version=made.version)
print(json.dumps({{"wall": time.perf_counter() - wall - replied, "cpu": time.process_time() - cpu,
                  "heard": heard}}))
"""
    env = {**os.environ, "MIXCHAT_CACHE_MB": str(limit_mb)}
    result = measured([PYTHON, "-c", code], env=env)
    inner = json.loads(result["stdout"].strip().splitlines()[-1])
    return {
        "wall": inner["wall"],
        "cpu": inner["cpu"],
        "rss_mb": result["rss_mb"],
        "heard": inner["heard"],
    }


def bare_chain(stems: Path, session: Path, work: Path, *, with_io: bool) -> dict[str, float]:
    """The automixed state's processing as a plain pedalboard script (a child process)."""
    code = f"""
from mixchat.tools.config import use_one_blas_thread; use_one_blas_thread()
import sys, time, json
sys.path.insert(0, {str(ROOT / "bench")!r})
from pathlib import Path
import numpy as np, soundfile as sf
from bench_render import bare_chain
from mixchat.dsp.render import StemSource
from mixchat.tools.session import Session
from mixchat.tools.workspace import find_stem_files, track_names
session = Session.open(Path({str(session)!r}))
state = next(v.state for v in reversed(session.versions()) if v.kind == "automix")
files = find_stem_files(Path({str(stems)!r}))
wall, cpu = time.perf_counter(), time.process_time()
loaded = {{n: sf.read(str(p), dtype="float32", always_2d=True)[0].T for n, p in zip(track_names(files), files)}}
if not {with_io}:
    wall, cpu = time.perf_counter(), time.process_time()
mix = bare_chain({{n: StemSource(n, n, a) for n, a in loaded.items()}}, state)
if {with_io}:
    sf.write({str(work / "bare.wav")!r}, mix.T, 44100, subtype="PCM_24")
print(json.dumps({{"wall": time.perf_counter() - wall, "cpu": time.process_time() - cpu}}))
"""
    result = measured([PYTHON, "-c", code])
    inner = json.loads(result["stdout"].strip().splitlines()[-1])
    return {"wall": inner["wall"], "cpu": inner["cpu"], "rss_mb": result["rss_mb"]}


def bare_process(stems: Path, session: Path, work: Path) -> dict[str, float]:
    """The bare chain as a whole process (start-up, imports, file I/O included)."""
    code = f"""
import sys
sys.path.insert(0, {str(ROOT / "bench")!r})
from pathlib import Path
import soundfile as sf
from bench_render import bare_chain
from mixchat.dsp.render import StemSource
from mixchat.tools.session import Session
from mixchat.tools.workspace import find_stem_files, track_names
session = Session.open(Path({str(session)!r}))
state = next(v.state for v in reversed(session.versions()) if v.kind == "automix")
files = find_stem_files(Path({str(stems)!r}))
loaded = {{n: sf.read(str(p), dtype="float32", always_2d=True)[0].T for n, p in zip(track_names(files), files)}}
mix = bare_chain({{n: StemSource(n, n, a) for n, a in loaded.items()}}, state)
sf.write({str(work / "bare.wav")!r}, mix.T, 44100, subtype="PCM_24")
"""
    return measured([PYTHON, "-c", code])


def session_figures(
    label: str, mixchat: str, stems: Path, work: Path, repeat: int, limit_mb: int, copy: bool
) -> dict[str, dict]:
    print(f"\n{label}: {len(list(stems.glob('*.wav')))} stems from {stems}")
    runs = [flow(mixchat, stems, work, limit_mb=limit_mb, copy=copy) for _ in range(repeat)]
    figures = {step: best([r[step] for r in runs]) for step in runs[0]}
    for step in figures:
        figures[step]["cache_mb"] = max(r[step]["cache_mb"] for r in runs)
        line(f"{step} (cache {figures[step]['cache_mb']:.0f} MB)", figures[step])
    return figures


def small(args: argparse.Namespace, work: Path) -> dict[str, float]:
    stems = args.small_stems or write_stems(work / "stems8", 8, 240.0)
    figures = session_figures(
        "8 stems x 240 s", args.mixchat, stems, work, args.repeat, args.cache_mb, True
    )
    session = work / "s.mix"
    bare_io = best([bare_chain(stems, session, work, with_io=True) for _ in range(args.repeat)])
    bare_dsp = best([bare_chain(stems, session, work, with_io=False) for _ in range(args.repeat)])
    bare_cli = best([bare_process(stems, session, work) for _ in range(args.repeat)])
    line("bare pedalboard chain (read + process + write)", bare_io)
    line("bare pedalboard chain (process only)", bare_dsp)
    line("bare pedalboard chain as a process", bare_cli)
    first = total(figures["new"], figures["automix"], figures["render"])
    revision = total(figures["say"], figures["render again"])
    chats = [
        in_process_revision(work / "chat.mix", work, args.cache_mb) for _ in range(args.repeat)
    ]
    chat = best(chats)
    line("first mix (new + automix + render)", first)
    line("revision (say + render)", revision)
    line("revision in the chat's process", chat)
    print(
        f"  {'playback of it from mid-song, after the reply':<44} first block after "
        f"{min(c['heard'] for c in chats):.2f} s (aim <= 0.5 s)"
    )
    print()
    ratio("first mix / bare chain as a process", first, bare_cli, "(aim <= 1.0x)")
    ratio("first mix / bare chain (read+process+write)", first, bare_io, "")
    ratio("first mix / bare chain (process only)", first, bare_dsp, "")
    ratio("revision / first mix (processes)", revision, first, "(aim <= 0.15x)")
    ratio("revision in the chat / first mix", chat, first, "(aim <= 0.15x)")
    return {"rss_mb": max(f["rss_mb"] for f in figures.values())}


def big(args: argparse.Namespace, work: Path, small_rss: float | None) -> None:
    stems = args.big_stems or write_stems(work / "stems32", 32, 360.0)
    figures = session_figures(
        "32 stems x 360 s", args.mixchat, stems, work, 1, args.cache_mb, False
    )
    peak = max(f["rss_mb"] for f in figures.values())
    cache = max(f["cache_mb"] for f in figures.values())
    print()
    print(f"  peak RSS over the flow: {peak:.0f} MB (aim < 1536 MB)", end="")
    if small_rss:
        print(f"; {peak / small_rss:.2f}x the 8 x 240 figure (aim <= 1.10x)")
    else:
        print()
    print(f"  brief (say): {figures['say']['wall']:.2f} s wall (aim < 3 s)")
    print(f"  render after it: {figures['render again']['wall']:.2f} s wall (aim < 3 s)")
    print(f"  cache at most {cache:.0f} MB of MIXCHAT_CACHE_MB={args.cache_mb} (aim: within)")


# --- master -------------------------------------------------------------------------------
def stem_sum(folder: Path, seconds: float) -> np.ndarray:
    parts = []
    for path in sorted(folder.glob("*.flac")):
        audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
        if rate != RATE:
            audio = soxr.resample(audio, rate, RATE)
        parts.append(np.repeat(audio.T, 2, axis=0) if audio.shape[1] == 1 else audio.T)
    length = min(p.shape[1] for p in parts)
    mix = np.sum([p[:, :length] for p in parts], axis=0, dtype=np.float32)
    frames = int(seconds * RATE)
    mix = np.tile(mix, (1, frames // length + 1))[:, :frames]
    return (mix * (0.5 / np.max(np.abs(mix)))).astype(np.float32)


def master(args: argparse.Namespace, work: Path) -> None:
    try:
        import matchering  # type: ignore[import-not-found]  # noqa: F401
    except ImportError:
        print("\nmaster: matchering is not installed (make bench installs the bench extra)")
        return
    print("\nmaster against Matchering, each a process (start-up included):")
    for seconds in (90.0, 240.0):
        target, reference = work / f"mix{seconds:.0f}.wav", work / f"ref{seconds:.0f}.wav"
        sf.write(str(target), stem_sum(SONGS / "song_1", seconds).T, RATE, subtype="PCM_24")
        loud = stem_sum(SONGS / "song_2", seconds) * np.float32(1.8)
        sf.write(str(reference), np.clip(loud, -1, 1).T, RATE, subtype="PCM_24")
        ours = best(
            [
                measured(
                    [
                        args.mixchat,
                        "master",
                        str(target),
                        "-o",
                        str(work / "m.wav"),
                        "--reference",
                        str(reference),
                    ]
                )
                for _ in range(args.repeat)
            ]
        )
        plain = best(
            [
                measured(
                    [
                        args.mixchat,
                        "master",
                        str(target),
                        "-o",
                        str(work / "p.wav"),
                        "--target",
                        "spotify",
                    ]
                )
                for _ in range(args.repeat)
            ]
        )
        code = (
            "import matchering as mg; "
            f"mg.process(target={str(target)!r}, reference={str(reference)!r}, "
            f"results=[mg.pcm24({str(work / 'mg.wav')!r})])"
        )
        theirs = best([measured([PYTHON, "-c", code]) for _ in range(args.repeat)])
        line(f"{seconds:.0f} s: mixchat master --reference", ours)
        line(f"{seconds:.0f} s: mixchat master --target spotify", plain)
        line(f"{seconds:.0f} s: matchering", theirs)
        ratio(f"{seconds:.0f} s: --reference / matchering", ours, theirs, "(aim <= 0.5x)")
        ratio(f"{seconds:.0f} s: --target / matchering", plain, theirs, "")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--only", choices=("small", "big", "master"))
    parser.add_argument("--mixchat", default=str(Path(sys.executable).parent / "mixchat"))
    parser.add_argument("--cache-mb", type=int, default=3000)
    parser.add_argument("--small-stems", type=Path, help="a folder of stems for 8 x 240")
    parser.add_argument("--big-stems", type=Path, help="a folder of stems for 32 x 360")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it")
    args = parser.parse_args()
    args.repeat = max(1, args.repeat)
    work = args.keep or Path(tempfile.mkdtemp(prefix="mixchat-bench-session-"))
    work.mkdir(parents=True, exist_ok=True)
    print(
        f"mixchat: {args.mixchat}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    try:
        small_rss = None
        if args.only in (None, "small"):
            small_rss = small(args, work)["rss_mb"]
        if args.only in (None, "big"):
            big(args, work, small_rss)
        if args.only in (None, "master"):
            master(args, work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
