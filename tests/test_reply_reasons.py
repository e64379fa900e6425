"""The reply lists each change with its reason once: the plan's message, which says the
same reasons as sentences, keeps only what the list does not."""

from __future__ import annotations

from mixchat.assistant.turn.reply import compose_reply
from mixchat.dsp.state import MixState, TrackState
from mixchat.tools.base import Change


def test_a_reason_opening_a_sentence_of_the_message_is_not_said_twice() -> None:
    state = MixState(tracks=(TrackState(name="vocals", role="vocal"),))
    reason = "vocals carries 40% of the mix's 380 Hz–660 Hz energy, so cut 6.0 dB at 500 Hz"
    change = Change(state=state, summary="vocals: EQ bell -6.0 dB at 500 Hz", reason=reason)
    reply = compose_reply(
        changes=[change],
        before={},
        after={},
        measures=[],
        message="Vocals carries 40% of the mix's 380 Hz–660 Hz energy, so cut 6.0 dB at 500 Hz. "
        "The drums are a dB down.",
    )
    assert reply.lower().count("carries 40%") == 1
    assert "The drums are a dB down." in reply
