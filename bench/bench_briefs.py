"""Score a brief corpus (tests/briefs/*.jsonl) on real renders, song by song.

Each brief runs as one fresh version from the song's automix version and is judged by its
checks (tests/briefs/README.md), the mix loudness bound (2 LU unless the brief asks for
level) and whether the reply quotes a measured before → after of what the brief named.
Prints pass rates overall, per voice, per check kind and per song, the loudness drift of
the briefs that do not ask for level, and the CPU time per brief.

The held-out corpus is never shown brief by brief: for it only aggregate figures print, and
with --kinds the failing runs without their wording (check kinds, failure kind, loudness
drift, the tools called), to classify failures, never to tune on.

    .venv/bin/python bench/bench_briefs.py --corpus dev [--songs demo falcon69 ...]
        [--failures] [--kinds] [--kind level] [--voice fast] [--keep DIR]
    .venv/bin/python bench/bench_briefs.py --corpus heldout [--kinds]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pytest  # noqa: E402
from brief_checks import (  # noqa: E402
    SYNTHETIC_SONGS,
    Case,
    Outcome,
    Songs,
    load_corpus,
    real_song_names,
    run_case,
)

PRIVATE = ("heldout",)


def rate(values: list[bool]) -> str:
    if not values:
        return "   -"
    return f"{sum(values)}/{len(values)} ({100.0 * sum(values) / len(values):.0f}%)"


def table(title: str, groups: dict[str, list[bool]]) -> None:
    print(f"\n{title}")
    for key in sorted(groups):
        print(f"  {key:<16} {rate(groups[key])}")


def score(
    cases: list[Case], songs: list[str], folder: Path, *, show: bool, anonymous: bool = False
) -> None:
    loaded = Songs(folder)
    results: list[tuple[str, Case, Outcome]] = []
    cpu: list[float] = []
    for name in songs:
        try:
            song = loaded[name]
        except pytest.skip.Exception as error:
            print(f"{name}: skipped ({error})")
            continue
        print(f"{name}: {len(cases)} briefs from v{song.base}", flush=True)
        for case in cases:
            start = time.process_time()
            try:
                outcome = run_case(song, case)
            except Exception as error:  # noqa: BLE001 - a crash is a failed brief, reported
                outcome = Outcome(False, f"crashed: {type(error).__name__}: {error}")
            if not outcome.skipped:
                cpu.append(time.process_time() - start)
                results.append((name, case, outcome))
    report(results, cpu, show=show, anonymous=anonymous)


def report(
    results: list[tuple[str, Case, Outcome]],
    cpu: list[float],
    *,
    show: bool,
    anonymous: bool = False,
) -> None:
    if not results:
        print("no brief ran")
        return
    overall = [o.passed for _, _, o in results]
    by_voice: dict[str, list[bool]] = defaultdict(list)
    by_kind: dict[str, list[bool]] = defaultdict(list)
    by_song: dict[str, list[bool]] = defaultdict(list)
    for name, case, outcome in results:
        by_voice[case.voice or "-"].append(outcome.passed)
        by_song[name].append(outcome.passed)
        for judged in outcome.judged:
            by_kind[judged.kind].append(judged.passed)
    print(f"\noverall: {rate(overall)} brief runs pass")
    table("per voice (briefs):", by_voice)
    table("per check kind (checks):", by_kind)
    table("per song (briefs):", by_song)
    drifts = [
        abs(o.drift_lu)
        for _, c, o in results
        if not c.level and o.drift_lu is not None and o.changed
    ]
    if drifts:
        within1 = sum(d <= 1.0 for d in drifts)
        within2 = sum(d <= 2.0 for d in drifts)
        print(
            f"\nloudness drift, briefs not asking for level ({len(drifts)} that changed the mix): "
            f"median {statistics.median(drifts):.2f} LU, max {max(drifts):.2f} LU, "
            f"within 1 LU {within1}/{len(drifts)}, within 2 LU {within2}/{len(drifts)}"
        )
    quoted = [o.quoted for _, _, o in results if o.quoted is not None]
    print(f"replies that changed the mix and quote a measured before → after: {rate(quoted)}")
    if cpu:
        print(
            f"CPU time per brief (incl. judging): median {statistics.median(cpu):.2f} s, "
            f"max {max(cpu):.2f} s"
        )
    categories(results, anonymous=anonymous)
    if anonymous:
        unquoted_runs(results)
    if show:
        failing = [(n, c, o) for n, c, o in results if not o.passed]
        print(f"\nfailing ({len(failing)}):")
        for name, case, outcome in failing:
            print(f"  [{name}] {case.brief!r} ({case.voice}): {outcome.detail}")
        unquoted = [(n, c) for n, c, o in results if o.quoted is False]
        if unquoted:
            print(f"\nreplies without a quoted measure ({len(unquoted)}):")
            for name, case in unquoted[:40]:
                print(f"  [{name}] {case.brief!r}")


def failure_kind(outcome: Outcome) -> str:
    """What kind of failure a failed brief run is, without its wording: no version (a
    question back or nothing done), nothing changed, a check's measure short or the wrong
    way, or the mix loudness out of bounds."""
    if outcome.detail.startswith("crashed"):
        return "crashed: " + outcome.detail.split(":")[1].strip()
    if outcome.detail.startswith("no version"):
        return "no version"
    if any(j.note == "same state" and not j.passed for j in outcome.judged):
        return "same state"
    short = sorted({j.kind for j in outcome.judged if not j.passed})
    if short:
        return "measure short: " + ", ".join(short)
    return "loudness drift"


def categories(results: list[tuple[str, Case, Outcome]], *, anonymous: bool = False) -> None:
    """Failure kinds per song (counts only: safe to print for a held-out corpus); with
    ``anonymous``, each failing run without its wording: its check kinds, the failure kind,
    the loudness drift and the tools the planner called (to classify, never to tune on)."""
    by_song: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for name, _, outcome in results:
        if not outcome.passed:
            by_song[name][failure_kind(outcome)] += 1
    if not by_song:
        return
    print("\nfailure kinds (brief runs):")
    for name in sorted(by_song):
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(by_song[name].items(), key=lambda p: -p[1]))
        print(f"  {name:<16} {kinds}")
    if not anonymous:
        return
    print("\nfailing runs, without their wording (checks | failure | drift | tools):")
    for name, case, outcome in results:
        if outcome.passed:
            continue
        drift = "-" if outcome.drift_lu is None else f"{outcome.drift_lu:+.1f} LU"
        level = "level asked" if case.level else "no level asked"
        print(
            f"  [{name}] {'+'.join(case.kinds)} ({level}) | {failure_kind(outcome)} | "
            f"{drift} | {', '.join(outcome.tools) or 'no tools'}"
        )


def unquoted_runs(results: list[tuple[str, Case, Outcome]]) -> None:
    """The runs whose reply changed the mix without quoting what the brief named, without
    their wording: their check kinds and the tools called."""
    unquoted = [(name, case, o) for name, case, o in results if o.quoted is False]
    if unquoted:
        print("\nreplies without a quoted measure, without their wording (checks | tools):")
        for name, case, outcome in unquoted:
            print(f"  [{name}] {'+'.join(case.kinds)} | {', '.join(outcome.tools) or 'no tools'}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default="dev", help="dev | heldout (tests/briefs/NAME.jsonl)")
    parser.add_argument("--songs", nargs="*", help="song names (default: all synthetic and real)")
    parser.add_argument("--failures", action="store_true", help="list failing briefs (dev only)")
    parser.add_argument("--kind", help="only briefs with this check kind (dev only)")
    parser.add_argument("--voice", help="only briefs in this voice (dev only)")
    parser.add_argument("--match", help="only briefs containing this text (dev only)")
    parser.add_argument("--keep", type=Path, help="keep the sessions in this folder")
    parser.add_argument(
        "--kinds",
        action="store_true",
        help="list the failing runs without their wording: checks, failure kind, tools",
    )
    args = parser.parse_args()
    private = args.corpus in PRIVATE
    if private and (args.failures or args.kind or args.voice or args.match):
        print(f"error: the {args.corpus} corpus is scored as a whole, never brief by brief")
        return 2
    try:
        cases = load_corpus(args.corpus)
    except FileNotFoundError as error:
        print(f"error: {error.filename} not found; corpora are tests/briefs/NAME.jsonl")
        return 1
    if args.kind:
        cases = [c for c in cases if args.kind in c.kinds]
    if args.voice:
        cases = [c for c in cases if c.voice == args.voice]
    if args.match:
        cases = [c for c in cases if args.match.lower() in c.brief.lower()]
    songs = args.songs or [*SYNTHETIC_SONGS, *real_song_names()]
    print(f"corpus {args.corpus}: {len(cases)} briefs; songs: {', '.join(songs)}")
    folder = args.keep or Path(tempfile.mkdtemp(prefix="bench-briefs-"))
    try:
        score(cases, songs, folder, show=args.failures and not private, anonymous=args.kinds)
    finally:
        if args.keep is None:
            shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
