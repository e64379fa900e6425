"""The session store: append-only versions, atomic writes, and survival of kill -9."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from mixchat.dsp.state import unity_state
from mixchat.tools.errors import SessionError
from mixchat.tools.session import Session, SessionMeta, StemInfo


def _meta() -> SessionMeta:
    stems = (StemInfo(name="vox", file="/x/vox.wav", sha256="0" * 64, role="vocal"),)
    return SessionMeta(sample_rate=44100, frames=44100, stems=stems)


def test_versions_are_append_only(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "s", _meta(), unity_state([("vox", "vocal")]))
    first = session.load(0)
    state = first.state.with_track("vox", gain_db=-3.0)
    made = session.commit(state, parent=0, brief="vocal down", summary="vox -3")
    assert made.version == 1
    assert session.load(1).state.track("vox").gain_db == -3.0
    assert session.load(0).state.track("vox").gain_db == 0.0
    assert session.version_numbers() == [0, 1]
    reopened = Session.open(tmp_path / "s")
    assert reopened.load().version == 1


def test_missing_version_is_one_clear_line(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "s", _meta(), unity_state([("vox", "vocal")]))
    with pytest.raises(SessionError, match="version 7 does not exist"):
        session.load(7)


def test_a_damaged_version_file_is_a_local_problem(tmp_path: Path) -> None:
    """A version file damaged outside mixchat (a bad copy, a full disk elsewhere) must not
    lock the user out of the others: it is skipped in lists, named when asked for, and a
    brief built on its descendants still sees their history up to it."""
    from mixchat.assistant.turn.context import lineage

    session = Session.create(tmp_path / "s", _meta(), unity_state([("vox", "vocal")]))
    state = session.load(0).state
    for number in (1, 2, 3):
        state = state.with_track("vox", gain_db=-float(number))
        session.commit(state, parent=number - 1, brief=f"step {number}")
    damaged = session.versions_dir / "0002.json"
    damaged.write_text(damaged.read_text()[:80])
    assert [v.version for v in session.versions()] == [0, 1, 3]
    readable = {v.version for v in session.versions()}
    assert [n for n in session.version_numbers() if n not in readable] == [2]
    with pytest.raises(SessionError, match=r"version 2 is damaged.*other versions are intact"):
        session.load(2)
    assert session.load().version == 3
    assert [turn.version for turn in lineage(session, 3)] == [3]


def test_not_a_session(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="not a mixchat session"):
        Session.open(tmp_path)


def test_creating_over_an_existing_session_is_refused(tmp_path: Path) -> None:
    Session.create(tmp_path / "s", _meta(), unity_state([("vox", "vocal")]))
    with pytest.raises(SessionError, match="already holds a session"):
        Session.create(tmp_path / "s", _meta(), unity_state([("vox", "vocal")]))


def test_torn_chat_line_is_skipped(tmp_path: Path) -> None:
    session = Session.create(tmp_path / "s", _meta(), unity_state([("vox", "vocal")]))
    session.log_chat(role="user", text="darker")
    with open(session.chat_path, "a") as handle:
        handle.write('{"role": "assist')
    assert [r["text"] for r in session.chat()] == ["darker"]


WRITER = textwrap.dedent(
    """
    import sys
    from mixchat.tools.session import Session
    session = Session.open(sys.argv[1])
    state = session.load(0).state
    i = 0
    while True:
        i += 1
        state = state.with_track("vox", gain_db=float(i % 20) - 10)
        session.commit(state, parent=session.latest_number(), brief=f"step {i}", summary="x" * 2000)
    """
)


def test_kill_9_never_breaks_a_version(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parents[1]
    Session.create(tmp_path / "s", _meta(), unity_state([("vox", "vocal")]))
    env = {**os.environ, "PYTHONPATH": str(root)}
    versions = tmp_path / "s" / "versions"
    for delay_s in (0.0, 0.013, 0.029, 0.041, 0.07):
        before = len(list(versions.glob("*.json")))
        proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "s")], env=env)
        deadline = time.monotonic() + 20
        while len(list(versions.glob("*.json"))) <= before and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(delay_s)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    session = Session.open(tmp_path / "s")
    numbers = session.version_numbers()
    assert numbers == list(range(len(numbers))), "version numbers must stay contiguous"
    assert len(numbers) > 1
    for version in session.versions():
        assert version.state.track("vox").name == "vox"
    for path in (tmp_path / "s" / "versions").glob("*.json"):
        json.loads(path.read_text())


def test_cache_files_skip_fsync_and_a_torn_one_reads_as_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A version is fsynced (it is the user's work); a track's stored analysis is a cache:
    written without fsync (each can wait tens of ms on a busy disk), and a file a power cut
    tore reads as missing, so it is measured again instead of being trusted."""
    import numpy as np

    from mixchat.dsp.track_meter import TrackAnalysis
    from mixchat.tools.track_store import TrackStore

    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    store = TrackStore(tmp_path / "cache", None)
    facts = {
        "lufs": -18.0,
        "band_energies_db": {"low": -20.0},
        "spectral_centroid_hz": 900.0,
        "crest_factor_db": 12.0,
        "channels": 2.0,
        "mid": 1.0,
        "side": 0.1,
    }
    store.save("key", TrackAnalysis(facts=facts, blocks=np.ones(4)))
    assert synced == []
    assert store.facts("key") == facts
    (tmp_path / "cache" / "facts" / "key.json").write_text('{"lufs": -18.0, "band_')
    assert store.facts("key") is None

    session = Session.create(tmp_path / "s", _meta(), unity_state([("vox", "vocal")]))
    session.commit(session.load(0).state.with_track("vox", gain_db=-1.0), parent=0)
    assert len(synced) >= 2
