"""What the turn keeps while a brief changes something else, measured on the demo song's
render: the mix loudness when a bus compressor comes in (the master is on but sets no
loudness target, so the faders make up for the compressor), and a part's own loudness when
it is made punchier (a transient shaper adds level; punchier is not louder)."""

from __future__ import annotations

import pytest
from brief_checks import Songs

from mixchat.assistant.turn.conversation import handle_brief


@pytest.fixture(scope="module")
def song(tmp_path_factory):
    return Songs(tmp_path_factory.mktemp("levels"))["demo"]


def test_bus_compression_keeps_the_mix_loudness(song) -> None:
    base = song.base_version()
    assert base.state.master.glue is None
    result = handle_brief(song.session, "add some bus compression", parent=song.base)
    made = song.session.load(result.version)
    assert made.state.master.enabled and made.state.master.glue is not None
    assert not made.state.master.loudness_enabled
    before = base.metrics["mix"]["integrated_lufs"]
    after = made.metrics["mix"]["integrated_lufs"]
    assert abs(after - before) <= 0.5, (before, after)
    assert made.metrics["mix"]["crest_factor_db"] < base.metrics["mix"]["crest_factor_db"]
    assert "trim_mix" in [c.tool for c in made.tool_calls]


def test_punchier_drums_keep_their_loudness(song) -> None:
    base = song.base_version()
    result = handle_brief(song.session, "the drums need more punch", parent=song.base)
    made = song.session.load(result.version)
    shaped = [t.name for t in made.state.tracks if t.transient is not None]
    assert shaped
    for name in shaped:
        old, new = base.metrics["tracks"][name], made.metrics["tracks"][name]
        assert abs(new["lufs"] - old["lufs"]) <= 0.5, (name, old["lufs"], new["lufs"])
    crest = [
        made.metrics["tracks"][n]["crest_factor_db"] - base.metrics["tracks"][n]["crest_factor_db"]
        for n in shaped
    ]
    assert max(crest) >= 0.5, crest
