"""Follow-ups after every kind of move: each brief of ``FOLLOWUP_BRIEFS`` (tests/brief_checks.py)
from the automix version, then "too much, go halfway back" and "undo that" from it. Prints,
per brief, the measure at the base, after the brief and after halfway, how far halfway
landed from the midpoint (share of the move; the aim is within 15 %), whether the undo gave
the base's exact state and whether section labels survived.

    .venv/bin/python bench/bench_followups.py [--songs demo song_1 ...]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

import pytest  # noqa: E402
from brief_checks import FOLLOWUP_BRIEFS, Songs, run_followups, skip_reason  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--songs", nargs="*", default=["demo", "song_1"])
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-followups-"))
    halfway, undo, labels = [], [], []
    try:
        songs = Songs(folder)
        for name in args.songs:
            try:
                song = songs[name]
            except pytest.skip.Exception as error:
                print(f"{name}: skipped ({error})")
                continue
            print(f"\n{name}: from v{song.base}")
            print(
                f"  {'brief':<36} {'base':>8} {'moved':>8} {'half':>8} {'off mid':>8}  undo labels"
            )
            for brief, spec in FOLLOWUP_BRIEFS:
                if spec[0] != "room" and skip_reason(song, spec):
                    continue
                result = run_followups(song, brief, spec)
                if result is None:
                    print(f"  {brief:<36} made no version")
                    continue
                halfway.append(result.halfway_ok)
                undo.append(result.undo_exact)
                labels.append(result.labels_kept)
                print(
                    f"  {brief:<36} {result.start:8.3f} {result.moved:8.3f} {result.half:8.3f} "
                    f"{result.error:8.0%}  {'ok' if result.undo_exact else 'NO':>4} "
                    f"{'ok' if result.labels_kept else 'NO':>6}"
                )
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if halfway:
        print(
            f"\nhalfway within 15 % of the midpoint: {sum(halfway)}/{len(halfway)} "
            f"({100 * sum(halfway) / len(halfway):.0f}%); undo exact: {sum(undo)}/{len(undo)}; "
            f"section labels kept: {sum(labels)}/{len(labels)}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
