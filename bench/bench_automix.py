"""Automix benchmark: an 8-stem, 4-minute session at 44.1 kHz (song_1 looped + a room stem).

Prints the automix time (analysis, plan, its renders and the final measure, from an empty
track cache) against the bare render time of the automixed state: our engine from an empty
cache, and the bare pedalboard chain of bench_render (whole arrays, no cache). Aim <= 2x.

Run: .venv/bin/python bench/bench_automix.py [--minutes 4]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))

from bench_render import SAMPLE_RATE, _source_audio, bare_chain  # noqa: E402

from mixchat.assistant.turn.actions import run_automix  # noqa: E402
from mixchat.dsp.allocator import keep_block_buffers  # noqa: E402
from mixchat.tools.engine import Engine  # noqa: E402
from mixchat.tools.workspace import create_session  # noqa: E402

NAMES = {"drums_room": "Drums_Room"}


def write_stems(folder: Path, minutes: float) -> None:
    frames = int(minutes * 60 * SAMPLE_RATE)
    folder.mkdir(parents=True)
    for name, role, audio in _source_audio(frames):
        out = NAMES.get(role, name)
        sf.write(str(folder / f"{out}.wav"), np.asarray(audio).T, SAMPLE_RATE, subtype="FLOAT")


def timed(fn):  # noqa: ANN001, ANN201
    wall, cpu = time.perf_counter(), time.process_time()
    value = fn()
    return value, time.perf_counter() - wall, time.process_time() - cpu


def main() -> None:
    keep_block_buffers()  # as the mixchat command does
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=4.0)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mixchat-bench-automix-"))
    try:
        write_stems(work / "stems", args.minutes)
        session, _ = create_session(work / "stems", work / "s.mix")
        print(
            f"session: {len(session.meta.stems)} stems x {args.minutes:g} min, sections "
            f"{[s.label for s in session.meta.sections]}"
        )
        shutil.rmtree(session.cache_dir / "tracks", ignore_errors=True)
        result, a_wall, a_cpu = timed(lambda: run_automix(session))
        print(
            f"  automix (analysis + plan + renders + measure) wall {a_wall:6.2f} s  cpu {a_cpu:6.2f} s"
        )
        print(
            f"    pre-master {result.premaster_lufs:.1f} LUFS, true peak "
            f"{result.true_peak_dbtp:.1f} dBTP, vocal vs band {result.vocal_vs_band_lu:+.1f} LU"
        )
        state = session.load().state
        fresh = Engine(session.meta, work / "fresh-cache")
        fresh.stem_sources()
        _, r_wall, r_cpu = timed(lambda: fresh.render(state, master=False))
        print(
            f"  engine render of the result (empty cache) wall {r_wall:6.2f} s  cpu {r_cpu:6.2f} s"
        )
        sources = fresh.stem_sources()
        _, b_wall, b_cpu = timed(lambda: bare_chain(sources, state))
        print(
            f"  bare pedalboard chain of the result        wall {b_wall:6.2f} s  cpu {b_cpu:6.2f} s"
        )
        for label, wall, cpu in (("engine render", r_wall, r_cpu), ("bare chain", b_wall, b_cpu)):
            print(
                f"  automix / {label:<14} wall {a_wall / wall:5.2f}x  cpu {a_cpu / cpu:5.2f}x  (aim <= 2x)"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
