"""The clean-up in the flow: the automix cleans only what it measured, briefs name faults,
follow-ups take clean-up moves back, and feedback judges one stem as a stem."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixchat.assistant.inspection.feedback import feedback_for_path
from mixchat.assistant.turn.actions import run_automix
from mixchat.assistant.turn.conversation import handle_brief
from mixchat.assistant.turn.result import TurnResult
from mixchat.dsp.cleanup.detect import stream_faults
from mixchat.tools import cleanup_faults
from mixchat.tools.cleanup_faults import stem_faults
from mixchat.tools.engine import Engine
from mixchat.tools.session import Session, ToolCallRecord
from mixchat.tools.workspace import create_session
from tests.conftest import shared_path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
from cleanup_faults import plant_hum, plant_noise, plant_sibilance  # noqa: E402

CLEANUP_TOOLS = {"remove_hum", "reduce_noise", "declick", "remove_dc", "de_ess", "control_plosives"}


def _read(path: Path) -> tuple[np.ndarray, int]:
    audio, rate = sf.read(str(path), dtype="float32", always_2d=True)
    return audio.T.copy(), rate


def _write(folder: Path, name: str, audio: np.ndarray, rate: int) -> None:
    sf.write(str(folder / f"{name}.wav"), audio.T, rate, subtype="FLOAT")


@pytest.fixture(scope="module")
def faulty_session(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = shared_path("real", "falcon69")
    stems = tmp_path_factory.mktemp("stems")
    rng = np.random.default_rng(11)
    for path in sorted(source.glob("*.flac")):
        audio, rate = _read(path)
        if path.stem == "other":
            audio, _ = plant_hum(audio, rate, f0=60.0, harmonics=5, level_db=-30, rng=rng)
        if path.stem == "vocals":
            audio, _ = plant_hum(audio, rate, f0=60.0, harmonics=5, level_db=-30, rng=rng)
        _write(stems, path.stem, audio, rate)
    session, _ = create_session(stems, tmp_path_factory.mktemp("s") / "s.mix")
    return session.path


def _cleanup_calls(result: TurnResult) -> list[ToolCallRecord]:
    return [c for c in result.tool_calls if c.tool in CLEANUP_TOOLS]


def test_automix_cleans_only_the_stems_with_a_fault(faulty_session: Path) -> None:
    result = run_automix(Session.open(faulty_session))
    calls = _cleanup_calls(result)
    assert {(c.tool, c.args["track"]) for c in calls} == {
        ("remove_hum", "other"),
        ("remove_hum", "vocals"),
    }
    assert "60 Hz hum" in result.reply


def test_a_new_session_holds_the_findings_a_detection_pass_makes(
    faulty_session: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # measured while ``new`` decoded the stems, for the roles it guessed: the automix
    # reads them instead of decoding every stem again, and they are what a pass finds
    session = Session.open(faulty_session)
    engine = Engine.for_session(session)
    state = session.load(0).state
    cached = {t.name: stem_faults(engine, t) for t in state.tracks}
    assert {n for n, f in cached.items() if f.hum.found} == {"other", "vocals"}
    for track in state.tracks:
        source = engine.stem_sources()[track.name]
        fresh = stream_faults(
            source.reader.read,
            frames=source.frames,
            sample_rate=session.meta.sample_rate,
            role=track.role,
        )
        assert cached[track.name] == fresh, track.name

    def no_pass(*args: object, **kwargs: object) -> None:
        raise AssertionError("the automix ran a detection pass")

    monkeypatch.setattr(cleanup_faults, "stream_faults", no_pass)
    lookup = cleanup_faults.faults_lookup(engine, state, ahead=[t.name for t in state.tracks])
    assert {t.name: lookup(t.name) for t in state.tracks} == cached


def test_a_fault_free_session_gets_no_cleanup(tmp_path: Path) -> None:
    session, _ = create_session(shared_path("real", "falcon69"), tmp_path / "s.mix")
    assert _cleanup_calls(run_automix(session)) == []


def test_briefs_and_follow_ups_on_cleanup_moves(faulty_session: Path) -> None:
    session = Session.open(faulty_session)
    first = handle_brief(session, "there's hum on the vocals")
    assert [(c.tool, c.args["track"]) for c in first.tool_calls] == [("remove_hum", "vocals")]
    depth = session.load(first.version).state.track("vocals").cleanup.hum.reduction_db
    earlier = session.load(first.parent).state.track("vocals").cleanup.hum
    before = earlier.reduction_db if earlier is not None else 0.0
    less = handle_brief(session, "less")
    after = session.load(less.version).state.track("vocals").cleanup.hum
    assert after is not None and after.reduction_db == pytest.approx((depth + before) / 2, abs=0.1)
    undone = handle_brief(session, "undo")
    assert session.load(undone.version).state == session.load(first.version).state
    none = handle_brief(session, "get rid of the clicks on the bass")
    assert none.tool_calls == () and "no clicks" in none.reply


def test_noisy_and_essy_vocal_briefs(tmp_path: Path) -> None:
    vocal, rate = _read(shared_path("songs", "song_1", "Lead_Vocal_Main.flac"))
    vocal = vocal[:, : 40 * rate]
    vocal, _ = plant_noise(vocal, rate, level_db=-40, rng=np.random.default_rng(3))
    vocal, _ = plant_sibilance(vocal, rate, boost_db=10, rng=np.random.default_rng(4))
    bass, _ = _read(shared_path("songs", "song_1", "Bass_DI_Clean.flac"))
    stems = tmp_path / "stems"
    stems.mkdir()
    _write(stems, "Lead_Vocal", vocal, rate)
    _write(stems, "Bass", bass[:, : 40 * rate], rate)
    session, _ = create_session(stems, tmp_path / "s.mix")
    noisy = handle_brief(session, "the vocal is noisy between phrases")
    assert [c.tool for c in noisy.tool_calls] == ["reduce_noise"]
    state = session.load(noisy.version).state
    assert state.track("Lead_Vocal").cleanup.denoise.profile.seconds > 1.0
    esses = handle_brief(session, "the esses are killing me")
    assert [(c.tool, c.args["track"]) for c in esses.tool_calls] == [("de_ess", "Lead_Vocal")]
    # the reply quotes what the brief named: the vocal's own ess band, before -> after
    measured = [line for line in esses.reply.splitlines() if "before → after" in line]
    assert measured and "Lead_Vocal 5" in measured[-1] and "kHz level" in measured[-1]
    rumble = handle_brief(session, "too much rumble on the vocal")
    assert ("set_high_pass", "Lead_Vocal") in {(c.tool, c.args["track"]) for c in rumble.tool_calls}


def test_stem_feedback_judges_a_stem_for_its_role(tmp_path: Path) -> None:
    bass, rate = _read(shared_path("songs", "song_1", "Bass_DI_Clean.flac"))
    hummy, _ = plant_hum(
        bass, rate, f0=50.0, harmonics=4, level_db=-25, rng=np.random.default_rng(9)
    )
    path = tmp_path / "Bass DI.wav"
    _write(tmp_path, "Bass DI", hummy, rate)
    report = feedback_for_path(path)
    keys = [i["key"] for i in report["items"]]
    assert report["kind"] == "stem" and report["role"] == "bass"
    assert "hum" in keys and "stem_preparation" in keys
    assert not any(k.startswith("tonal_") for k in keys)
    as_vocal = feedback_for_path(path, role="vocal")
    assert as_vocal["role"] == "vocal"
    json.dumps(report)


def test_feedback_on_a_stem_of_a_session(faulty_session: Path) -> None:
    report = feedback_for_path(faulty_session, stem="vocals")
    assert report["kind"] == "stem" and report["stem"] == "vocals"
    hum = next(i for i in report["items"] if i["key"] == "hum")
    assert hum["measured"]["fundamental_hz"] == pytest.approx(60.0, abs=0.05)


@pytest.mark.parametrize(
    ("brief", "concept", "target"),
    [
        ("there's hum on the bass", "hum", "bass"),
        ("the vocal is noisy between phrases", "noise", "vocal"),
        ("the esses are killing me", "sibilance", None),
        ("get rid of the clicks", "clicks", None),
        ("too much rumble on the vocal", "rumble", "vocal"),
        ("the p pops on the vocal", "plosives", "vocal"),
        ("remove the DC offset on the bass", "dc_offset", "bass"),
    ],
)
def test_fault_briefs_are_read(brief: str, concept: str, target: str | None) -> None:
    from mixchat.assistant.reading.reader import read_brief

    reading = read_brief(brief, tracks=[("Bass", "bass"), ("Vox", "vocal")])
    assert reading.intent == "change"
    assert [(a.concept, a.direction) for c in reading.clauses for a in c.asks] == [(concept, -1)]
    values = [t.value.lower() for c in reading.clauses for t in c.targets]
    assert values == ([target] if target else [])
