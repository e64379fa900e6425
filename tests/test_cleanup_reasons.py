"""A de-ess asked for on a voice with no harsh bursts says so, instead of quoting the
detector's empty figures (0 bursts, -120 dB)."""

from mixchat.dsp.cleanup.sibilance import SibilanceFinding
from mixchat.dsp.state import TrackState
from mixchat.tools.cleanup_moves import sibilance_call


class _Faults:
    def __init__(self, sibilance: SibilanceFinding) -> None:
        self.sibilance = sibilance


def test_no_bursts_reads_as_none_found_with_the_threshold() -> None:
    call = sibilance_call(
        TrackState(name="vocals"),
        _Faults(SibilanceFinding(found=False, bursts=0, threshold_db=-34.8)),  # type: ignore[arg-type]
    )
    assert call is not None and call.args["threshold_db"] == -34.8
    assert "no 5-10 kHz burst" in call.reason and "-120" not in call.reason


def test_bursts_found_are_counted_with_their_level() -> None:
    finding = SibilanceFinding(
        found=True, bursts=1, band_over_rest_db=9.0, band_against_loud_db=-6.0, threshold_db=-30
    )
    call = sibilance_call(TrackState(name="vocals"), _Faults(finding))  # type: ignore[arg-type]
    assert call is not None
    assert "1 harsh 5-10 kHz burst (+9 dB" in call.reason and "-6 dB" in call.reason
