"""The chat UI driven with Textual's Pilot: briefs, undo, A/B, questions, errors, WAVs, export."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from fake_sound_device import FakeSoundDevice, pull_seconds, skip_pre_roll
from textual.widgets import Markdown

from mixchat.assistant.demo.song import build_demo_stems
from mixchat.assistant.planning.errors import PlannerError
from mixchat.assistant.tui.app import MixChatApp, run_chat
from mixchat.assistant.tui.formatting import (
    CHANGED_STYLE,
    reply_markdown,
    sections_bar,
    session_path_for,
    track_row,
)
from mixchat.assistant.tui.widgets import ChatLog, TrackPanel, VersionPanel
from mixchat.dsp.errors import MixError
from mixchat.dsp.state import EqBand, TrackState
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session

SIZE = (140, 45)


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("tui")
    build_demo_stems(root / "stems", duration_s=8)
    session, _ = create_session(root / "stems", root / "template.mix")
    return session.path


@pytest.fixture
def session(template: Path, tmp_path: Path) -> Session:
    path = tmp_path / "song.mix"
    shutil.copytree(template, path)
    return Session.open(path)


async def wait_idle(app: MixChatApp, pilot, *, timeout_s: float = 40.0) -> None:
    """Until no worker is busy (bounded), then let the posted messages land."""
    deadline = time.monotonic() + timeout_s
    await pilot.pause(0.05)
    while app.busy is not None or app.planner is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app stayed busy with {app.busy!r}")
        await pilot.pause(0.1)
    await pilot.pause(0.05)


async def send(app: MixChatApp, pilot, brief: str) -> None:
    app.query_one("#brief").focus()
    for key in brief:
        await pilot.press("space" if key == " " else key)
    await pilot.press("enter")
    await wait_idle(app, pilot)


def log_sources(app: MixChatApp) -> list[str]:
    return [m.source for m in app.query_one(ChatLog).query(Markdown)]


def version_keys(app: MixChatApp) -> list[int]:
    table = app.query_one(VersionPanel)
    return [int(row.value) for row in table.rows]


async def test_brief_undo_ab_question_and_quit(session: Session) -> None:
    app = MixChatApp(session=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        assert version_keys(app) == [0]

        await send(app, pilot, "make it darker")
        assert session.version_numbers() == [0, 1]
        darker, unity = session.load(1), session.load(0)
        assert (
            darker.metrics["mix"]["spectral_centroid_hz"]
            < unity.metrics["mix"]["spectral_centroid_hz"]
        )
        reply = reply_markdown(session.chat()[-1]["text"])
        assert reply and log_sources(app)[-1] == reply
        titles = [str(t.content) for t in app.query_one(ChatLog).query(".reply-title")]
        assert "offline planner · new version v1" in titles[-1]
        assert version_keys(app) == [0, 1] and app.current == 1
        assert app.query_one(TrackPanel).row_count == len(darker.state.tracks)

        await pilot.press("ctrl+z")
        await wait_idle(app, pilot)
        assert session.version_numbers() == [0, 1, 2]
        undo = session.load(2)
        assert undo.parent == 1 and undo.state == unity.state

        await pilot.press("escape")
        versions = app.query_one(VersionPanel)
        assert app.focused is versions
        versions.point_at(0)
        await pilot.press("a")
        versions.point_at(1)
        await pilot.press("b")
        assert (app.mark_a, app.mark_b) == (0, 1)
        await pilot.press("c")
        await wait_idle(app, pilot)
        tables = [s.content for s in app.query_one(ChatLog).query(".comparison")]
        assert len(tables) == 1 and tables[0].row_count == 14
        assert [c.header for c in tables[0].columns][1:3] == ["A v0", "B v1"]

        await pilot.press("enter")  # the highlighted v1 becomes the version briefs build on
        assert app.current == 1
        assert "hs-" in app.query_one(TrackPanel).get_row("Guitar")[4].plain

        await send(app, pilot, "what attack on an 1176 for a rap vocal?")
        assert session.version_numbers() == [0, 1, 2]
        assert "1176" in log_sources(app)[-1]

        await pilot.press("ctrl+q")
    reopened = Session.open(session.path)
    assert reopened.version_numbers() == [0, 1, 2]
    assert [r["role"] for r in reopened.chat()].count("user") == 3


async def test_failing_brief_is_a_notice_not_a_crash(session: Session, monkeypatch) -> None:
    from mixchat.assistant.turn import conversation

    def broken(*args, **kwargs):
        raise PlannerError("brief='xyz' is not understood; try 'make it darker'")

    monkeypatch.setattr(conversation, "handle_brief", broken)
    app = MixChatApp(session=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        await send(app, pilot, "xyz")
        assert any(n.severity == "error" for n in app._notifications)
        assert app.query_one(ChatLog).query(".note.error")
        assert app.is_running and session.version_numbers() == [0]
        monkeypatch.undo()
        await send(app, pilot, "make it darker")
        assert session.version_numbers() == [0, 1]


async def test_history_recalls_earlier_briefs_on_open(session: Session) -> None:
    session.log_chat(role="user", text="more punch on the drums", version=0)
    session.log_chat(role="assistant", text="That brief needs no change.", version=None)
    app = MixChatApp(session=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        assert any("needs no change" in s for s in log_sources(app))
        await pilot.press("up")
        assert app.query_one("#brief").value == "more punch on the drums"
        await pilot.press("down")
        assert app.query_one("#brief").value == ""


async def test_play_without_device_offers_wavs(session: Session, monkeypatch) -> None:
    from mixchat.assistant.tui import playback

    monkeypatch.setattr(playback, "audio_output", lambda: (None, "no audio output device"))
    app = MixChatApp(session=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("ctrl+p")
        await pilot.pause(0.1)
        await pilot.press("y")
        await wait_idle(app, pilot)
    wav = session.path / "renders" / "v0000.wav"
    assert wav.exists() and wav.stat().st_size > 44


async def test_play_and_stop_with_an_audio_device(session: Session, monkeypatch) -> None:
    from mixchat.assistant.tui import playback
    from mixchat.tools.engine import Engine

    device = FakeSoundDevice()
    monkeypatch.setattr(playback, "audio_output", lambda: (device, ""))
    app = MixChatApp(session=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("ctrl+p")
        await wait_idle(app, pilot)
        (stream,) = device.streams
        assert stream.started and stream.samplerate == session.meta.sample_rate
        skip_pre_roll(stream)
        heard = pull_seconds(stream, 0.5)
        expected = Engine.for_session(session).render(session.load().state).audio
        np.testing.assert_allclose(heard, expected[:, : heard.shape[1]], atol=1e-6)
        await pilot.press("ctrl+p")
        assert app.player is not None and not app.player.playing and stream.stopped
        # play again: from where it stopped, after the new stream's pre-roll
        await pilot.press("ctrl+p")
        await wait_idle(app, pilot)
        resumed = device.streams[-1]
        assert resumed is not stream and app.player.position_s == pytest.approx(0.5, abs=0.01)
        skip_pre_roll(resumed)
        heard = pull_seconds(resumed, 0.5)
        start = heard.shape[1]  # 0.5 s in
        np.testing.assert_allclose(heard, expected[:, start : 2 * start], atol=1e-6)
        await pilot.press("alt+left")  # seek back 5 s: the top
        assert app.player.position_s == 0.0
        np.testing.assert_allclose(
            pull_seconds(resumed, 0.25), expected[:, : start // 2], atol=1e-6
        )
        await pilot.press("ctrl+p")


async def test_a_brief_while_playing_switches_version_at_the_playhead(
    session: Session, monkeypatch
) -> None:
    from mixchat.assistant.tui import playback
    from mixchat.tools.engine import Engine

    device = FakeSoundDevice()
    monkeypatch.setattr(playback, "audio_output", lambda: (device, ""))
    app = MixChatApp(session=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("ctrl+p")
        await wait_idle(app, pilot)
        (stream,) = device.streams
        skip_pre_roll(stream)
        pull_seconds(stream, 1.0)
        at = app.player.position_s
        await send(app, pilot, "bring the vocal up 3 dB")
        await wait_idle(app, pilot)
        deadline = time.monotonic() + 30
        while app.player.version != app.current and time.monotonic() < deadline:
            stream.pull(2048)  # the card plays on: the switch comes at the playhead
            await pilot.pause(0.01)
        assert app.player.version == app.current != 0
        assert app.player.position_s == pytest.approx(at, abs=0.5)  # no jump back to the top
        pull_seconds(stream, 0.05)  # the 30 ms crossfade
        heard = pull_seconds(stream, 0.25)
        start = round(app.player.position_s * session.meta.sample_rate) - heard.shape[1]
        new = Engine.for_session(session).render(session.load(app.current).state).audio
        np.testing.assert_allclose(heard, new[:, start : start + heard.shape[1]], atol=1e-6)
        await pilot.press("ctrl+p")


async def test_export_dialog_writes_a_dawproject(session: Session, tmp_path: Path) -> None:
    out = tmp_path / "exported.dawproject"
    app = MixChatApp(session=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("ctrl+s")
        await pilot.pause(0.1)
        field = app.screen.query_one("#export-path")
        field.value = str(out)
        field.focus()
        await pilot.press("enter")
        await wait_idle(app, pilot)
    assert out.exists() and out.stat().st_size > 0


async def test_stems_dir_creates_a_session_and_opens_it(template: Path, tmp_path: Path) -> None:
    stems = tmp_path / "stems"
    shutil.copytree(template.parent / "stems", stems)
    (tmp_path / "stems.mix").mkdir()
    app = MixChatApp(stems_dir=stems)
    async with app.run_test(size=SIZE) as pilot:
        deadline = time.monotonic() + 40
        while app.session is None and time.monotonic() < deadline:
            await pilot.pause(0.2)
        await wait_idle(app, pilot)
        assert app.session is not None and app.session.path == tmp_path / "stems-2.mix"
        assert version_keys(app) == app.session.version_numbers()


def test_run_chat_needs_a_session_or_stems(tmp_path: Path) -> None:
    with pytest.raises(MixError, match="session"):
        run_chat()
    with pytest.raises(MixError, match="not a mixchat session"):
        run_chat(session=tmp_path / "missing.mix")


def test_track_row_highlights_what_changed() -> None:
    before = TrackState(name="Vocal", role="vocal")
    after = before.model_copy(
        update={"gain_db": 2.0, "eq": (EqBand(kind="high_shelf", freq_hz=3500, gain_db=-3),)}
    )
    name, role, gain, pan, processing = track_row(after, before)
    assert gain.style == CHANGED_STYLE and pan.style == ""
    assert "hs-3.0@3.5k" in processing.plain
    assert any(span.style == CHANGED_STYLE for span in processing.spans)


def test_sections_bar_fills_the_width_in_proportion() -> None:
    sections = [
        {"label": "verse", "start_s": 0.0, "end_s": 10.0},
        {"label": "chorus", "start_s": 10.0, "end_s": 40.0},
    ]
    bar = sections_bar(sections, width=80, duration_s=40.0)
    assert len(bar.plain) == 80
    assert bar.plain.index("chorus") == 21  # a quarter of the width, plus its leading space


def test_session_path_for_numbers_taken_folders(tmp_path: Path) -> None:
    stems = tmp_path / "song"
    assert session_path_for(stems) == tmp_path / "song.mix"
    (tmp_path / "song.mix").mkdir()
    assert session_path_for(stems) == tmp_path / "song-2.mix"
