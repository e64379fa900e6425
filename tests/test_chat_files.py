"""Files in the conversation, session-aware answers and A/B playback, through the turn (as
`say` and the MCP server's `say` use it) and through the chat window (Pilot).

Paths are written the ways terminals paste them (quoted, backslash-escaped spaces, ``~``,
``file://``); every check is on what was done and measured, not on the wording.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from fake_sound_device import FakeSoundDevice, pull_seconds, skip_pre_roll
from screenshot_factory import catalogue, write
from textual.widgets import Markdown

from mixchat.assistant.demo.song import build_demo_stems
from mixchat.assistant.planning.errors import NamedFileError
from mixchat.assistant.reading.files import file_mentions, words_around
from mixchat.assistant.tui.app import MixChatApp
from mixchat.assistant.tui.widgets import ChatLog, VersionPanel
from mixchat.assistant.turn.actions import run_automix
from mixchat.assistant.turn.conversation import handle_brief
from mixchat.dsp.reference import band_levels_db
from mixchat.dsp.stereo import stereo_width
from mixchat.tools.catalog import ToolCall, ToolContext, apply_calls
from mixchat.tools.engine import Engine
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session

SIZE = (160, 48)


@pytest.fixture(scope="module")
def material(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """An automixed demo session, its mix render, a brighter and wider reference with a
    space in its name, a stem and a compressor screenshot."""
    root = tmp_path_factory.mktemp("files")
    build_demo_stems(root / "stems", duration_s=8)
    session, _ = create_session(root / "stems", root / "template.mix")
    run_automix(session)
    vocal = next(t.name for t in session.load().state.tracks if t.role == "vocal")
    context = ToolContext(
        sections=session.meta.sections,
        duration_s=session.meta.duration_s,
        sample_rate=session.meta.sample_rate,
    )
    call = ToolCall(
        tool="set_compressor",
        args={
            "track": vocal,
            "threshold_db": -26.0,
            "ratio": 3.5,
            "attack_ms": 10.0,
            "release_ms": 150.0,
        },
    )
    state, _ = apply_calls(session.load().state, [call], context)
    engine = Engine.for_session(session)
    session.commit(
        state, parent=1, brief="compress the vocal", tool_calls=[call.record()],
        metrics=engine.measure(state),
    )  # fmt: skip
    mix = engine.render(session.load().state).audio
    rate = session.meta.sample_rate
    sf.write(root / "my mix.wav", mix.T, rate, subtype="FLOAT")
    side = 0.5 * (mix[0] - mix[1])
    mid = 0.5 * (mix[0] + mix[1])
    bright = np.stack([mid + 2.0 * side, mid - 2.0 * side])
    spectrum = np.fft.rfft(bright, axis=1)
    freqs = np.fft.rfftfreq(bright.shape[1], 1 / rate)
    spectrum *= np.where(freqs > 2500, 3.0, 1.0)  # about +9.5 dB over 2.5 kHz
    bright = np.fft.irfft(spectrum, n=bright.shape[1], axis=1)
    bright *= 0.9 / np.abs(bright).max()
    (root / "refs").mkdir()
    sf.write(root / "refs" / "ref song.wav", bright.T, rate, subtype="FLOAT")
    spec = next(s for s in catalogue() if s.name == "comp_snare_fast_attack")
    return {
        "root": root,
        "template": session.path,
        "mix": root / "my mix.wav",
        "reference": root / "refs" / "ref song.wav",
        "stem": next((root / "stems").glob("Lead*")),
        "screenshot": write(spec, root),
    }


@pytest.fixture
def session(material: dict[str, Path], tmp_path: Path) -> Session:
    path = tmp_path / "song.mix"
    shutil.copytree(material["template"], path)
    return Session.open(path)


# --- finding paths ------------------------------------------------------------------------
@pytest.mark.parametrize(
    "pasted",
    [
        "make it sound like '{path}'",
        'make it sound like "{path}"',
        "make it sound like {escaped}",
        "make it sound like {url}",
        "make it sound like {path} please",
    ],
)
def test_pasted_paths_are_found(material: dict[str, Path], pasted: str) -> None:
    path = material["reference"]
    text = pasted.format(
        path=path,
        escaped=str(path).replace(" ", "\\ "),
        url="file://" + str(path).replace(" ", "%20"),
    )
    found = file_mentions(text)
    assert [m.path for m in found] == [path]
    assert words_around(text, found).startswith("make it sound like")


@pytest.mark.parametrize(
    "said",
    [
        "here's my new take of the vocal: '{path}'",
        "it's the bounce \"{path}\", isn't it?",
        "don't laugh, it's `{path}`",
    ],
)
def test_apostrophes_around_a_quoted_path_are_not_quotes(
    material: dict[str, Path], said: str, tmp_path: Path
) -> None:
    path = material["reference"]  # a space in its name: only its quotes keep it whole
    text = said.format(path=path)
    found = file_mentions(text)
    assert [m.path for m in found] == [path]
    assert str(path) not in words_around(text, found)
    apostrophe = tmp_path / "don't stop.wav"
    shutil.copy(path, apostrophe)
    assert [m.path for m in file_mentions(f"we're close: '{apostrophe}'")] == [apostrophe]


def test_home_and_relative_paths(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    (tmp_path / "refs").mkdir()
    (tmp_path / "refs" / "a.wav").write_bytes(b"")
    assert file_mentions("like ~/refs/a.wav.")[0].path == tmp_path / "refs" / "a.wav"
    assert file_mentions("use refs/a.wav", base=tmp_path)[0].path == tmp_path / "refs" / "a.wav"
    assert file_mentions("cut 200/300 Hz and/or the vocal") == []


def test_a_missing_or_unreadable_file_is_one_line(session: Session, tmp_path: Path) -> None:
    with pytest.raises(NamedFileError, match="does not exist") as missing:
        handle_brief(session, "make it sound like ~/nowhere/song.wav")
    text = tmp_path / "notes.txt"
    text.write_text("not audio")
    with pytest.raises(NamedFileError, match="neither an audio file") as unreadable:
        handle_brief(session, f"check {text}")
    for error in (missing.value, unreadable.value):
        assert "\n" not in str(error)
    assert session.version_numbers() == [0, 1, 2]


# --- what each file gets ------------------------------------------------------------------
def test_reference_match_moves_the_mix_toward_the_reference(
    session: Session, material: dict[str, Path]
) -> None:
    reference = material["reference"]
    result = handle_brief(
        session, f"make it sound like {str(reference).replace(' ', chr(92) + ' ')}"
    )
    assert result.version == 3 and result.parent == 2
    tools = {c.tool for c in result.tool_calls}
    assert {"set_master", "apply_master_eq", "set_master_width"} <= tools
    engine = Engine.for_session(session)
    rate = session.meta.sample_rate
    ref_audio = sf.read(reference, dtype="float32")[0].T
    before = engine.render(session.load(2).state).audio
    after = engine.render(session.load(3).state).audio
    distance = lambda x: np.abs(band_levels_db(x, rate) - band_levels_db(ref_audio, rate)).mean()  # noqa: E731
    assert distance(after) < distance(before) - 1.0
    made = session.load(3)
    width_before = session.load(2).metrics["mix"]["stereo_width"]
    width_after = made.metrics["mix"]["stereo_width"]
    assert width_after > width_before  # the reference is wider
    # the width lands nearer the reference's (matched after the EQ, which moves it too)
    assert abs(width_after - stereo_width(ref_audio)) < abs(width_before - stereo_width(ref_audio))
    context = ToolContext(
        sections=session.meta.sections, duration_s=session.meta.duration_s, sample_rate=rate
    )
    calls = [ToolCall(tool=c.tool, args=c.args) for c in made.tool_calls]
    replayed, _ = apply_calls(session.load(2).state, calls, context)
    assert replayed == made.state


def test_an_audio_file_is_judged_as_a_mix_or_a_stem(
    session: Session, material: dict[str, Path]
) -> None:
    as_mix = handle_brief(session, f'"{material["mix"]}"')
    assert as_mix.attachment.kind == "mix" and as_mix.version is None
    assert any(Path(p).name == "spectrum.png" and Path(p).exists() for p in as_mix.plots)
    stem = material["stem"]
    as_stem = handle_brief(session, f"{str(stem).replace(' ', chr(92) + ' ')}")
    assert as_stem.attachment.kind == "stem"
    told = handle_brief(session, f"here is a new vocal take '{material['mix']}'")
    assert (told.attachment.kind, told.attachment.role) == ("stem", "vocal")
    assert session.version_numbers() == [0, 1, 2]


def test_a_screenshot_names_the_settings_read_and_the_tracks_own(
    session: Session, material: dict[str, Path]
) -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (make install brings it on Debian)")
    result = handle_brief(session, f"'{material['screenshot']}' this is on my vocal")
    assert result.attachment.kind == "screenshot"
    assert result.report["parameters"]["ratio"] == 4.0
    vocal = next(t for t in session.load().state.tracks if t.role == "vocal")
    assert vocal.compressor is not None
    assert f"{vocal.compressor.threshold_db:g}" in result.reply
    unnamed = handle_brief(session, f"'{material['screenshot']}'")
    assert "for a other" not in unnamed.reply
    # no words: the role the feedback assumed is the one the plugin's title names ("Snare
    # Comp"), and the reply's heading says the same source as its items
    assert unnamed.report["role"] == "snare"
    assert "Feedback for a snare" in unnamed.reply


def test_a_question_about_the_vocal_compressor_quotes_the_session(session: Session) -> None:
    vocal = next(t for t in session.load().state.tracks if t.role == "vocal")
    assert vocal.compressor is not None
    result = handle_brief(
        session, "what attack should I use on the vocal compressor for this song?"
    )
    assert result.version is None and result.intent == "question"
    reply = result.reply
    assert f"{vocal.compressor.threshold_db:g}" in reply  # its current compressor
    quarter = 60000.0 / session.meta.tempo_bpm
    assert f"{quarter:.0f} ms" in reply or f"{quarter / 2:.0f} ms" in reply  # the tempo
    assert "dB on its loudest passages" in reply  # the measured gain reduction


def test_mcp_refuses_a_pasted_path_outside_its_roots(material: dict[str, Path], tmp_path):
    from mixchat.assistant.mcp.errors import AccessError
    from mixchat.assistant.mcp.paths import PathPolicy

    policy = PathPolicy.from_roots([tmp_path])
    quoted = f"make it sound like '{material['reference']}'"
    with pytest.raises(AccessError, match="outside the folders"):
        policy.check_paths_in(quoted, name="brief")
    with pytest.raises(AccessError, match="outside the folders"):
        policy.check_paths_in(
            "like file://" + str(material["reference"]).replace(" ", "%20"), name="brief"
        )


# --- the chat window ----------------------------------------------------------------------
async def wait_idle(app: MixChatApp, pilot, *, timeout_s: float = 60.0) -> None:
    import time

    deadline = time.monotonic() + timeout_s
    await pilot.pause(0.05)
    while app.busy is not None or app.planner is None:
        if time.monotonic() > deadline:
            raise TimeoutError(f"the app stayed busy with {app.busy!r}")
        await pilot.pause(0.1)
    await pilot.pause(0.1)


async def send(app: MixChatApp, pilot, text: str) -> None:
    brief = app.query_one("#brief")
    brief.focus()
    brief.value = text  # as a terminal pastes a dropped file's path
    await pilot.press("enter")
    await wait_idle(app, pilot)


def last_reply(app: MixChatApp) -> str:
    return [m.source for m in app.query_one(ChatLog).query(Markdown)][-1]


async def test_chat_handles_mix_stem_reference_and_question(
    session: Session, material: dict[str, Path]
) -> None:
    app = MixChatApp(session=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        await send(app, pilot, str(material["mix"]).replace(" ", "\\ "))
        assert "Mix-Check" in last_reply(app) and "finished mix" in last_reply(app)
        await send(app, pilot, f"my new vocal stem '{material['stem']}'")
        assert "a stem (vocal)" in last_reply(app)
        await send(app, pilot, f'make it sound like "{material["reference"]}"')
        versions = [int(r.value) for r in app.query_one(VersionPanel).rows]
        assert versions == [0, 1, 2, 3] and app.current == 3
        await send(app, pilot, "what attack should I use on the vocal compressor for this song?")
        vocal = next(t for t in session.load(3).state.tracks if t.role == "vocal")
        assert f"{vocal.compressor.threshold_db:g}" in last_reply(app)
        await send(app, pilot, "make it sound like /nowhere/at/all.wav")
        notes = [str(n.render()) for n in app.query(".note.error")]
        assert any("does not exist" in n for n in notes)


@pytest.mark.parametrize("pictures", ["halfcell", "none"])
async def test_feedback_plots_are_drawn_in_the_chat_or_named(
    session: Session, material: dict[str, Path], pictures: str
) -> None:
    app = MixChatApp(session=session, pictures=pictures)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        await send(app, pilot, f"'{material['mix']}'")
        reply = last_reply(app)
        assert "spectrum.png" in reply and "loudness.png" in reply  # the saved PNGs, named
        plots = list(app.query_one(ChatLog).query(".plot"))
        if pictures == "none":
            assert plots == []
            return
        assert len(plots) == 2
        log = app.query_one(ChatLog).content_region
        for plot in plots:  # both in view side by side, neither clipped by the log's edge
            assert plot.region.width >= 20 and plot.region.height >= 5, plot.region
            assert log.x <= plot.region.x and plot.region.right <= log.right, (plot.region, log)


async def test_chat_screenshot_path(session: Session, material: dict[str, Path]) -> None:
    if shutil.which("tesseract") is None:
        pytest.skip("tesseract is not installed (make install brings it on Debian)")
    app = MixChatApp(session=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        await send(app, pilot, f"{material['screenshot']} this is on my vocal")
        reply = last_reply(app)
        assert "ratio 4" in reply and "Feedback for a vocal" in reply


def pull_until(stream, done) -> None:
    """The card plays on in real time or faster (the switch, made on a worker thread, comes
    at the playhead) until ``done()``, bounded."""
    import time

    deadline = time.monotonic() + 30
    while not done():
        if time.monotonic() > deadline:
            raise TimeoutError("the switch never came")
        stream.pull(512)
        time.sleep(0.005)


async def test_ab_switch_during_playback_keeps_the_position(session: Session, monkeypatch) -> None:
    from mixchat.assistant.tui import playback

    device = FakeSoundDevice()
    monkeypatch.setattr(playback, "audio_output", lambda: (device, ""))
    handle_brief(session, "make it darker")
    engine = Engine.for_session(session)
    renders = {v: engine.render(session.load(v).state).audio for v in (2, 3)}
    rate = session.meta.sample_rate
    app = MixChatApp(session=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("ctrl+p")
        await wait_idle(app, pilot)
        player = app.player
        assert player is not None and player.playing and player.version == 3
        (stream,) = device.streams
        skip_pre_roll(stream)
        pull_seconds(stream, 2.0)
        assert player.position_s == pytest.approx(2.0, abs=0.01)
        await pilot.press("ctrl+o")  # A/B: v3 and its parent v2
        pull_until(stream, lambda: player.version == 2)
        await wait_idle(app, pilot)
        assert (app.mark_a, app.mark_b) == (2, 3)
        switched = player.switched_at / rate
        assert 2.0 <= switched <= 2.6, switched  # where it was playing, not the top
        gains = playback.matched_gains_db(app.loudness)
        levels = {v: app.loudness[v] + gains[v] for v in (2, 3)}
        assert abs(levels[2] - levels[3]) < 0.01  # level-matched
        # from the switch on: v3 fading into v2 over 30 ms, then v2 at its matched gain; no
        # gap and nothing skipped or repeated
        begin = round(player.position_s * rate)
        heard = pull_seconds(stream, 0.5)
        frames = np.arange(begin, begin + heard.shape[1])
        ramp = np.clip((frames - player.switched_at) / player.fade_frames, 0.0, 1.0)
        at_gain = {v: renders[v][:, frames] * np.float32(10 ** (gains[v] / 20)) for v in (2, 3)}
        np.testing.assert_allclose(heard, at_gain[3] * (1 - ramp) + at_gain[2] * ramp, atol=1e-4)
        await pilot.press("ctrl+o")
        pull_until(stream, lambda: player.version == 3)
        await wait_idle(app, pilot)
        assert player.switched_at / rate == pytest.approx(switched + 0.5, abs=0.15)
        at = player.position_s
        await pilot.press("alt+right")
        assert player.position_s == pytest.approx(min(at + 5.0, session.meta.duration_s), abs=0.01)
        await pilot.press("ctrl+p")
        assert not player.playing


async def test_x_in_the_version_list_switches_a_b_while_playing(
    session: Session, monkeypatch
) -> None:
    # the list's letters act where the ctrl+ keys are hidden: x must not be disabled with ctrl+o
    from mixchat.assistant.tui import playback

    device = FakeSoundDevice()
    monkeypatch.setattr(playback, "audio_output", lambda: (device, ""))
    handle_brief(session, "make it brighter")
    newest = session.latest_number()
    app = MixChatApp(session=session)
    async with app.run_test(size=SIZE) as pilot:
        await wait_idle(app, pilot)
        await pilot.press("escape")  # to the version list, on the newest version
        await pilot.press("a", "up", "b", "p")
        await wait_idle(app, pilot)
        player = app.player
        assert player is not None and player.playing and player.version == newest - 1
        (stream,) = device.streams
        skip_pre_roll(stream)
        pull_seconds(stream, 1.0)
        await pilot.press("x")
        pull_until(stream, lambda: player.version == newest)
        await wait_idle(app, pilot)
        assert (app.mark_a, app.mark_b) == (newest, newest - 1)
        assert 1.0 <= player.switched_at / session.meta.sample_rate <= 1.6
        await pilot.press("s")
        assert not player.playing


def test_a_range_that_is_a_section_keeps_its_name_after_go_halfway_back() -> None:
    from mixchat.dsp.state import MixState, Section, TrackState

    chorus = Section(label="chorus", start_s=14.4, end_s=24.0)
    context = ToolContext(
        sections=(Section(label="verse", start_s=0.0, end_s=14.4), chorus), duration_s=30.0
    )
    state = MixState(tracks=(TrackState(name="Lead Vocal", role="vocal"),))
    ride = ToolCall(
        tool="automate_section", args={"track": "Lead Vocal", "section": "chorus", "gain_db": 2.0}
    )
    back = ToolCall(
        tool="automate_section",
        args={"track": "Lead Vocal", "start_s": 14.4, "end_s": 24.0, "gain_db": 1.0},
    )  # what the follow-up "go halfway back" calls
    _, changes = apply_calls(state, [ride, back], context)
    assert "in chorus (14.4–24.0 s)" in changes[-1].summary
    assert "range" not in changes[-1].summary
