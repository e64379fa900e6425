"""Export to DAWs: DAWproject validates and carries every stem, REAPER parses, stems sum."""

from __future__ import annotations

import json
import shlex
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import shared_path
from lxml import etree

from mixchat.assistant.demo.song import build_demo_stems
from mixchat.dsp.audio_io import file_sha256
from mixchat.dsp.state import (
    Compressor,
    EqBand,
    SectionAutomation,
    TrackState,
    unity_state,
)
from mixchat.tools.errors import ExportError, SessionError
from mixchat.tools.export import export_version
from mixchat.tools.session import Session, SessionMeta, StemInfo

DURATION_S = 8.0
FRAMES = int(DURATION_S * 44100)
VOCAL_BRIEF = "the vocal gets buried when the chorus comes in"


def _automix(state):
    tracks = []
    for t in state.tracks:
        changes: dict = {}
        if t.role == "vocal":
            changes = dict(
                gain_db=9.0,
                hpf_hz=90.0,
                compressor=Compressor(threshold_db=-24.0),
                eq=(EqBand(kind="bell", freq_hz=3000, gain_db=2.5, q=1.2),),
                reverb_send_db=-14.0,
                delay_send_db=-20.0,
            )
        elif t.role == "bass":
            changes = dict(gain_db=-7.0, eq=(EqBand(kind="bell", freq_hz=70, gain_db=-3.0),))
        elif t.role == "keys":
            changes = dict(
                gain_db=-4.0,
                pan=-0.3,
                eq=(EqBand(kind="low_shelf", freq_hz=250, gain_db=-3.0, q=0.7),),
            )
        elif t.role == "guitar":
            changes = dict(gain_db=-2.0, pan=0.45, reverb_send_db=-18.0)
        if t.name == "Hats":  # left as imported: the sidecar must say so
            tracks.append(t)
            continue
        staged = {"gain_db": changes.get("gain_db", 0.0) - 8.0}  # headroom for 24-bit files
        tracks.append(TrackState(**{**t.model_dump(), **changes, **staged}))
    return state.model_copy(update={"tracks": tuple(tracks)})


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    root = tmp_path_factory.mktemp("export")
    song = build_demo_stems(root / "stems", duration_s=DURATION_S, seed=1)
    stems = tuple(
        StemInfo(
            name=name,
            file=str(path),
            sha256=file_sha256(path),
            role=song.roles[name],
            channels=sf.info(str(path)).channels,
            source_rate=44100,
            subtype="PCM_24",
        )
        for name, path in song.files.items()
    )
    meta = SessionMeta(
        stems_dir=str(song.stems_dir),
        sample_rate=44100,
        frames=FRAMES,
        stems=stems,
        sections=tuple(song.sections),
        tempo_bpm=song.tempo_bpm,
    )
    base = unity_state([(s.name, s.role) for s in stems])
    sess = Session.create(root / "session", meta, base)
    mixed = _automix(base)
    sess.commit(
        mixed,
        parent=0,
        kind="automix",
        summary="technical mix",
        tool_calls=[{"tool": "set_gain", "args": {"track": "Lead Vocal", "gain_db": 9}}],
    )
    chorus = [s for s in song.sections if s.label == "chorus"]
    lifted = mixed.model_copy(
        update={
            "automation": tuple(
                SectionAutomation(
                    track="Lead Vocal",
                    label="chorus",
                    start_s=s.start_s,
                    end_s=s.end_s,
                    gain_db=2.0,
                    reverb_send_db=-2.0,
                )
                for s in chorus
            )
        }
    )
    lifted = lifted.with_master(enabled=True, glue=Compressor(threshold_db=-12.0, ratio=2.0))
    sess.commit(
        lifted,
        parent=1,
        kind="brief",
        brief=VOCAL_BRIEF,
        planner="offline",
        tool_calls=[{"tool": "automate_section", "args": {"track": "Lead Vocal"}}],
    )
    return sess


