"""The command line as a user types it: real processes, real files, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import shared_path

ROOT = Path(__file__).resolve().parents[1]


def mixchat(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        [sys.executable, "-m", "assistant", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f"mixchat {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc


def read(path: Path) -> np.ndarray:
    audio, _ = sf.read(path, dtype="float32", always_2d=True)
    return audio.T


@pytest.fixture(scope="module")
def song_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    stems = shared_path("songs", "song_1")
    path = tmp_path_factory.mktemp("cli") / "s.mix"
    mixchat("new", str(stems), "-s", str(path), "--json")
    return path


def test_new_then_render_is_the_unity_sum(song_session: Path, tmp_path: Path) -> None:
    out = tmp_path / "mix.wav"
    stems_out = tmp_path / "stems"
    result = json.loads(
        mixchat(
            "render",
            "-s",
            str(song_session),
            "-o",
            str(out),
            "--stems-dir",
            str(stems_out),
            "--json",
        ).stdout
    )
    assert result["version"] == 0 and not result["mastered"]
    mix = read(out)
    total = None
    for path in sorted(shared_path("songs", "song_1").glob("*.flac")):
        stem = read(path)
        stem = stem if stem.shape[0] == 2 else np.repeat(stem / np.sqrt(2), 2, axis=0)
        total = stem if total is None else total + stem
    assert total is not None
    n = min(mix.shape[1], total.shape[1])
    assert np.max(np.abs(mix[:, :n] - total[:, :n])) < 1e-4  # 24-bit file
    summed = sum(read(p) for p in stems_out.glob("*.wav"))
    assert np.max(np.abs(summed - mix)) < 1e-4


def test_a_damaged_render_cache_is_rebuilt(song_session: Path, tmp_path: Path) -> None:
    before, after = tmp_path / "before.wav", tmp_path / "after.wav"
    mixchat("render", "-s", str(song_session), "-o", str(before), "--no-master")
    damaged = sorted((song_session / "cache").rglob("*.np[yz]"))
    assert any(p.name.startswith("mix-") for p in damaged)
    for path in damaged:  # as a full disk or a killed copy would leave them
        path.write_bytes(path.read_bytes()[:1000])
    mixchat("render", "-s", str(song_session), "-o", str(after), "--no-master")
    assert np.array_equal(read(before), read(after))
    mixes = [p for p in damaged if p.name.startswith("mix-")]
    assert any(p.stat().st_size > 1000 for p in mixes)  # the version's mix, made again


def test_versions_revert_diff(song_session: Path) -> None:
    versions = json.loads(mixchat("versions", "-s", str(song_session), "--json").stdout)
    assert versions[0]["version"] == 0 and versions[0]["parent"] is None
    made = json.loads(mixchat("revert", "-s", str(song_session), "0", "--json").stdout)
    assert made["reverted_to"] == 0
    diff = json.loads(
        mixchat("diff", "-s", str(song_session), "0", str(made["version"]), "--json").stdout
    )
    assert diff["settings"] == []


def test_say_json_contract(song_session: Path) -> None:
    words = "bring the vocal up 2 dB".split()  # unquoted, as people type it
    result = json.loads(mixchat("say", "-s", str(song_session), *words, "--json").stdout)
    assert set(result) >= {"version", "parent", "planner", "tool_calls", "reply"}
    assert set(result) == {"version", "parent", "planner", "intent", "tool_calls", "reply"}
    assert all(set(call) == {"tool", "args"} for call in result["tool_calls"])
    assert result["planner"] == "offline"
    assert any(c["tool"] in ("adjust_track_gain", "set_track_gain") for c in result["tool_calls"])


def test_ab_writes_level_matched_files(song_session: Path, tmp_path: Path) -> None:
    mixchat("say", "-s", str(song_session), "make it darker")
    latest = json.loads(mixchat("versions", "-s", str(song_session), "--json").stdout)[-1][
        "version"
    ]
    data = json.loads(
        mixchat(
            "ab", "-s", str(song_session), "0", str(latest), "-o", str(tmp_path), "--json"
        ).stdout
    )
    files = sorted(tmp_path.glob("*.wav"))
    assert len(files) == 2 and all(
        f"{n:04d}" in "".join(p.name for p in files) for n in (0, latest)
    )
    from mixchat.dsp.loudness import integrated_lufs

    a, b = (integrated_lufs(read(f), sample_rate=44100) for f in files)
    assert abs(a - b) < 0.1
    assert data["metrics"]


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("versions", "-s", "/nonexistent/session"), "not a mixchat session"),
        (
            ("render", "-s", "{session}", "--version", "99", "-o", "/tmp/x.wav"),
            "version 99 does not exist",
        ),
        (("new", "/nonexistent/stems", "-s", "/tmp/never.mix"), "does not exist"),
        (("master", "/nonexistent.wav", "-o", "/tmp/m.wav"), "nonexistent.wav"),
        (("master", "{wav}", "-o", "/tmp/m.wav", "--target", "loud"), "target"),
        (
            ("export", "-s", "{session}", "--format", "stems", "-o", "{session}", "--force"),
            "would overwrite the session",
        ),
        (("render", "-s", "{session}", "-o", "{session}/versions/x.wav"), "overwrite the session"),
    ],
)
def test_bad_input_is_one_line(
    args: tuple[str, ...], needle: str, song_session: Path, tmp_path: Path
) -> None:
    wav = tmp_path / "x.wav"
    sf.write(wav, np.zeros((4410, 2), dtype=np.float32) + 0.1, 44100)
    filled = [a.format(session=song_session, wav=wav) for a in args]
    proc = mixchat(*filled, check=False)
    assert proc.returncode in (1, 2)
    assert "Traceback" not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stderr
    assert needle in lines[0]


def test_a_render_over_full_scale_is_not_clipped_silently(tmp_path: Path) -> None:
    stems = tmp_path / "stems"
    stems.mkdir()
    t = np.arange(2 * 44100) / 44100
    tone = np.repeat((0.7 * np.sin(2 * np.pi * 220 * t))[:, None], 2, axis=1)
    for name in ("a", "b"):  # in phase: the unity sum peaks at 1.4
        sf.write(stems / f"{name}.wav", tone.astype(np.float32), 44100, subtype="FLOAT")
    session = tmp_path / "s.mix"
    mixchat("new", str(stems), "-s", str(session))
    wav = json.loads(
        mixchat("render", "-s", str(session), "-o", str(tmp_path / "m.wav"), "--json").stdout
    )
    assert wav["subtype"] == "FLOAT" and "32-bit float" in wav["notes"][0]
    assert np.max(np.abs(read(tmp_path / "m.wav"))) == pytest.approx(1.4, abs=0.01)
    flac = json.loads(
        mixchat("render", "-s", str(session), "-o", str(tmp_path / "m.flac"), "--json").stdout
    )
    assert flac["subtype"] == "PCM_24" and "samples clip" in flac["notes"][0]


def _refuse_constant(name: str) -> None:
    raise AssertionError(f"{name} is not JSON")


def test_json_of_silence_is_strict_json(tmp_path: Path) -> None:
    """The loudness of silence is -inf: --json must say null, not -Infinity (jq refuses it)."""
    silent = tmp_path / "silent.wav"
    sf.write(silent, np.zeros((44100, 2), dtype=np.float32), 44100)
    proc = mixchat("master", str(silent), "-o", str(tmp_path / "m.wav"), "--json")
    data = json.loads(proc.stdout, parse_constant=_refuse_constant)
    assert data["input_lufs"] is None and data["true_peak_dbtp"] is None
    assert data["notes"]


def test_broken_stems_are_refused_with_the_file_name(tmp_path: Path) -> None:
    stems = tmp_path / "stems"
    stems.mkdir()
    sf.write(stems / "good.wav", np.zeros((44100, 2), dtype=np.float32) + 0.01, 44100)
    (stems / "broken.wav").write_bytes(b"RIFF\x00\x00garbage")
    proc = mixchat("new", str(stems), "-s", str(tmp_path / "s.mix"), check=False)
    assert proc.returncode == 1 and "broken.wav" in proc.stderr and "Traceback" not in proc.stderr
    assert not (tmp_path / "s.mix" / "session.json").exists()


def test_a_full_disk_is_one_line_not_a_traceback(monkeypatch, capsys) -> None:
    import errno

    from mixchat.assistant.cli import main as cli

    def full_disk(**kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(cli, "app", full_disk)
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    lines = capsys.readouterr().err.strip().splitlines()
    assert exit_info.value.code == 1 and len(lines) == 1
    assert "No space left on device" in lines[0] and "disk space" in lines[0]


def test_commands_that_print_no_table_do_not_import_the_table_printers(
    song_session: Path, tmp_path: Path
) -> None:
    """`render` and `versions --json` print no table, piped they draw no progress bar: they
    start without importing rich's tables and progress bars (a few tens of ms a process);
    `versions` prints its table."""
    probe = (
        "import atexit, sys\n"
        "atexit.register(lambda: print('LOADED', sorted(m for m in sys.modules if m in "
        "('rich.table', 'rich.progress')), file=sys.stderr))\n"
        "sys.argv = ['mixchat', *sys.argv[1:]]\n"
        "from mixchat.assistant.cli.main import main\n"
        "main()\n"
    )

    def loaded(*args: str) -> str:
        proc = subprocess.run(
            [sys.executable, "-c", probe, *args], capture_output=True, text=True, timeout=600
        )
        assert proc.returncode == 0, proc.stderr
        return proc.stderr.strip().splitlines()[-1]

    render = ("render", "-s", str(song_session), "-o", str(tmp_path / "out.wav"))
    assert loaded(*render) == "LOADED []"
    assert loaded("versions", "-s", str(song_session), "--json") == "LOADED []"
    assert loaded("versions", "-s", str(song_session)) == "LOADED ['rich.table']"
