"""One limit for a session's whole cache: room is made before each write."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mixchat.dsp.cache import CacheBudget


def put(path: Path, size: int, age_s: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    if age_s:
        stamp = time.time() - age_s
        os.utime(path, (stamp, stamp))
    return path


def test_room_is_made_oldest_first_audio_before_analyses_pinned_never(tmp_path: Path) -> None:
    analysis = put(tmp_path / "facts" / "a.json", 300, age_s=300)  # the oldest, but small
    old = put(tmp_path / "tracks" / "track-old.npy", 400, age_s=200)
    pinned = put(tmp_path / "tracks" / "mix-now.npy", 400, age_s=100)
    budget = CacheBudget(tmp_path, limit_bytes=1500)
    budget.pin([pinned])
    assert budget.reserve(700)  # 1100 + 700 > 1500: one audio file goes, not the analysis
    assert not old.exists() and analysis.exists() and pinned.exists()
    budget.release(700)
    assert budget.used_bytes() <= 1500


def test_a_write_that_cannot_fit_is_refused_and_nothing_is_lost_for_it(tmp_path: Path) -> None:
    kept = put(tmp_path / "tracks" / "mix-a.npy", 600)
    budget = CacheBudget(tmp_path, limit_bytes=1000)
    budget.pin([kept])
    assert not budget.reserve(500)
    assert kept.exists()
    assert not budget.reserve(100, keep_free=500)  # a track file leaves room for a mix
    assert budget.reserve(100, keep_free=200)
    budget.release(100)
