"""A brief that narrows or widens a named part quotes that part's own width, measured where
the listener hears it (after its pan and width), not only the whole mix's side/mid."""

from __future__ import annotations

import pytest
from brief_checks import Songs, version_of

from mixchat.assistant.turn.conversation import handle_brief
from mixchat.assistant.turn.measures import track_width_db


@pytest.fixture(scope="module")
def songs(tmp_path_factory) -> Songs:
    return Songs(tmp_path_factory.mktemp("width"))


@pytest.mark.parametrize(
    ("brief", "direction"), [("the keys are too wide", -1), ("make the keys wider", 1)]
)
def test_a_named_part_width_move_is_measured_on_that_part(songs, brief, direction) -> None:
    song = songs["song_1"]
    parent = version_of(song, song.base).state.track("Keys_Piano")
    result = handle_brief(song.session, brief, parent=song.base)
    after = version_of(song, result.version)
    quoted = after.metrics["extra"]["trackwidth:Keys_Piano"]
    assert quoted == track_width_db(song.engine, after.state.track("Keys_Piano"))
    assert (quoted - track_width_db(song.engine, parent)) * direction >= 2.0