# --- DAWproject -------------------------------------------------------------------------
def test_dawproject_validates_and_carries_every_stem(session: Session, tmp_path: Path) -> None:
    result = export_version(session, version=None, fmt="dawproject", out=tmp_path / "song")
    assert result.path == tmp_path / "song.dawproject" and result.path.is_file()
    archive = zipfile.ZipFile(result.path)
    project = etree.fromstring(archive.read("project.xml"))
    schema = etree.XMLSchema(etree.parse(str(shared_path("dawproject", "Project.xsd"))))
    assert schema.validate(project), schema.error_log
    meta_schema = etree.XMLSchema(etree.parse(str(shared_path("dawproject", "MetaData.xsd"))))
    assert meta_schema.validate(etree.fromstring(archive.read("metadata.xml")))

    state = session.load().state
    tracks = {t.get("name"): t for t in project.iter("Track")}
    assert set(state.track_names()) | {"Reverb", "Delay", "Master"} == set(tracks)
    clips = {lane.get("track"): lane for lane in project.find("Arrangement").iter("Lanes")}
    for track in state.tracks:
        channel = tracks[track.name].find("Channel")
        volume = float(channel.find("Volume").get("value"))
        assert volume == pytest.approx(10 ** (track.gain_db / 20), rel=1e-4)
        assert channel.find("Volume").get("unit") == "linear"
        assert float(channel.find("Pan").get("value")) == pytest.approx((track.pan + 1) / 2)
        path = clips[tracks[track.name].get("id")].find("Clips/Clip/Audio/File").get("path")
        with archive.open(path) as handle:
            audio, rate = sf.read(handle, always_2d=True)
        assert rate == 44100 and audio.shape[0] == FRAMES

    vocal = tracks["Lead Vocal"].find("Channel")
    assert vocal.find("Devices/Equalizer/Band[@type='highPass']/Freq").get("value") == "90"
    assert vocal.find("Devices/Compressor/Threshold").get("value") == "-24"
    sends = {s.get("destination") for s in vocal.iter("Send")}
    effect_ids = {c.get("id") for c in project.iter("Channel") if c.get("role") == "effect"}
    assert sends == effect_ids and len(effect_ids) == 2
    master = tracks["Master"].find("Channel")
    assert master.get("role") == "master" and master.find("Devices/Limiter") is not None
    volume_id = vocal.find("Volume").get("id")
    lane = clips[tracks["Lead Vocal"].get("id")]
    points = lane.find(f"Points/Target[@parameter='{volume_id}']/..").findall("RealPoint")
    gains_db = [20 * np.log10(float(p.get("value"))) for p in points]
    vocal_gain_db = state.track("Lead Vocal").gain_db
    assert max(gains_db) == pytest.approx(vocal_gain_db + 2.0, abs=1e-4)
    assert min(gains_db) == pytest.approx(vocal_gain_db, abs=1e-4)
    markers = [m.get("name") for m in project.iter("Marker")]
    assert markers == [s.label for s in session.meta.sections]
    assert project.find("Transport/Tempo").get("value") == "100"


# --- REAPER -----------------------------------------------------------------------------
def parse_rpp(text: str) -> dict:
    """A tiny RPP reader: nested <TAG ...> blocks of tokenised lines."""
    root: dict = {"tag": "ROOT", "args": [], "lines": [], "children": []}
    stack = [root]
    for raw in text.splitlines():
        line = raw.strip()
        if line.startswith("<"):
            tokens = shlex.split(line[1:], posix=True)
            node = {"tag": tokens[0], "args": tokens[1:], "lines": [], "children": []}
            stack[-1]["children"].append(node)
            stack.append(node)
        elif line == ">":
            stack.pop()
        elif line and not line.startswith("|"):
            stack[-1]["lines"].append(shlex.split(line, posix=True))
    assert len(stack) == 1, "unbalanced blocks"
    return root["children"][0]


def _line(node: dict, key: str) -> list[str]:
    return next(tokens[1:] for tokens in node["lines"] if tokens[0] == key)


def test_reaper_project_parses_and_names_every_track(session: Session, tmp_path: Path) -> None:
    result = export_version(session, version=2, fmt="reaper", out=tmp_path / "song.rpp")
    project = parse_rpp(result.path.read_text())
    assert project["tag"] == "REAPER_PROJECT"
    assert float(_line(project, "TEMPO")[0]) == 100.0
    markers = [tokens for tokens in project["lines"] if tokens[0] == "MARKER"]
    assert [m[3] for m in markers] == [s.label for s in session.meta.sections]
    tracks = {_line(t, "NAME")[0]: t for t in project["children"] if t["tag"] == "TRACK"}
    state = session.load(2).state
    assert set(tracks) == set(state.track_names()) | {"Reverb", "Delay"}
    for track in state.tracks:
        node = tracks[track.name]
        volume, pan = map(float, _line(node, "VOLPAN")[:2])
        assert volume == pytest.approx(10 ** (track.gain_db / 20), rel=1e-6)
        assert pan == pytest.approx(track.pan)
        item = next(c for c in node["children"] if c["tag"] == "ITEM")
        source = next(c for c in item["children"] if c["tag"] == "SOURCE")
        media = tmp_path / _line(source, "FILE")[0]
        assert media.is_file() and sf.info(str(media)).frames == FRAMES
    receives = [tokens for tokens in tracks["Reverb"]["lines"] if tokens[0] == "AUXRECV"]
    senders = [i for i, t in enumerate(state.tracks) if t.reverb_send_db is not None]
    assert sorted(int(r[1]) for r in receives) == senders
    envelope = next(c for c in tracks["Lead Vocal"]["children"] if c["tag"] == "VOLENV2")
    peak = max(float(tokens[2]) for tokens in envelope["lines"] if tokens[0] == "PT")
    assert 20 * np.log10(peak) == pytest.approx(2.0, abs=0.01)


