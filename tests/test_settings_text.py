"""mixchat.tools.settings_text: the one writer of settings as text, and the readers that use it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from mixchat.assistant.llm.prompt import buses_block, processing_block, tracks_block
from mixchat.assistant.tui.formatting import loudness_text, track_row
from mixchat.dsp.state import (
    Compressor,
    EqBand,
    Gate,
    MasterState,
    SectionAutomation,
    TrackState,
    unity_state,
)
from mixchat.tools import settings_text as text
from mixchat.tools.catalog import ToolCall, ToolContext, apply_call
from mixchat.tools.compare import state_diff
from mixchat.tools.export.reaper import project_notes


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "C"),
        (-0.0, "C"),
        (0.004, "C"),
        (-0.005, "C"),  # rounds to 0 %: centre, never "L0"
        (0.006, "R1"),
        (-0.3, "L30"),
        (0.45, "R45"),
        (-1.0, "L100"),
        (1.0, "R100"),
    ],
)
def test_pan(value: float, expected: str) -> None:
    assert text.pan(value) == expected


@pytest.mark.parametrize(
    ("freq_hz", "expected", "compact"),
    [
        (20.0, "20 Hz", "20"),
        (80.0, "80 Hz", "80"),
        (999.4, "999 Hz", "999"),
        (999.6, "1 kHz", "1k"),  # rounds up into kHz, not "1000 Hz"
        (1000.0, "1 kHz", "1k"),
        (1050.0, "1.05 kHz", "1.05k"),
        (2500.0, "2.5 kHz", "2.5k"),
        (12345.0, "12.3 kHz", "12.3k"),
        (20000.0, "20 kHz", "20k"),
    ],
)
def test_hz(freq_hz: float, expected: str, compact: str) -> None:
    assert text.hz(freq_hz) == expected
    assert text.hz_compact(freq_hz) == compact


def test_spans_cutoffs_and_sends() -> None:
    assert text.hz_span(200, 500) == "200 Hz–500 Hz"
    assert text.hz_span(500, 2000) == "500 Hz–2 kHz"
    assert text.cutoff(None) == "off" and text.cutoff(12000) == "12 kHz"
    assert text.send(None) == "off" and text.send(-12) == "-12.0 dB"


@pytest.mark.parametrize(
    ("value", "expected"),
    [(2.0, "+2.0 dB"), (-3.04, "-3.0 dB"), (-0.04, "+0.0 dB"), (0.0, "+0.0 dB"), (-24, "-24.0 dB")],
)
def test_db_is_signed_with_one_decimal_and_no_negative_zero(value: float, expected: str) -> None:
    assert text.db(value) == expected


def test_db_change_and_round_numbers() -> None:
    assert text.db_change(-3.0, 1.0) == "-3.0 → +1.0 dB"
    assert text.db_change(-0.01, 0.5, "LU") == "+0.0 → +0.5 LU"
    assert text.number(4.0) == "4" and text.number(-18.25) == "-18.2"
    assert text.number(0.707, digits=2) == "0.71" and text.number(-0.04) == "0"
    assert text.number(120.0, digits=0) == "120" and text.width(1.2) == "120%"


def test_shelves_bells_and_notches() -> None:
    shelf = EqBand(kind="low_shelf", freq_hz=120, gain_db=3, q=0.7)
    bell = EqBand(kind="bell", freq_hz=2500, gain_db=-3, q=1.2)
    high = EqBand(kind="high_shelf", freq_hz=8000, gain_db=1.5, q=0.707)
    assert text.eq_band(shelf) == "low shelf +3.0 dB at 120 Hz (Q 0.7)"
    assert text.eq_band(bell) == "bell -3.0 dB at 2.5 kHz (Q 1.2)"
    assert text.eq_band(high) == "high shelf +1.5 dB at 8 kHz (Q 0.71)"
    assert [text.eq_band_compact(b) for b in (shelf, bell, high)] == [
        "ls+3.0@120",
        "-3.0@2.5k",
        "hs+1.5@8k",
    ]
    # a notch without a cut cuts the engine's default depth, and says so
    notch = EqBand(kind="notch", freq_hz=60, q=10)
    assert text.eq_band(notch) == "notch -30.0 dB at 60 Hz (Q 10)"
    assert text.eq_band_compact(notch) == "n-30.0@60"
    assert text.eq_band(notch.model_copy(update={"gain_db": -12})).startswith("notch -12.0 dB")


def test_dynamics() -> None:
    assert text.compressor(Compressor()) == "3:1 at -18 dB, attack 10 ms, release 120 ms"
    comp = Compressor(threshold_db=-21.3, ratio=2.5, attack_ms=0.25, makeup_db=2)
    assert text.compressor(comp) == (
        "2.5:1 at -21.3 dB, attack 0.25 ms, release 120 ms, makeup +2.0 dB"
    )
    assert text.gate(Gate()) == "at -50 dB, 4:1, attack 1 ms, release 100 ms"


def test_a_track_in_chain_order_and_compact() -> None:
    track = TrackState(
        name="Vox",
        gain_db=-3,
        pan=-0.3,
        trim_db=2,
        hpf_hz=80,
        eq=(EqBand(kind="bell", freq_hz=2500, gain_db=-3, q=1.2),),
        compressor=Compressor(),
        gate=Gate(),
        width=1.2,
        reverb_send_db=-12,
        mute=True,
    )
    assert text.track_lines(track) == [
        "fader -3.0 dB, pan L30",
        "trim (input gain) +2.0 dB",
        "high-pass 80 Hz, 12 dB/oct (-6 dB at the cutoff)",
        "EQ bell -3.0 dB at 2.5 kHz (Q 1.2)",
        "gate at -50 dB, 4:1, attack 1 ms, release 100 ms",
        "compressor 3:1 at -18 dB, attack 10 ms, release 120 ms",
        "stereo width 120%",
        "reverb send -12.0 dB (post-fader)",
        "muted",
    ]
    assert text.track_line(track) == "; ".join(text.track_lines(track))
    assert text.track_lines(TrackState(name="Dry")) == ["fader +0.0 dB, pan C"]
    assert text.eq_compact(track) == "hp80 -3.0@2.5k"
    assert text.dynamics_compact(track) == "gate-50 3:1@-18"
    assert text.sends_compact(track) == "rv-12"


def test_master_and_automation() -> None:
    assert text.master_lines(MasterState(enabled=False)) == [
        "master chain off (the mix is pre-master)"
    ]
    master = MasterState(enabled=True, glue=Compressor(ratio=2, threshold_db=-20))
    assert text.master_lines(master) == [
        "glue compressor 2:1 at -20 dB, attack 10 ms, release 120 ms",
        "loudness target -14.0 LUFS (integrated)",
        "limiter ceiling -1.0 dBTP (true peak)",
    ]
    ride = SectionAutomation(track="Vox", label="chorus", start_s=23.08, end_s=41.5, gain_db=2)
    assert text.automation(ride) == (
        "Vox chorus 23.1-41.5 s: gain +2.0 dB, reverb send +0.0 dB, delay send +0.0 dB, ramp 80 ms"
    )


# --- the readers write what the module writes -------------------------------------------
@pytest.fixture
def state():
    base = unity_state([("Vox", "vocal"), ("Keys", "keys")])
    vox = base.track("Vox").model_copy(
        update={"pan": -0.3, "eq": (EqBand(kind="high_shelf", freq_hz=8000, gain_db=2),)}
    )
    return base.with_track("Vox", **vox.model_dump(exclude={"name"}))


def test_tool_summaries_diff_exports_prompt_and_ui_agree(state) -> None:
    vox = state.track("Vox")
    band = text.eq_band(vox.eq[0])
    tools = ToolContext()
    change = apply_call(state, ToolCall(tool="set_pan", args={"track": "Vox", "pan": 0.6}), tools)
    assert change.summary == "Vox: pan L30 → R60"
    remove = ToolCall(tool="remove_eq_band", args={"track": "Vox", "band_index": 0})
    change = apply_call(state, remove, tools)
    assert change.summary == f"Vox: removed EQ {band}"
    diff = dict((key, new) for key, _, new in state_diff(change.state, state))
    assert diff["tracks.Vox.eq.band 1"] == band
    notes = "\n".join(project_notes(state, []))
    assert all(f"  {line}" in notes for line in text.track_lines(vox))
    context = SimpleNamespace(state=state, tracks={})  # what tracks_block reads of a PlanContext
    assert ", ".join(text.track_balance_lines(vox)) in tracks_block(context)  # type: ignore[arg-type]
    inserts = processing_block(context, ["Vox"])  # type: ignore[arg-type]
    assert "; ".join(text.track_insert_lines(vox)) in inserts
    assert text.track_lines(vox) == [
        text.track_balance_lines(vox)[0],
        *text.track_insert_lines(vox),
        *text.track_balance_lines(vox)[1:],
    ]
    assert "; ".join(text.master_lines(state.master)) in buses_block(state)
    _, _, _, pan_cell, processing = track_row(vox, None)
    assert pan_cell.plain == "L30" and processing.plain == text.eq_compact(vox)
    loudness = loudness_text({"integrated_lufs": -14, "spectral_centroid_hz": 1200}, True)
    assert "centroid 1.2 kHz" in loudness.plain
