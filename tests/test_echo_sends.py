"""'Less echo': both sends that make an echo come down; a return the cache has let go is
quoted from the level the automix kept, never as off."""

from __future__ import annotations

import pytest
from brief_checks import Songs, version_of

from mixchat.assistant.turn.conversation import handle_brief


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Songs:
    return Songs(tmp_path_factory.mktemp("echo"))


def test_less_echo_takes_down_the_reverb_and_the_delay_sends(songs) -> None:
    song = songs["song_1"]
    base = version_of(song, song.base).state.track("Lead_Vocal_Main")
    assert base.reverb_send_db is not None and base.delay_send_db is not None
    result = handle_brief(song.session, "plz less echo on my voice", parent=song.base)
    after = version_of(song, result.version).state.track("Lead_Vocal_Main")
    for bus in ("reverb", "delay"):
        old, new = getattr(base, f"{bus}_send_db"), getattr(after, f"{bus}_send_db")
        assert new is None or new <= old - 2.0, (bus, old, new)


def test_a_return_whose_file_the_cache_let_go_is_quoted_from_the_automix(songs) -> None:
    song = songs["song_1"]
    parent = version_of(song, song.base)
    bus_file = song.engine.tracks_dir / parent.metrics["bus_files"]["delay"]
    bus_file.unlink()
    result = handle_brief(song.session, "less delay on the vocal", parent=song.base)
    measured = " ".join(result.reply.split())
    before = parent.metrics["extra"]["delay"]
    assert f"delay return (RMS) {before:.1f} dBFS →" in measured, measured
