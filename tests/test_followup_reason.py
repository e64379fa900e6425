"""A follow-up's blend names the settings it moves as a producer says them."""

from __future__ import annotations

from mixchat.assistant.moves.followup import blend_call
from mixchat.dsp.state import EqBand, MixState, TrackState


def test_a_blend_names_fader_eq_and_send_not_field_names() -> None:
    before = MixState(tracks=(TrackState(name="Vocal"), TrackState(name="Bass")))
    after = before.with_track(
        "Vocal", gain_db=2.0, eq=(EqBand(freq_hz=3000.0, gain_db=3.0),), reverb_send_db=-12.0
    )
    call = blend_call(after, before, version=0, fraction=0.5)
    assert call.reason == "moves Vocal: fader, EQ, reverb send"
    assert [t["name"] for t in call.args["tracks"]] == ["Vocal"]
