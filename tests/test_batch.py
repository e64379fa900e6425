"""`mixchat batch` on a local Ray cluster of 2 workers: three short songs, one of them broken.

One cluster serves the whole module (Ray takes seconds to start). The runs build on each
other, as a label's would: the first run loses a worker mid-song, the second finishes what
the first could not, the third has nothing left to do.
"""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import time
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import soundfile as sf
from test_cli import mixchat
from threadpoolctl import threadpool_info

from mixchat.assistant.batch import cluster, elastic
from mixchat.assistant.batch.errors import BatchError
from mixchat.assistant.batch.jobs import BatchOptions, SongJob, find_songs
from mixchat.assistant.batch.manifest import verified
from mixchat.assistant.batch.runner import run_batch
from mixchat.assistant.batch.song import off_target
from mixchat.assistant.cli.main import main
from mixchat.assistant.demo.song import build_demo_stems
from mixchat.dsp.audio_io import file_sha256
from mixchat.dsp.loudness import integrated_lufs, true_peak_dbtp
from mixchat.dsp.threads import limited_threads, pool_size

OPTIONS = BatchOptions(
    target="apple", ceiling_dbtp=-1.5, briefs=("make it a bit warmer",), export="dawproject"
)
SHORT, LONG, BROKEN = "a_short", "b_long", "c_broken"


@pytest.fixture(scope="module")
def songs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("catalogue")
    build_demo_stems(root / SHORT, duration_s=4.0, seed=1)
    build_demo_stems(root / LONG, duration_s=12.0, seed=2)
    broken = root / BROKEN
    broken.mkdir()
    sf.write(broken / "bass.wav", np.zeros((44100, 1), dtype=np.float32), 44100)
    (broken / "vocals.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really audio")
    return root


@pytest.fixture(scope="module")
def ray_cluster() -> Any:
    with cluster.connect(address=None, cores=2) as ray:
        yield ray  # shut down when the module is done


def kill_worker_of(song: str) -> bool:
    """SIGKILL this test's Ray worker running ``song`` (its title names the task); never a
    worker of another test run on the same machine that makes a song of the same name."""
    for pid in our_ray_workers(f"ray::{cluster.TASK_PREFIX}{song}"):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        return True
    return False


def our_ray_workers(title: str) -> set[int]:
    """This process's Ray worker processes whose title starts with ``title``."""
    parents = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            stat = (proc / "stat").read_text()
        except OSError:
            continue
        parents[int(proc.name)] = int(stat[stat.rindex(")") + 2 :].split()[1])
    found = set()
    for pid in parents:
        ancestor = parents.get(pid)
        while ancestor not in (None, 0, 1, os.getpid()):
            ancestor = parents.get(ancestor)
        try:
            named = (Path(f"/proc/{pid}") / "cmdline").read_bytes().startswith(title.encode())
        except OSError:
            continue
        if ancestor == os.getpid() and named:
            found.add(pid)
    return found


@pytest.fixture(scope="module")
def first_run(songs: Path, ray_cluster: Any, tmp_path_factory: pytest.TempPathFactory):
    """Two workers; when the short song is finished, the worker on the long one is killed
    (no retries, so the loss shows)."""
    out = tmp_path_factory.mktemp("out")
    killed: list[bool] = []

    def on_row(row: dict[str, Any], finished: int, total: int) -> None:
        if row["song"] == SHORT and row["status"] == "done":
            killed.append(kill_worker_of(LONG))

    printed = io.StringIO()
    with redirect_stdout(printed):  # Ray's listener thread prints there too
        data = run_batch(songs, out, options=OPTIONS, workers=2, retries=0, on_row=on_row)
    short_master = out / SHORT / "master.wav"
    return out, data, killed, file_sha256(short_master), short_master.stat().st_mtime_ns, printed


@pytest.fixture(scope="module")
def second_run(songs: Path, first_run):
    out = first_run[0]
    return run_batch(songs, out, options=OPTIONS, workers=2)


