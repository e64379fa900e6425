"""One limit for a session's whole cache: room is made before each write, by value."""

from __future__ import annotations

import os
import time
from pathlib import Path

from mixchat.dsp.cache import ANALYSIS, MIX, TRACK, CacheBudget


def put(path: Path, size: int, age_s: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)
    if age_s:
        stamp = time.time() - age_s
        os.utime(path, (stamp, stamp))
    return path


def test_room_is_made_from_the_least_valuable_oldest_files_never_pinned(tmp_path: Path) -> None:
    analysis = put(tmp_path / "facts" / "a.json", 300, age_s=400)  # the oldest, but small
    mix = put(tmp_path / "tracks" / "mix-old.npy", 300, age_s=300)
    track = put(tmp_path / "tracks" / "track-old.npy", 300, age_s=100)
    pinned = put(tmp_path / "tracks" / "track-now.npy", 300, age_s=500)
    budget = CacheBudget(tmp_path, limit_bytes=1400)
    budget.pin([pinned])
    assert budget.reserve(300, rank=MIX)  # the unpinned track output goes first
    assert not track.exists() and mix.exists() and analysis.exists() and pinned.exists()
    budget.release(300)
    put(tmp_path / "tracks" / "bus-new.npy", 300)
    assert budget.reserve(300, rank=ANALYSIS)  # then the oldest mix, analyses last
    assert not mix.exists() and analysis.exists()
    budget.release(300)
    assert budget.used_bytes() <= 1400


def test_a_track_output_never_pushes_out_a_mix_or_an_analysis(tmp_path: Path) -> None:
    mix = put(tmp_path / "tracks" / "mix-a.npy", 600, age_s=100)
    bands = put(tmp_path / "bands" / "b.npy", 300, age_s=100)
    budget = CacheBudget(tmp_path, limit_bytes=1000)
    assert not budget.reserve(200, rank=TRACK)  # refused: the render just does not cache it
    assert mix.exists() and bands.exists()
    assert budget.reserve(100, rank=TRACK)
    budget.release(100)
    assert not budget.reserve(2000, rank=ANALYSIS)  # more than the whole limit


def test_a_file_two_renders_pin_stays_pinned_until_both_let_go(tmp_path: Path) -> None:
    shared = put(tmp_path / "tracks" / "cleaned-a.npy", 300, age_s=100)
    budget = CacheBudget(tmp_path, limit_bytes=500)
    budget.pin([shared])
    budget.pin([shared])
    budget.unpin([shared])
    assert not budget.reserve(300, rank=MIX) and shared.exists()
    budget.unpin([shared])
    assert budget.reserve(300, rank=MIX) and not shared.exists()


def manifest(path: Path, *, key: str, send: str, ret: str, age_s: float) -> None:
    import json

    buses = {"reverb": {"send": send, "return": ret}}
    path.write_text(json.dumps({"key": key, "buses": buses}))
    stamp = time.time() - age_s
    os.utime(path, (stamp, stamp))


def test_an_older_versions_mix_set_ranks_as_a_track_output_the_newest_as_a_mix(
    tmp_path: Path,
) -> None:
    tracks = tmp_path / "tracks"
    names = ("mix-{}", "send-reverb-s{}", "bus-reverb-r{}")
    older = [put(tracks / f"{n.format(1)}.npy", 200, age_s=300) for n in names]
    manifest(tracks / "mix-1.json", key="1", send="s1", ret="r1", age_s=300)
    output = put(tracks / "track-t.npy", 200, age_s=100)  # used after the older set
    newest = [put(tracks / f"{n.format(2)}.npy", 200, age_s=200) for n in names]
    manifest(tracks / "mix-2.json", key="2", send="s2", ret="r2", age_s=10)
    budget = CacheBudget(tmp_path, limit_bytes=1600)
    assert budget.reserve(600, rank=MIX)  # the older set goes, least recently used first
    assert not any(p.exists() for p in older) and output.exists()
    assert all(p.exists() for p in newest)
    budget.release(600)
    assert budget.reserve(800, rank=MIX)  # then the track output; the newest set stays
    assert not output.exists() and all(p.exists() for p in newest)


def test_the_send_sum_the_newest_set_is_rebuilt_from_ranks_as_a_mix_with_its_manifest(
    tmp_path: Path,
) -> None:
    """The newest manifest kept no reverb send of its own: it names the older version's
    it is rebuilt from, so that send sum and the older manifest (its senders) stay while the
    older mix and return go like track outputs."""
    import json

    tracks = tmp_path / "tracks"
    old_mix = put(tracks / "mix-1.npy", 200, age_s=300)
    old_return = put(tracks / "bus-reverb-r1.npy", 200, age_s=300)
    old_send = put(tracks / "send-reverb-s1.npy", 200, age_s=400)  # least recently used
    manifest(tracks / "mix-1.json", key="1", send="s1", ret="r1", age_s=400)
    newest = [put(tracks / name, 200, age_s=200) for name in ("mix-2.npy", "bus-reverb-r2.npy")]
    entry = {"send": "s2", "return": "r2", "from": "1", "from_send": "s1"}
    (tracks / "mix-2.json").write_text(json.dumps({"key": "2", "buses": {"reverb": entry}}))
    used = CacheBudget(tmp_path, limit_bytes=0).used_bytes()
    budget = CacheBudget(tmp_path, limit_bytes=used)
    assert budget.reserve(400, rank=MIX)  # room for it: the older mix and return
    assert not old_mix.exists() and not old_return.exists()
    assert old_send.exists() and (tracks / "mix-1.json").exists()
    assert all(p.exists() for p in newest)
