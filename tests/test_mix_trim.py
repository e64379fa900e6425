"""The mix's trim (``MasterState.trim_db``): the loudness compensation after a brief, one gain
after the track sum and the bus returns. Measured on the demo song: a "make it wider" brief
re-renders no reverb, a brief that drifts is trimmed back with no second mix; a trimmed state sounds as its faders moved instead
would (to float32 rounding); a state saved before the trim existed loads and renders as it
did, sample for sample."""

from __future__ import annotations

import json

import numpy as np
import pytest
from brief_checks import Songs

from mixchat.assistant.turn.conversation import LOUDNESS_DRIFT_LU, handle_brief
from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.state import MixState
from mixchat.tools.catalog import ToolCall, ToolContext, apply_call
from mixchat.tools.export import export_version
from mixchat.tools.export.common import db_to_linear
from mixchat.tools.export.reaper import number


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    return Songs(tmp_path_factory.mktemp("trim"))["demo"]


def _return_files(song, metrics):
    folder = song.engine.tracks_dir
    return {bus: folder / name for bus, name in metrics["bus_files"].items()}


def test_a_wider_brief_leaves_the_reverb_return_as_it_was(song) -> None:
    """Pan and width do not reach the reverb (its send is taken before them): its cached
    return is read, not made again, and the loudness stays within what the turn holds."""
    base = song.base_version()
    path = _return_files(song, base.metrics)["reverb"]
    inode, content = path.stat().st_ino, path.read_bytes()  # its time is touched: in use
    made = song.session.load(handle_brief(song.session, "make it wider", parent=song.base).version)
    assert _return_files(song, made.metrics)["reverb"] == path
    assert path.stat().st_ino == inode and path.read_bytes() == content
    drift = made.metrics["mix"]["integrated_lufs"] - base.metrics["mix"]["integrated_lufs"]
    assert abs(drift) <= LOUDNESS_DRIFT_LU


def test_a_brief_that_drifts_is_trimmed_back_without_a_second_mix(song) -> None:
    """A brief that moves the loudness (more low end) is brought back by the mix's trim: the
    faders stay, the loudness lands within 0.5 LU, and the version's cached mix and returns
    are the ones the brief's own moves made (the trim mixed nothing again)."""
    base = song.base_version()
    made = song.session.load(handle_brief(song.session, "more low end", parent=song.base).version)
    *moves, trim = made.tool_calls
    assert trim.tool == "trim_mix"
    assert made.state.master.trim_db == pytest.approx(trim.args["delta_db"])
    untrimmed = made.state.with_master(trim_db=0.0)
    for track in made.state.tracks:
        assert track.gain_db == untrimmed.track(track.name).gain_db
    rendered = song.engine.render(untrimmed)
    assert made.metrics["mix_file"] == rendered.mix_file.name
    assert made.metrics["bus_files"] == rendered.bus_files
    before = base.metrics["mix"]["integrated_lufs"]
    assert abs(made.metrics["mix"]["integrated_lufs"] - before) <= 0.5
    again = song.engine.render(made.state)
    assert abs(integrated_lufs(again.audio, sample_rate=again.sample_rate) - before) <= 0.5


def _error_db(a: np.ndarray, b: np.ndarray) -> float:
    diff = a.astype(np.float64) - b
    return float(10 * np.log10(np.sum(diff**2) / np.sum(b.astype(np.float64) ** 2)))


def test_a_trim_sounds_as_the_faders_moved_instead(song) -> None:
    """The same mix to float32 rounding: one rounding (about -144 dB) on the dry tracks; the
    buses' feedback loops run on a scaled input and add their own (about -110 dB)."""
    state = song.base_version().state
    dry = state.model_copy(
        update={
            "tracks": tuple(
                t.model_copy(update={"reverb_send_db": None, "delay_send_db": None})
                for t in state.tracks
            )
        }
    )
    trim = ToolCall(tool="trim_mix", args={"delta_db": -3.5})
    for source, bound_db in ((state, -100.0), (dry, -135.0)):
        trimmed = apply_call(source, trim, ToolContext()).state
        faders = trimmed.with_trim_in_faders()
        assert faders.master.trim_db == 0.0
        assert [t.gain_db for t in faders.tracks] == [t.gain_db - 3.5 for t in source.tracks]
        a = song.engine.render(trimmed, master=False).premaster
        b = song.engine.render(faders, master=False).premaster
        assert _error_db(a, b) < bound_db
        assert float(np.max(np.abs(a - b))) <= float(np.max(np.abs(b))) * 10 ** (bound_db / 20)


def test_a_state_saved_before_the_trim_loads_and_renders_as_it_did(song) -> None:
    base = song.base_version()
    saved = json.loads(base.state.model_dump_json())
    assert "trim_db" not in saved["master"]  # no trim: dumped exactly as before it existed
    loaded = MixState.model_validate(saved)
    assert loaded == base.state and loaded.master.trim_db == 0.0
    assert loaded.model_dump_json() == base.state.model_dump_json()
    # kept renders: a throwaway (keep_mix=False) has a pre-master only when its mix happens
    # to be in the cache still, which depends on what the cache evicted before
    plain = song.engine.render(loaded, master=False).premaster
    zero = loaded.with_master(trim_db=0.0)
    again = song.engine.render(zero, master=False).premaster
    assert np.array_equal(plain, again)
    cached = song.engine.render(loaded, master=False)
    assert np.array_equal(plain, cached.premaster_block(0, cached.frames))


def test_a_daw_export_carries_the_trim_in_the_faders(song, tmp_path) -> None:
    made = song.session.load(handle_brief(song.session, "more low end", parent=song.base).version)
    trim = made.state.master.trim_db
    assert trim != 0.0
    result = export_version(song.session, version=made.version, fmt="reaper", out=tmp_path / "r")
    assert any("trim" in note for note in result.notes)
    text = result.path.read_text()
    for track in made.state.tracks:
        assert f"VOLPAN {number(db_to_linear(track.gain_db + trim))} " in text, track.name


def test_a_version_recorded_with_the_old_fader_shift_still_replays(song) -> None:
    """Versions made before the trim hold ``shift_all_faders``: it still moves every fader."""
    state = song.base_version().state
    call = ToolCall(tool="shift_all_faders", args={"delta_db": -2.0})
    shifted = apply_call(state, call, ToolContext()).state
    assert shifted.master == state.master
    assert [t.gain_db for t in shifted.tracks] == [
        max(-60.0, t.gain_db - 2.0) for t in state.tracks
    ]


def test_the_settings_diff_names_the_trim(song) -> None:
    from mixchat.tools.compare import state_diff

    state = song.base_version().state
    trimmed = state.with_master(trim_db=-1.5)
    assert state_diff(state, trimmed) == [("master.trim_db", 0.0, -1.5)]