def test_reaper_into_a_folder(session: Session, tmp_path: Path) -> None:
    result = export_version(session, version=0, fmt="reaper", out=tmp_path / "proj")
    assert result.path == tmp_path / "proj" / "proj.rpp"
    project = parse_rpp(result.path.read_text())
    volumes = [float(_line(t, "VOLPAN")[0]) for t in project["children"] if t["tag"] == "TRACK"]
    assert volumes == [1.0] * len(volumes)  # version 0 is the unity sum
    assert all(f.exists() for f in result.files)


# --- stems ------------------------------------------------------------------------------
def test_stems_sum_to_the_mix_and_say_what_was_processed(session: Session, tmp_path: Path) -> None:
    out = tmp_path / "stems"
    result = export_version(session, version=None, fmt="stems", out=out)
    mix, rate = sf.read(str(out / "mix.wav"), always_2d=True)
    parts = [p for p in out.glob("*.wav") if p.name not in ("mix.wav", "master.wav")]
    assert {"reverb_return.wav", "delay_return.wav"} <= {p.name for p in parts}
    assert len(parts) == len(session.meta.stems) + 2
    total = sum(sf.read(str(p), always_2d=True)[0] for p in parts)
    assert np.max(np.abs(total - mix)) < 1e-4
    assert sf.info(str(out / "mix.wav")).subtype == "PCM_24"
    assert (out / "master.wav").is_file()  # the master is on in version 2
    sidecar = json.loads((out / "stems.json").read_text())
    vocal = sidecar["tracks"]["Lead Vocal"]
    origins = [m["origin"] for m in vocal["moves"]]
    assert origins == ["automix", f'brief "{VOCAL_BRIEF}"'] and vocal["ai_processed"]
    assert sidecar["tracks"]["Hats"]["processed"] is False
    readme = (out / "README.txt").read_text()
    assert VOCAL_BRIEF in readme and "not processed" in readme
    assert set(result.files) >= {out / "mix.wav", out / "stems.json", out / "README.txt"}


# --- destinations -----------------------------------------------------------------------
def test_existing_destination_needs_force(session: Session, tmp_path: Path) -> None:
    out = tmp_path / "song.dawproject"
    out.write_bytes(b"precious")
    with pytest.raises(ExportError, match="exists; pass --force"):
        export_version(session, version=None, fmt="dawproject", out=out)
    assert out.read_bytes() == b"precious"
    folder = tmp_path / "stems"
    folder.mkdir()
    (folder / "keep.txt").write_text("x")
    with pytest.raises(ExportError, match="--force"):
        export_version(session, version=None, fmt="stems", out=folder)
    export_version(session, version=0, fmt="dawproject", out=out, force=True)
    assert zipfile.is_zipfile(out)


def test_unwritable_destination_fails_cleanly(session: Session, tmp_path: Path) -> None:
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(ExportError, match="a_file"):
        export_version(session, version=None, fmt="dawproject", out=blocker / "x.dawproject")
    with pytest.raises(ExportError, match="a_file"):
        export_version(session, version=None, fmt="stems", out=blocker / "stems")
    with pytest.raises(ExportError, match="format="):
        export_version(session, version=None, fmt="wav", out=tmp_path / "x")  # type: ignore[arg-type]


def test_a_failed_export_leaves_nothing_behind(
    session: Session, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import mixchat.tools.export.dawproject as dawproject

    def broken(*args, **kwargs):
        raise ExportError("disk full")

    monkeypatch.setattr(dawproject, "write_stem_file", broken)
    with pytest.raises(ExportError, match="disk full"):
        export_version(session, version=None, fmt="dawproject", out=tmp_path / "song.dawproject")
    assert list(tmp_path.iterdir()) == []


def test_an_export_never_replaces_a_session(session: Session) -> None:
    """`export --force -o SESSION` used to replace the session folder and lose every version."""
    before = sorted(p.name for p in (session.path / "versions").iterdir())
    for out, fmt in (
        (session.path, "stems"),
        (session.path / "versions", "stems"),
        (session.path / "versions" / "x.dawproject", "dawproject"),
        (session.path.parent, "stems"),
    ):
        with pytest.raises(SessionError, match="session"):
            export_version(session, version=None, fmt=fmt, out=out, force=True)
    assert sorted(p.name for p in (session.path / "versions").iterdir()) == before
    assert Session.open(session.path).version_numbers()


def test_a_brief_does_not_load_the_project_writers() -> None:
    """lxml (the DAWproject writer's) is loaded by an export, not by every `say`."""
    code = (
        "import sys\n"
        "import mixchat.assistant.cli.main, mixchat.assistant.turn.conversation\n"
        "print('lxml.etree' in sys.modules, 'mixchat.tools.export' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]