def rows(data: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {row["song"]: row for row in data["songs"]}


def assert_on_target(master: Path) -> None:
    audio, rate = sf.read(master, dtype="float32", always_2d=True)
    lufs = integrated_lufs(audio.T, sample_rate=rate)
    peak = true_peak_dbtp(audio.T, sample_rate=rate)
    assert abs(lufs - OPTIONS.target_lufs) <= 0.5, f"{master}: {lufs:.2f} LUFS"
    assert peak <= OPTIONS.ceiling_dbtp + 0.01, f"{master}: {peak:.2f} dBTP"


def test_a_finished_song_lands_on_target_with_its_report(first_run) -> None:
    out, data, *_ = first_run
    row = rows(data)[SHORT]
    assert row["status"] == "done" and row["reason"] is None
    assert Path(row["master"]) == out / SHORT / "master.wav"
    assert_on_target(out / SHORT / "master.wav")
    report = json.loads((out / SHORT / "report.json").read_text())
    assert report["master"]["target_lufs"] == -16.0 and report["master"]["ceiling_dbtp"] == -1.5
    assert abs(report["master"]["lufs"] - row["lufs"]) < 0.01
    assert report["feedback"] and all("severity" in item for item in report["feedback"])
    assert {"new", "automix", "briefs", "master", "render", "feedback"} <= set(report["timings_s"])
    briefs = [turn["brief"] for turn in report["turns"]]
    assert briefs[0] == "automix" and briefs[1] == OPTIONS.briefs[0]
    versions = sorted((out / SHORT / "session" / "versions").glob("*.json"))
    assert len(versions) == 4  # unity sum, automix, the brief, the master
    assert not (out / SHORT / "session" / "cache").exists()  # gigabytes per song; rebuilt on demand
    assert report["export"]["path"] == f"{SHORT}/{SHORT}.dawproject"
    assert (out / SHORT / f"{SHORT}.dawproject").stat().st_size > 0


def test_the_broken_song_is_reported_in_one_line_and_the_others_finish(first_run) -> None:
    out, data, *_ = first_run
    row = rows(data)[BROKEN]
    assert row["status"] == "failed" and "vocals.wav" in row["reason"]
    assert "\n" not in row["reason"] and row["master"] is None
    assert not (out / BROKEN).exists()
    on_disk = json.loads((out / "batch.json").read_text())
    assert [r["song"] for r in on_disk["songs"]] == [SHORT, LONG, BROKEN]


def test_a_killed_worker_costs_its_song_only(first_run) -> None:
    out, data, killed, *_ = first_run
    assert killed == [True], "the long song's worker was not running when the short one ended"
    row = rows(data)[LONG]
    assert row["status"] == "failed" and "died" in row["reason"]
    assert not (out / LONG).exists()  # its half-built folder is not where a finished one goes
    short = SongJob(song=SHORT, stems_dir=stems_of(out, SHORT), out_root=out, options=OPTIONS)
    assert verified(short) is not None


def test_a_dead_worker_prints_nothing_on_stdout(first_run, capsys) -> None:
    """stdout is the JSON's (``--json``): Ray's own "A worker died ..." lines stay off it."""
    assert first_run[-1].getvalue() == ""
    ray_driver = cluster._ray()._private.worker
    ray_driver.print_to_stdstream(
        {"lines": ["A worker died"], "pid": "raylet", "is_err": False}, ignore_prefix=False
    )
    assert capsys.readouterr().out == ""


def test_a_rerun_finishes_what_failed_and_leaves_finished_songs_alone(
    songs: Path, first_run, second_run
) -> None:
    out, _, _, short_hash, short_mtime, _ = first_run
    by_song = rows(second_run)
    assert by_song[SHORT]["status"] == "skipped"
    assert file_sha256(out / SHORT / "master.wav") == short_hash
    assert (out / SHORT / "master.wav").stat().st_mtime_ns == short_mtime
    assert by_song[LONG]["status"] == "done" and "cut off" in by_song[LONG]["reason"]
    assert_on_target(out / LONG / "master.wav")
    assert by_song[BROKEN]["status"] == "failed" and "have not changed" in by_song[BROKEN]["reason"]
    assert second_run["summary"]["done"] == 1


def test_a_third_run_does_no_work(songs: Path, first_run, second_run) -> None:
    out = first_run[0]
    before = {
        p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != "batch.json"
    }
    result = mixchat(
        "batch",
        str(songs),
        "-o",
        str(out),
        "--target",
        "apple",
        "--ceiling-db",
        "-1.5",
        "--briefs",
        str(write_briefs(out.parent)),
        "--export",
        "dawproject",
        "--json",
        check=False,
    )
    assert result.returncode == 1  # a song failed: the batch says so
    data = json.loads(result.stdout)
    assert [r["status"] for r in data["songs"]] == ["skipped", "skipped", "failed"]
    assert data["summary"]["done"] == 0 and "workers" not in data["summary"]  # no cluster started
    after = {
        p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file() and p.name != "batch.json"
    }
    assert after == before


def test_a_batch_logged_to_a_file_says_each_song_on_its_own_line(
    songs: Path, first_run, second_run
) -> None:
    out = first_run[0]
    args = ("--target", "apple", "--ceiling-db", "-1.5", "--export", "dawproject")
    result = mixchat(
        "batch",
        str(songs),
        "-o",
        str(out),
        *args,
        "--briefs",
        str(write_briefs(out.parent)),
        check=False,
    )
    lines = result.stderr.strip().splitlines()
    assert lines[0].startswith(f"[1/3] {SHORT} skipped ") and lines[0].endswith(" dBTP")
    assert lines[2].startswith(f"[3/3] {BROKEN} failed: ") and "vocals.wav" in lines[2]
    assert lines[3] == f"1 of 3 songs failed; see {out / 'batch.json'}"


def write_briefs(folder: Path) -> Path:
    path = folder / "briefs.txt"
    path.write_text("# one brief per line\n\n" + "\n".join(OPTIONS.briefs) + "\n")
    return path


def test_the_manifest_catches_a_changed_master_or_other_options(first_run, second_run) -> None:
    out = first_run[0]
    job = SongJob(song=LONG, stems_dir=stems_of(out, LONG), out_root=out, options=OPTIONS)
    assert verified(job) is not None
    louder = SongJob(song=LONG, stems_dir=job.stems_dir, out_root=out, options=BatchOptions())
    assert verified(louder) is None
    master = out / LONG / "master.wav"
    original = master.read_bytes()
    try:
        master.write_bytes(original[:-4] + b"\x00\x00\x00\x01")
        assert verified(job) is None
    finally:
        master.write_bytes(original)


def stems_of(out: Path, song: str) -> Path:
    return Path(json.loads((out / song / "manifest.json").read_text())["stems_dir"])


def test_bad_input_is_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    (tmp_path / "loose.wav").write_bytes(b"")
    with pytest.raises(BatchError, match="subfolder"):
        find_songs(tmp_path, out_root=tmp_path / "out")
    with pytest.raises(BatchError, match="--export"):
        BatchOptions(export="logic")  # type: ignore[arg-type]
    with pytest.raises(BatchError, match="--ceiling-db"):
        BatchOptions(ceiling_dbtp=3.0)
    for args, named in (
        ([str(tmp_path / "nowhere"), "-o", str(tmp_path / "o")], "nowhere"),
        ([str(tmp_path), "-o", str(tmp_path / "o"), "--briefs", "missing.txt"], "missing.txt"),
        ([str(tmp_path), "-o", str(tmp_path / "o"), "--target", "loud"], "loud"),
    ):
        monkeypatch.setattr("sys.argv", ["mixchat", "batch", *args])
        with pytest.raises(SystemExit) as exit_info:
            main()
        lines = capsys.readouterr().err.strip().splitlines()
        assert exit_info.value.code == 1 and len(lines) == 1 and named in lines[0], lines


def test_an_address_where_nothing_answers_is_refused_in_seconds(
    tmp_path: Path, monkeypatch, capsys
) -> None:
    """Ray itself would retry for about ten minutes, printing gRPC warnings."""
    with socket.socket() as listener:  # a port that was just free: nothing answers there now
        listener.bind(("127.0.0.1", 0))
        port = listener.getsockname()[1]
    (tmp_path / "songs" / "a_song").mkdir(parents=True)
    for address, named in ((f"127.0.0.1:{port}", "nothing answers"), ("headnode", "HOST:PORT")):
        argv = ["mixchat", "batch", str(tmp_path / "songs"), "-o", str(tmp_path / "out")]
        monkeypatch.setattr("sys.argv", [*argv, "--address", address])
        started = time.monotonic()
        with pytest.raises(SystemExit) as exit_info:
            main()
        lines = capsys.readouterr().err.strip().splitlines()
        assert exit_info.value.code == 1 and len(lines) == 1, lines
        assert address in lines[0] and named in lines[0], lines
        assert time.monotonic() - started < cluster.PROBE_TIMEOUT_S + 1


def test_ctrl_c_says_so_in_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    def interrupted(*args: Any, **kwargs: Any) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("mixchat.assistant.batch.runner.run_batch", interrupted)
    (tmp_path / "songs" / "a_song").mkdir(parents=True)
    argv = ["mixchat", "batch", str(tmp_path / "songs"), "-o", str(tmp_path / "out")]
    monkeypatch.setattr("sys.argv", argv)
    with pytest.raises(SystemExit) as exit_info:
        main()
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 130 and lines == [
        "mixchat: interrupted; versions already saved are intact"
    ]


def test_workers_stay_warm_while_a_song_takes_both_cores(ray_cluster: Any, tmp_path) -> None:
    """A song given both cores leaves the other worker idle. Ray would end that worker after
    a second, and the next song given its core would wait for a new process to start and
    import mixchat, delaying every song queued behind it."""

    def meet(folder: str) -> int:  # two tasks that wait for each other run on two workers
        Path(folder, str(os.getpid())).touch()
        deadline = time.monotonic() + 60.0
        while len(list(Path(folder).iterdir())) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        return os.getpid()

    pair = ray_cluster.remote(meet).options(num_cpus=1)
    warm = set(ray_cluster.get([pair.remote(str(tmp_path)) for _ in range(2)]))
    assert len(warm) == 2
    nap = ray_cluster.remote(lambda seconds: time.sleep(seconds)).options(num_cpus=2)
    ray_cluster.get(nap.remote(3.0))  # one task holds both cores
    assert warm <= our_ray_workers("ray::")


@pytest.mark.parametrize(("set_to", "workers_get"), [(None, "1"), ("2", "2")])
def test_workers_run_one_blas_thread_unless_told_otherwise(monkeypatch, set_to, workers_get):
    """A song runs its own threads; BLAS threads on top of them only spin. Workers get the
    one thread the mixchat command sets for itself, whoever starts the cluster."""
    started: dict[str, Any] = {}

    class FakeRay:
        def is_initialized(self) -> bool:
            return False

        def init(self, **options: Any) -> None:
            started.update(options)

        def shutdown(self) -> None:
            pass

    monkeypatch.setattr(cluster, "_ray", FakeRay)
    if set_to is None:
        monkeypatch.delenv("OPENBLAS_NUM_THREADS", raising=False)
    else:
        monkeypatch.setenv("OPENBLAS_NUM_THREADS", set_to)
    with cluster.connect(address=None, cores=2):
        pass
    assert started["runtime_env"]["env_vars"]["OPENBLAS_NUM_THREADS"] == workers_get


def test_each_song_declares_its_share_of_the_cores() -> None:
    two_cores = cluster.Capacity(cpus_total=2.0, cpus_per_node=2.0, memory_per_node=8e9)
    assert two_cores.share(None, songs=10) == (2, 1.0, 1)  # one song per core, one thread each
    assert two_cores.share(1, songs=10) == (1, 2.0, 2)  # one song at a time gets both cores
    assert two_cores.share(None, songs=1) == (1, 2.0, 2)  # never more workers than songs
    songs_at_once, cpus, threads = two_cores.share(3, songs=10)
    assert songs_at_once == 3 and 3 * cpus <= 2.0 and threads == 1
    four_nodes = cluster.Capacity(cpus_total=64.0, cpus_per_node=16.0, memory_per_node=6.4e10)
    assert four_nodes.share(2, songs=10) == (2, 16.0, 16)  # a song cannot span nodes


def test_a_song_given_one_core_runs_one_thread() -> None:
    cores = os.cpu_count() or 1
    with limited_threads(1):
        assert pool_size(at_most=8) == 1
        assert all(pool["num_threads"] == 1 for pool in threadpool_info())
    assert pool_size(at_most=8) == min(8, cores)


def test_a_master_off_target_is_flagged_on_its_row() -> None:
    on = {"integrated_lufs": -16.3, "true_peak_dbtp": -1.52, "notes": []}
    assert off_target(on, OPTIONS) is None
    quiet = {"integrated_lufs": -17.2, "true_peak_dbtp": -1.3, "notes": []}
    note = off_target(quiet, OPTIONS)
    assert note is not None and "-17.2 LUFS" in note and "-1.3 dBTP" in note


def test_a_core_idle_most_of_the_time_can_be_borrowed() -> None:
    assert elastic.spare_cores(0.8) == 1 and elastic.spare_cores(0.7) == 0
    assert elastic.spare_cores(1.9) == 2
    meter = elastic.IdleMeter(base=1)
    if meter.works:  # Linux: /proc/stat
        sum(i * i for i in range(200_000))
        assert 0.0 <= meter.available() <= (os.cpu_count() or 1) + 1


def test_a_song_grows_into_idle_cores_and_gives_them_back(monkeypatch) -> None:
    if (os.cpu_count() or 1) < 2:
        pytest.skip("needs two cores")
    idle = {"cores": 1.0}
    monkeypatch.setattr(elastic.IdleMeter, "available", lambda self: idle["cores"])
    monkeypatch.setattr(elastic, "INTERVAL_S", 0.01)
    with limited_threads(1), elastic.borrow_idle_cores(base=1, most=2):
        assert wait_for(lambda: pool_size(at_most=8) == 2)  # the other core stands idle
        idle["cores"] = 0.1
        assert wait_for(lambda: pool_size(at_most=8) == 1)  # now it is busy again
    assert pool_size(at_most=8) == min(8, os.cpu_count() or 1)


def wait_for(condition, timeout_s: float = 2.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False
