"""The offline planner on a synthetic PlanContext: calls chosen from the analysis, all valid."""

from __future__ import annotations

import math

import pytest

from mixchat.assistant.planning.contract import PastTurn, PlanContext, TrackFacts
from mixchat.assistant.planning.measures import (
    BusReturn,
    Centroid,
    Overlap,
    RangeShare,
    TrackLevel,
    TrackRange,
    Width,
)
from mixchat.dsp.state import EqBand, MixState, Section, TrackState

ROLES = {
    "Vocal": "vocal",
    "Guitar": "guitar",
    "Keys": "keys",
    "Bass": "bass",
    "Drums": "drums",
    "Pad": "pad",
}
BANDS = {
    "Vocal": {"sub": -90, "low": -40, "low_mid": -28, "mid": -22, "presence": -26, "air": -36},
    "Guitar": {"sub": -90, "low": -36, "low_mid": -24, "mid": -20, "presence": -20, "air": -34},
    "Keys": {"sub": -80, "low": -30, "low_mid": -22, "mid": -24, "presence": -34, "air": -44},
    "Bass": {"sub": -24, "low": -16, "low_mid": -24, "mid": -34, "presence": -50, "air": -70},
    "Drums": {"sub": -30, "low": -20, "low_mid": -30, "mid": -28, "presence": -27, "air": -28},
    "Pad": {"sub": -90, "low": -40, "low_mid": -30, "mid": -28, "presence": -36, "air": -42},
}
SECTIONS = (
    Section(label="intro", start_s=0, end_s=5),
    Section(label="verse", start_s=5, end_s=20),
    Section(label="chorus", start_s=20, end_s=35),
    Section(label="verse", start_s=35, end_s=50),
    Section(label="chorus", start_s=50, end_s=65),
    Section(label="outro", start_s=65, end_s=70),
)


def context(brief, state=None, lineage=(), masking=None):
    state = state or MixState(tracks=tuple(TrackState(name=n, role=r) for n, r in ROLES.items()))
    tracks = {
        n: TrackFacts(
            name=n,
            role=r,
            lufs=-20.0,
            band_energies_db=BANDS[n],
            spectral_centroid_hz=1500.0,
            crest_factor_db=18.0 if n == "Drums" else 12.0,
        )
        for n, r in ROLES.items()
    }
    metrics = {
        "mix": {
            "integrated_lufs": -16.0,
            "spectral_centroid_hz": 1800.0,
            "band_shares_db": {},
            "side_mid_ratio_db": -12.0,
            "stereo_width": 0.1,
        },
        "sections": [
            {"label": s.label, "start_s": s.start_s, "end_s": s.end_s, "lufs": -17.0}
            for s in SECTIONS
        ],
    }
    rows = (
        masking
        if masking is not None
        else [
            {
                "masker": "Guitar",
                "masked": "Vocal",
                "low_hz": 1500,
                "high_hz": 4000,
                "severity": 0.8,
                "overlap_pct": 60,
                "summary": "Guitar masks Vocal at 1.5–4 kHz",
            },
            {
                "masker": "Keys",
                "masked": "Vocal",
                "low_hz": 300,
                "high_hz": 800,
                "severity": 0.5,
                "overlap_pct": 40,
                "summary": "Keys masks Vocal at 300–800 Hz",
            },
        ]
    )
    return PlanContext(
        brief=brief,
        state=state,
        parent_version=len(lineage),
        sections=SECTIONS,
        duration_s=70.0,
        sample_rate=44100,
        tempo_bpm=100.0,
        genre=None,
        metrics=metrics,
        tracks=tracks,
        lineage=list(lineage),
        masking=lambda: rows,
    )


from mixchat.assistant.moves.planner import OfflinePlanner  # noqa: E402
from mixchat.assistant.moves.tone import centroid_hz, mix_powers, range_share_db  # noqa: E402
from mixchat.tools.catalog import apply_calls  # noqa: E402

PLANNER = OfflinePlanner()


def plan_for(brief: str, **kwargs):
    ctx = context(brief, **kwargs)
    plan = PLANNER.plan(ctx)
    apply_calls(ctx.state, plan.calls, ctx.tool_context)  # every call validates
    return ctx, plan


def eq_calls(plan, *, low: float, high: float) -> list[dict]:
    return [c.args for c in plan.calls if c.tool == "apply_eq" and low <= c.args["freq_hz"] <= high]


def test_less_harsh_cuts_the_presence_carrier() -> None:
    _, plan = plan_for("make it less harsh")
    cuts = eq_calls(plan, low=2000, high=5000)
    assert cuts[0]["track"] == "Guitar" and cuts[0]["gain_db"] <= -2
    assert all(c["gain_db"] < 0 for c in cuts) and len(cuts) <= 2
    assert RangeShare(low_hz=2000, high_hz=5000) in plan.measures
    assert all(c.reason for c in plan.calls)


def test_muddy_cuts_low_mids_on_the_heavy_tracks_bass_last() -> None:
    _, plan = plan_for("it's too muddy")
    cuts = eq_calls(plan, low=200, high=500)
    gains = {c["track"]: c["gain_db"] for c in cuts}
    assert "Keys" in gains and gains["Keys"] <= gains.get("Bass", 0.0)  # bass last, if at all
    assert len(gains) >= 2 and all(-9.0 <= g < 0 for g in gains.values())  # spread, capped


def test_predicted_band_and_centroid_moves_are_audible() -> None:
    ctx, plan = plan_for("make it less harsh")
    moves = {}
    from mixchat.dsp.state import EqBand

    for c in plan.calls:
        a = c.args
        moves.setdefault(a["track"], []).append(
            EqBand(kind=a["kind"], freq_hz=a["freq_hz"], gain_db=a["gain_db"], q=a["q"])
        )
    before = range_share_db(mix_powers(ctx), 2000, 5000)
    after = range_share_db(mix_powers(ctx, moves), 2000, 5000)
    assert after - before <= -1.0
    ctx, plan = plan_for("darker")
    moves = {}
    for c in plan.calls:
        if c.tool != "apply_eq":
            continue  # the reverb tail darkens too (the "dark" mood's second facet)
        a = c.args
        moves.setdefault(a["track"], []).append(
            EqBand(kind=a["kind"], freq_hz=a["freq_hz"], gain_db=a["gain_db"], q=a["q"])
        )
    assert centroid_hz(mix_powers(ctx, moves)) < 0.9 * centroid_hz(mix_powers(ctx))


def test_darker_uses_master_eq_when_the_master_is_on() -> None:
    state = context("x").state.with_master(enabled=True)
    _, plan = plan_for("darker", state=state)
    assert {c.tool for c in plan.calls} == {"apply_master_eq", "set_reverb"}  # and its tail
    assert plan.calls[0].args["gain_db"] < 0


def test_second_chorus_push() -> None:
    _, plan = plan_for("push the second chorus 2 dB harder")
    assert [c.tool for c in plan.calls] == ["automate_section"]
    args = plan.calls[0].args
    assert args["track"] is None and args["section"] == "chorus"
    assert args["occurrence"] == 2 and args["gain_db"] == pytest.approx(2.0)
    assert plan.level_change


def test_vocal_buried_in_the_chorus() -> None:
    _, plan = plan_for("the vocal gets buried in the chorus")
    autos = [c.args for c in plan.calls if c.tool == "automate_section"]
    assert autos and autos[0]["track"] == "Vocal" and autos[0]["section"] == "chorus"
    assert autos[0]["gain_db"] >= 2
    carved = [c.args for c in plan.calls if c.tool == "apply_eq"]
    assert carved[0]["track"] == "Guitar" and carved[0]["gain_db"] < 0
    assert Overlap(a="Guitar", b="Vocal") in plan.measures


def test_more_delay_in_the_chorus_automates_the_delay_send_there() -> None:
    state = context("").state.with_track("Vocal", delay_send_db=-20.0)
    _, plan = plan_for("more delay on the vocal in the chorus", state=state)
    autos = [c.args for c in plan.calls if c.tool == "automate_section"]
    assert autos and all(a["track"] == "Vocal" and a["section"] == "chorus" for a in autos)
    assert autos[0]["delay_send_db"] > 0 and autos[0]["gain_db"] == 0
    assert not [c for c in plan.calls if c.tool == "set_send"]  # the rest of the song keeps it
    assert BusReturn(bus="delay") in plan.measures


def test_a_section_move_keeps_the_sections_other_offsets() -> None:
    from mixchat.dsp.state import SectionAutomation

    echo = SectionAutomation(track="Vocal", start_s=20, end_s=35, delay_send_db=6.0)
    state = context("").state.model_copy(update={"automation": (echo,)})
    _, plan = plan_for("bring the vocal up 2 dB in the first chorus", state=state)
    autos = [c.args for c in plan.calls if c.tool == "automate_section"]
    assert autos[0]["gain_db"] == pytest.approx(2.0) and autos[0]["delay_send_db"] == 6.0


def test_more_reverb_stops_at_the_send_ceiling_and_says_why() -> None:
    from mixchat.assistant.moves.space import SEND_CEILING_DB

    state = context("").state.with_track("Vocal", reverb_send_db=-8.0)
    _, plan = plan_for("more reverb on the vocal", state=state)
    assert [c.args["send_db"] for c in plan.calls if c.tool == "set_send"] == [SEND_CEILING_DB]
    wet = context("").state.with_track("Vocal", reverb_send_db=SEND_CEILING_DB)
    _, plan = plan_for("more reverb on the vocal", state=wet)
    assert not plan.calls
    assert "wash it out" in plan.message


def test_a_named_track_is_narrowed_on_its_own_and_the_shared_reverb_is_left_alone() -> None:
    state = context("").state.with_track("Keys", width=1.3)
    _, plan = plan_for("make the keys more centred", state=state)
    widths = [c.args["width"] for c in plan.calls if c.tool == "set_width"]
    assert len(widths) == 1 and 0.3 < widths[0] < 1.1  # narrower, not collapsed
    assert not [c for c in plan.calls if c.tool == "set_reverb"]
    _, plan = plan_for("make the keys mono", state=state)
    assert [c.args["width"] for c in plan.calls if c.tool == "set_width"] == [0.0]
    assert not [c for c in plan.calls if c.tool == "set_reverb"]


def test_pan_to_the_centre_is_a_pan_not_a_width_move() -> None:
    state = context("").state.with_track("Guitar", pan=-0.6)
    _, plan = plan_for("pan the guitar to the centre", state=state)
    assert [(c.tool, c.args.get("pan")) for c in plan.calls] == [("set_pan", 0.0)]


def _compressed(name: str = "Vocal"):
    from mixchat.dsp.state import Compressor

    comp = Compressor(threshold_db=-18.0, ratio=4.0, attack_ms=10.0, release_ms=120.0)
    return context("").state.with_track(name, compressor=comp)


@pytest.mark.parametrize(
    "brief",
    ["less compression on the vocal", "the vocal is over-compressed", "compress the vocal less"],
)
def test_less_compression_backs_the_compressor_off(brief: str) -> None:
    _, plan = plan_for(brief, state=_compressed())
    [call] = plan.calls
    assert call.tool == "set_compressor" and call.args["track"] == "Vocal"
    assert call.args["threshold_db"] > -18.0 and call.args["ratio"] < 4.0
    assert "I read" not in plan.message  # the verb, not a guessed word


def test_more_compression_builds_on_the_compressor_there() -> None:
    _, plan = plan_for("compress the vocal harder", state=_compressed())
    [call] = plan.calls
    assert call.args["threshold_db"] < -18.0 and call.args["ratio"] > 4.0
    # harder holds the peaks too: the attack never slows, the release stays
    assert call.args["attack_ms"] <= 10.0 and call.args["release_ms"] == 120.0


def test_removing_the_compressor_removes_it() -> None:
    _, plan = plan_for("remove the compressor on the vocal", state=_compressed())
    assert [(c.tool, c.args) for c in plan.calls] == [("remove_compressor", {"track": "Vocal"})]


def test_a_squashed_mix_without_a_bus_compressor_backs_off_the_track_compressors() -> None:
    _, plan = plan_for("the mix sounds squashed", state=_compressed())
    compressors = [c for c in plan.calls if c.tool == "set_compressor"]
    assert [c.args["track"] for c in compressors] == ["Vocal"]
    assert compressors[0].args["ratio"] < 4.0
    # and the drums' hits stand up again: transients only, no compressor added
    assert {c.tool for c in plan.calls} <= {"set_compressor", "set_transient_shaper"}


@pytest.mark.parametrize(
    ("brief", "kind", "low", "high"),
    [
        ("the keys are muddy", "bell", -7.0, -1.5),
        ("add some air to the vocal", "high_shelf", 1.5, 6.0),
        ("the bass sounds thin", "low_shelf", 1.5, 6.0),
        ("make the guitar brighter", "high_shelf", 1.5, 6.0),
    ],
)
def test_a_named_track_gets_a_clear_step_not_a_mix_sized_move(brief, kind, low, high) -> None:
    """Judged on the whole mix, a part that carries little of a band needed +8/-9 dB."""
    _, plan = plan_for(brief)
    gains = [c.args["gain_db"] for c in plan.calls if c.args.get("kind") == kind]
    assert gains and all(low <= g <= high for g in gains)
    assert len({c.args["track"] for c in plan.calls}) == 1
    assert any(isinstance(m, TrackRange) for m in plan.measures)


def test_punch_uses_transients_and_slow_attack_compression() -> None:
    _, plan = plan_for("more punch on the drums")
    tools = {c.tool for c in plan.calls}
    assert {"set_transient_shaper", "set_compressor"} <= tools
    comp = next(c.args for c in plan.calls if c.tool == "set_compressor")
    assert comp["attack_ms"] >= 20


def test_punch_asked_with_more_low_end_leaves_the_body_to_the_eq() -> None:
    """ "knock harder in the low end": a body-holding compressor after the low boost would
    take the low end back down, so the punch is the transients alone."""
    _, plan = plan_for("make the drums knock harder in the low end")
    tools = [c.tool for c in plan.calls if c.args.get("track") == "Drums"]
    assert "set_transient_shaper" in tools and "set_compressor" not in tools
    assert any(c.args.get("gain_db", 0) > 0 for c in plan.calls if c.tool == "apply_eq")


@pytest.mark.parametrize(
    "brief",
    [
        "brighter but not harsh",
        "make it brighter without it getting harsh",
        "a little brighter, just without that piercing edge",
    ],
)
def test_brighter_but_not_harsh_lifts_above_the_harsh_band(brief: str) -> None:
    _, plan = plan_for(brief)
    eqs = [c.args for c in plan.calls if c.tool == "apply_eq"]
    assert eqs and all(e["gain_db"] > 0 and e["freq_hz"] >= 6000 for e in eqs)  # no 3 kHz cut
    assert (
        Centroid() in plan.measures and RangeShare(low_hz=2000.0, high_hz=5000.0) in plan.measures
    )


def test_master_for_spotify() -> None:
    _, plan = plan_for("master it for Spotify")
    assert plan.calls[0].args == {
        "enabled": True,
        "target_lufs": -14.0,
        "ceiling_dbtp": -1.0,
        "loudness_enabled": True,
    }


def test_compound_brief() -> None:
    _, plan = plan_for("darker and wider, and bring the vocal up a bit")
    tools = [c.tool for c in plan.calls]
    assert "apply_eq" in tools and "set_width" in tools
    vocal = [c.args for c in plan.calls if c.tool == "adjust_track_gain"]
    assert vocal == [{"track": "Vocal", "delta_db": pytest.approx(1.95)}]  # "a bit": 1.2 + 0.75
    assert {Centroid(), Width(), TrackLevel(track="Vocal")} <= set(plan.measures)


@pytest.mark.parametrize(
    ("brief", "intent", "versions"),
    [
        ("undo that", "undo", ()),
        ("go back to version 3", "revert", (3,)),
        ("compare 2 and 4", "compare", (2, 4)),
        ("what did you change?", "explain", ()),
    ],
)
def test_followup_intents(brief: str, intent: str, versions: tuple[int, ...]) -> None:
    _, plan = plan_for(brief)
    assert plan.intent == intent and plan.target_versions == versions and not plan.calls


def test_nonsense_clarifies_without_calls() -> None:
    _, plan = plan_for("purple monkey dishwasher")
    assert plan.intent == "clarify" and not plan.calls


def _lineage(brief: str):
    ctx, plan = plan_for(brief)
    new_state, _ = apply_calls(ctx.state, plan.calls, ctx.tool_context)
    return [
        PastTurn(1, 0, "brief", brief, tuple(plan.calls), new_state),
        PastTurn(0, None, "automix", "", (), ctx.state),
    ], new_state


def _cut_db(state, low: float, high: float) -> float:
    return sum(b.gain_db for t in state.tracks for b in t.eq if low <= b.freq_hz <= high)


def test_a_bit_more_steps_the_last_change_further() -> None:
    lineage, state = _lineage("make it less harsh")
    ctx, plan = plan_for("a bit more", state=state, lineage=lineage)
    assert plan.intent == "change" and [c.tool for c in plan.calls] == ["blend_settings"]
    after, _ = apply_calls(state, plan.calls, ctx.tool_context)
    first = _cut_db(state, 2000, 5000) - _cut_db(lineage[1].state, 2000, 5000)
    more = _cut_db(after, 2000, 5000) - _cut_db(state, 2000, 5000)
    assert first < 0 and more == pytest.approx(0.6 * first, abs=0.05)  # "a bit": 0.6 of a step
    assert plan.measures  # the reply quotes what the last change moved


@pytest.mark.parametrize("followup", ["a bit more", "too much, go halfway back"])
def test_a_follow_up_quotes_what_the_last_brief_named(followup) -> None:
    """ "warmer" named the centroid: its follow-up quotes the centroid first, then what the
    settings moved."""
    from mixchat.assistant.planning.measures import measures_from_record, measures_record

    ctx, plan = plan_for("make it warmer")
    assert Centroid() in plan.measures
    kept = measures_from_record(measures_record(plan.measures))  # as a version keeps them
    assert kept == tuple(plan.measures)
    state, _ = apply_calls(ctx.state, plan.calls, ctx.tool_context)
    lineage = [
        PastTurn(1, 0, "brief", "make it warmer", tuple(plan.calls), state, kept),
        PastTurn(0, None, "automix", "", (), ctx.state),
    ]
    _, again = plan_for(followup, state=state, lineage=lineage)
    assert again.measures[: len(kept)] == list(kept)
    assert any(isinstance(m, TrackRange) for m in again.measures)  # the settings' own bands
    # the blend lands on what the settings moved, which follows it closely
    assert again.blend is not None and Centroid() not in again.blend.landed_on


def test_a_version_saved_without_measures_or_with_unknown_ones_still_loads() -> None:
    from mixchat.assistant.planning.measures import measures_from_record

    assert measures_from_record(None) == ()
    record = [{"measure": "Sparkle"}, {"measure": "TrackLevel"}, {"measure": "Width"}]
    assert measures_from_record(record) == (Width(),)


def test_halfway_back_works_on_any_setting_and_keeps_section_labels() -> None:
    """Whatever the last change touched (a filter, the reverb room, a compressor it added,
    a section ride), halfway lands between the two states and labels survive."""
    from mixchat.assistant.moves.followup import blend
    from mixchat.dsp.state import Compressor, SectionAutomation

    old = context("x").state
    new = old.with_track("Guitar", hpf_hz=150.0, compressor=Compressor(ratio=4.0, threshold_db=-20))
    new = new.with_track("Vocal", reverb_send_db=-12.0)
    ride = SectionAutomation(track="Vocal", label="chorus", start_s=10.0, end_s=20.0, gain_db=3.0)
    new = new.model_copy(
        update={"reverb": new.reverb.model_copy(update={"room_size": 0.8}), "automation": (ride,)}
    )
    old = old.with_track("Guitar", hpf_hz=100.0)
    half = blend(new, old, 0.5)
    assert half.track("Guitar").hpf_hz == pytest.approx((150 * 100) ** 0.5, rel=1e-3)
    assert half.reverb.room_size == pytest.approx((0.8 + old.reverb.room_size) / 2)
    assert half.track("Guitar").compressor.ratio == pytest.approx(1.6)  # half the slope
    assert half.track("Guitar").compressor.threshold_db == -20
    assert half.track("Vocal").reverb_send_db == pytest.approx(-18.0, abs=0.1)  # half the signal
    assert half.automation[0].label == "chorus" and half.automation[0].gain_db == 1.5
    assert blend(new, old, 1.0) == old and blend(new, old, 0.0) == new
    further = blend(new, old, -0.5)
    assert further.track("Guitar").compressor.ratio == pytest.approx(5.5)
    assert further.automation[0].gain_db == pytest.approx(4.5)


def test_halfway_back_inverts_half_the_change() -> None:
    lineage, state = _lineage("bring the vocal up 4 dB")
    ctx, plan = plan_for("too much, go halfway back", state=state, lineage=lineage)
    after, _ = apply_calls(state, plan.calls, ctx.tool_context)
    assert after.track("Vocal").gain_db == pytest.approx(2.0)


def test_a_guessed_word_makes_a_small_move_and_says_so() -> None:
    _, guess = plan_for("make it more britey")
    _, sure = plan_for("make it more bright")
    assert "britey" in guess.message
    small = max(abs(c.args["gain_db"]) for c in guess.calls)
    assert 0 < small < max(abs(c.args["gain_db"]) for c in sure.calls)


def test_deterministic() -> None:
    first = PLANNER.plan(context("less muddy and more air")).calls
    second = PLANNER.plan(context("less muddy and more air")).calls
    assert first == second


# --- masking carves on measured band powers ---------------------------------------------------
def _stem_bands(peaks_hz: dict[str, tuple[float, ...]], *, frames: int = 240):
    """Synthetic StemBands: each stem's power is a sum of octave-wide bumps at its peaks,
    with a seeded frame-to-frame wobble."""
    import numpy as np

    from mixchat.dsp.masking import StemBands, band_edges_hz

    edges = band_edges_hz()
    centres = np.sqrt(edges[:-1] * edges[1:])
    rng = np.random.default_rng(7)
    out = {}
    for name, peaks in peaks_hz.items():
        shape = sum(np.exp(-0.5 * (np.log2(centres / p) / 0.6) ** 2) for p in peaks) + 1e-4
        power = shape[:, None] * rng.uniform(0.5, 1.5, (centres.size, frames))
        levels = 10 * np.log10(power)
        out[name] = StemBands(edges, power, levels, levels > levels.max() - 35)
    return out


PEAKS = {
    "Vocal": (300.0, 2500.0),
    "Guitar": (600.0, 2000.0),
    "Keys": (400.0,),
    "Bass": (90.0,),
    "Drums": (60.0, 5000.0),
    "Pad": (800.0,),
}


def _with_bands(brief: str, **kwargs):
    ctx = context(brief, **kwargs)
    bands = _stem_bands(PEAKS)
    ctx.stem_bands = bands.get  # what the session context provides
    plan = PLANNER.plan(ctx)
    apply_calls(ctx.state, plan.calls, ctx.tool_context)
    return ctx, plan, bands


def _overlap(bands, a: str, b: str, moves: dict[str, list]) -> float:
    from mixchat.assistant.moves.carve_model import PairModel
    from mixchat.dsp.state import EqBand

    first, second = bands[a], bands[b]
    edges = first.edges_hz
    model = PairModel(
        names=(a, b),
        centres_hz=np.sqrt(edges[:-1] * edges[1:]),
        edges_hz=edges,
        powers=(first.power, second.power),
        both_active=first.active.any(axis=0) & second.active.any(axis=0),
        sample_rate=44100,
    )
    plan = {
        n: [EqBand(**{k: v for k, v in c.items() if k != "track"}) for c in cs]
        for n, cs in moves.items()
    }
    return model.overlap(plan)


import numpy as np  # noqa: E402


@pytest.mark.parametrize(
    "brief",
    [
        "the vocal gets buried in the chorus",
        "the vocal is buried",
        "vocal gets lost behind the guitar",
        "I can barely hear the vocal over the guitar",
    ],
)
def test_buried_vocal_cuts_the_masker_in_the_conflict_range_never_the_vocal(brief) -> None:
    _, plan, bands = _with_bands(brief)
    eqs = [c.args for c in plan.calls if c.tool == "apply_eq"]
    # the vocal is never cut; at most a complementary lift where the guitar was cut, above
    # the low mids
    vocal = [e for e in eqs if e["track"] == "Vocal"]
    assert eqs and all(e["gain_db"] > 0 and e["freq_hz"] >= 500 for e in vocal)
    guitar = [e for e in eqs if e["track"] == "Guitar"]
    assert guitar and all(-6.0 <= e["gain_db"] < 0 and 1.0 <= e["q"] <= 2.0 for e in guitar)
    assert (
        1500 <= guitar[0]["freq_hz"] <= 4000
    )  # the reported conflict: Guitar masks Vocal at 1.5–4 kHz
    moves: dict[str, list] = {}
    for e in guitar:
        moves.setdefault("Guitar", []).append(e)
    before, after = (
        _overlap(bands, "Vocal", "Guitar", {}),
        _overlap(bands, "Vocal", "Guitar", moves),
    )
    assert after <= 0.9 * before


def test_buried_vocal_without_band_powers_still_leaves_the_vocal_alone() -> None:
    _, plan = plan_for("the vocal gets buried in the chorus")
    eqs = [c.args for c in plan.calls if c.tool == "apply_eq"]
    assert eqs and all(e["track"] != "Vocal" for e in eqs)
    assert all(1500 <= e["freq_hz"] <= 4000 for e in eqs if e["track"] == "Guitar")


def test_kick_and_bass_fighting_cuts_the_bass_at_the_kick_fundamental() -> None:
    _, plan, bands = _with_bands("the kick and bass are fighting", masking=[])
    eqs = [c.args for c in plan.calls if c.tool == "apply_eq"]
    bass = [e for e in eqs if e["track"] == "Bass"]
    drums = [e for e in eqs if e["track"] == "Drums"]
    assert bass and all(e["freq_hz"] < 130 and e["gain_db"] >= -6.0 for e in bass)
    assert all(e["gain_db"] >= -3.0 for e in drums)  # the kick gives way only a little
    moves: dict[str, list] = {}
    for e in eqs:
        moves.setdefault(e["track"], []).append(e)
    assert _overlap(bands, "Bass", "Drums", moves) <= 0.9 * _overlap(bands, "Bass", "Drums", {})


def test_a_carve_never_places_bells_the_engine_would_merge() -> None:
    """Two cuts within MERGE_OCTAVES on one track are applied as one deeper bell (the engine
    adds their gains), not the two the carve model counted: the solver must not open them."""
    from mixchat.assistant.moves.carve_model import CutSite, PairModel, solve
    from mixchat.tools.track_tools import MERGE_OCTAVES

    ctx = context("the keys are masking the vocal")
    bands = _stem_bands({"Vocal": (300.0, 800.0, 2500.0), "Keys": (320.0, 800.0, 2400.0)})
    first, second = bands["Vocal"], bands["Keys"]
    edges = first.edges_hz
    model = PairModel(
        names=("Vocal", "Keys"),
        centres_hz=np.sqrt(edges[:-1] * edges[1:]),
        edges_hz=edges,
        powers=(first.power, second.power),
        both_active=first.active.any(axis=0) & second.active.any(axis=0),
        sample_rate=44100,
    )
    narrow = CutSite("Keys", (693.0, 789.6, 900.0), 6.0, 693.0, 900.0, "Keys sits on Vocal")
    result = solve(ctx, model, [narrow], goal=0.0, first_db=3.0)  # never reached: cut all it may
    freqs = [band.freq_hz for band, _ in result.bands["Keys"]]
    assert freqs and all(
        abs(math.log2(a / b)) > MERGE_OCTAVES for i, a in enumerate(freqs) for b in freqs[i + 1 :]
    )
    assert all(band.gain_db >= -6.0 for band, _ in result.bands["Keys"])


def test_a_named_masker_that_eq_cannot_clear_is_said_out_loud() -> None:
    ctx = context("the keys are masking the vocal", masking=[])
    ctx.stem_bands = _stem_bands({**PEAKS, "Keys": (320.0, 800.0, 2400.0)}).get
    plan = PLANNER.plan(ctx)
    keys = [c.args for c in plan.calls if c.tool == "apply_eq" and c.args["track"] == "Keys"]
    assert keys and all(c["gain_db"] >= -6.0 for c in keys)
    assert any("as far as EQ should go on Keys" in note for note in plan.notes)
    reachable = _with_bands("the pad is masking the vocal", masking=[])[1]
    assert not any("as far as EQ should go" in note for note in reachable.notes)


@pytest.mark.parametrize(
    "brief", ["compare with the previous version", "compare the last two versions"]
)
def test_compare_without_numbers_is_this_version_against_its_parent(brief: str) -> None:
    lineage, state = _lineage("make it less harsh")
    _, plan = plan_for(brief, state=state, lineage=lineage)
    assert plan.intent == "compare" and tuple(plan.target_versions) == (0, 1)


def test_a_section_move_starts_each_occurrence_from_its_own_ride() -> None:
    """automix rides each chorus differently; "+2 dB in the chorus" moves each from there."""
    from mixchat.dsp.state import SectionAutomation

    rides = (
        SectionAutomation(track="Vocal", label="chorus", start_s=20, end_s=35, gain_db=1.0),
        SectionAutomation(track="Vocal", label="chorus", start_s=50, end_s=65, gain_db=-0.5),
    )
    state = context("").state.model_copy(update={"automation": rides})
    ctx, plan = plan_for("bring the vocal up 2 dB in the chorus", state=state)
    autos = [c.args for c in plan.calls if c.tool == "automate_section"]
    assert [(a["occurrence"], a["gain_db"]) for a in autos] == [(1, 3.0), (2, 1.5)]


@pytest.mark.parametrize(
    ("brief", "tool", "field", "sign"),
    [
        ("the reverb is too long", "set_reverb", "room_size", -1),
        ("a bigger room", "set_reverb", "room_size", 1),
        ("the delay tail is too long", "set_delay", "feedback", -1),
    ],
)
def test_tail_length_moves_the_bus_not_the_sends(brief, tool, field, sign) -> None:
    ctx, plan = plan_for(brief)
    [call] = plan.calls
    old = getattr(ctx.state.reverb if tool == "set_reverb" else ctx.state.delay, field)
    assert call.tool == tool and (call.args[field] - old) * sign > 0.1


@pytest.mark.parametrize(
    ("brief", "tool", "args"),
    [
        (
            "cut 3 dB at 400 Hz on the keys",
            "apply_eq",
            {"track": "Keys", "kind": "bell", "freq_hz": 400.0, "gain_db": -3.0},
        ),
        (
            "boost 2 dB at 10k on the vocal",
            "apply_eq",
            {"track": "Vocal", "kind": "high_shelf", "freq_hz": 10000.0, "gain_db": 2.0},
        ),
        (
            "high pass the guitar at 120 Hz",
            "set_high_pass",
            {"track": "Guitar", "cutoff_hz": 120.0},
        ),
        ("low pass the keys at 8k", "set_low_pass", {"track": "Keys", "cutoff_hz": 8000.0}),
        ("set the vocal fader to -3 dB", "set_track_gain", {"track": "Vocal", "gain_db": -3.0}),
    ],
)
def test_engineering_terms_are_the_call_they_name(brief: str, tool: str, args: dict) -> None:
    _, plan = plan_for(brief)
    [call] = plan.calls
    assert call.tool == tool and args.items() <= call.args.items()


def test_removing_a_high_pass_and_a_send() -> None:
    state = (
        context("").state.with_track("Bass", hpf_hz=35.0).with_track("Drums", reverb_send_db=-20.0)
    )
    _, plan = plan_for("remove the high pass on the bass", state=state)
    assert [(c.tool, c.args) for c in plan.calls] == [
        ("set_high_pass", {"track": "Bass", "cutoff_hz": None})
    ]
    _, plan = plan_for("turn off the reverb on the drums", state=state)
    assert [(c.tool, c.args["send_db"]) for c in plan.calls] == [("set_send", None)]


def test_a_missing_drum_stem_falls_back_to_the_kit_and_says_so() -> None:
    _, plan = plan_for("the kick needs to be louder")
    assert [c.args["track"] for c in plan.calls] == ["Drums"]
    assert "no kick stem, so this acts on the whole kit" in plan.message


MUSDB_ROLES = {"drums": "drums", "bass": "bass", "other": "other", "vocals": "vocal"}


def _musdb_context(brief: str) -> PlanContext:
    base = context(brief)
    facts = {
        n: TrackFacts(
            name=n,
            role=r,
            lufs=-20.0,
            band_energies_db=BANDS[
                "Guitar" if r == "other" else "Vocal" if r == "vocal" else r.title()
            ],
            spectral_centroid_hz=1500.0,
            crest_factor_db=12.0,
        )
        for n, r in MUSDB_ROLES.items()
    }
    state = MixState(tracks=tuple(TrackState(name=n, role=r) for n, r in MUSDB_ROLES.items()))
    return PlanContext(
        brief=brief,
        state=state,
        parent_version=0,
        sections=SECTIONS,
        duration_s=70.0,
        sample_rate=44100,
        tempo_bpm=100.0,
        genre=None,
        metrics=base.metrics,
        tracks=facts,
        lineage=[],
        masking=lambda: [],
    )


@pytest.mark.parametrize(
    "brief", ["the guitar is too loud", "turn the synth down a bit", "the keys are too loud"]
)
def test_a_part_without_a_stem_acts_on_the_bed_that_holds_it(brief: str) -> None:
    ctx = _musdb_context(brief)
    plan = PLANNER.plan(ctx)
    apply_calls(ctx.state, plan.calls, ctx.tool_context)
    moved = [c for c in plan.calls if c.tool == "adjust_track_gain" and c.args["track"] == "other"]
    assert moved and moved[0].args["delta_db"] < 0
    assert "bed" in plan.message


def test_a_kit_part_is_not_taken_for_the_bed() -> None:
    plan = PLANNER.plan(_musdb_context("the guitar is too loud, and the kick too"))
    assert all(c.args.get("track") != "other" or c.tool == "adjust_track_gain" for c in plan.calls)
    kick = [c for c in plan.calls if c.args.get("track") == "drums"]
    assert kick  # the kick is carried by the kit, not by the bed


def _sent(name: str, send_db: float | None) -> MixState:
    return MixState(
        tracks=tuple(
            TrackState(name=n, role=r, reverb_send_db=send_db if n == name else None)
            for n, r in ROLES.items()
        )
    )


def test_closer_takes_the_parts_own_reverb_down() -> None:
    ctx, plan = plan_for("bring the vocal closer", state=_sent("Vocal", -12.0))
    sends = [c.args for c in plan.calls if c.tool == "set_send"]
    assert sends and sends[0]["track"] == "Vocal" and sends[0]["send_db"] < -12.0
    assert not [c for c in plan.calls if c.tool == "adjust_track_gain"]


def test_closer_with_no_reverb_sent_says_so_and_changes_nothing() -> None:
    ctx, plan = plan_for("bring the vocal closer", state=_sent("Vocal", None))
    assert not plan.calls
    assert "no reverb sends" in plan.message.lower()


def test_an_intimate_mix_with_nothing_sent_leaves_the_silent_reverb_alone() -> None:
    ctx, plan = plan_for("make it more intimate", state=_sent("Vocal", None))
    assert not [c for c in plan.calls if c.tool == "set_reverb" and "room_size" in c.args]
    assert {c.tool for c in plan.calls} >= {"set_width", "apply_eq"}


def test_them_in_a_new_brief_is_the_part_the_last_brief_named() -> None:
    state = MixState(tracks=tuple(TrackState(name=n, role=r) for n, r in ROLES.items()))
    turn = PastTurn(
        version=2,
        parent=1,
        kind="brief",
        brief="the guitar is way too loud",
        tool_calls=(),
        state=state,
    )
    ctx, plan = plan_for("calm them down", lineage=[turn])
    gains = {
        c.args["track"]: c.args["delta_db"] for c in plan.calls if c.tool == "adjust_track_gain"
    }
    assert list(gains) == ["Guitar"] and gains["Guitar"] < 0
    # with no part said before, "calm it down" is no fader move on the mix
    ctx, plan = plan_for("calm it down")
    assert not [c for c in plan.calls if c.tool == "adjust_track_gain"]


def test_one_stereo_part_is_widened_where_it_stands_not_panned() -> None:
    import dataclasses

    ctx = dataclasses.replace(
        _musdb_context("the guitars should be spread out more"),
        stereo=lambda: (
            {n: {"channels": 2, "mid": 1.0, "side": 0.1} for n in ("drums", "bass", "other")}
            | {"vocals": {"channels": 1, "mid": 1.0, "side": 0.0}}
        ),
    )
    plan = PLANNER.plan(ctx)
    widths = [c.args for c in plan.calls if c.tool == "set_width"]
    assert widths and widths[0]["track"] == "other" and widths[0]["width"] > 1.0
    assert not [c for c in plan.calls if c.tool == "set_pan"]


def test_a_bigger_room_for_a_part_that_sends_nothing_also_sends_it_there() -> None:
    _, plan = plan_for("put the singer in a bigger room")
    assert "set_reverb" in [c.tool for c in plan.calls]
    sends = [c.args for c in plan.calls if c.tool == "set_send"]
    assert sends and sends[0]["track"] == "Vocal" and sends[0]["send_db"] is not None
    sending = context("").state.with_track("Vocal", reverb_send_db=-14.0)
    _, plan = plan_for("put the singer in a bigger room", state=sending)
    assert [c.tool for c in plan.calls] == ["set_reverb"]  # it is in the room already


def test_a_part_raised_and_cut_in_another_clause_keeps_its_own_loudness_through_the_cut() -> None:
    _, plan = plan_for("guitar up 2 db, and cut some 3k out of the mix")
    cut = {c.args["track"] for c in plan.calls if c.tool == "apply_eq"}
    assert "Guitar" in cut
    assert "Guitar" in plan.held_levels
    _, alone = plan_for("cut some 3k out of the mix")
    assert "Guitar" not in alone.held_levels


def test_parts_eqd_beside_another_parts_level_keep_their_loudness() -> None:
    """ "drums down a dB, and the mix is boxy": the parts cut for the box keep their loudness,
    so the drums end a dB down against them as asked."""
    _, plan = plan_for("drums down a db, also the mix is boxy around 500")
    cut = {c.args["track"] for c in plan.calls if c.tool == "apply_eq"}
    assert cut and "Drums" not in cut
    assert cut <= set(plan.held_levels)
    _, alone = plan_for("the mix is boxy around 500")
    assert not alone.held_levels


def test_a_frequency_said_on_the_mix_moves_that_band_not_the_word_band() -> None:
    ctx, plan = plan_for("there's a nasty ring around 1k in the whole mix")
    moves = {}
    for c in plan.calls:
        if c.tool == "apply_eq":
            moves.setdefault(c.args["track"], []).append(
                EqBand(**{k: v for k, v in c.args.items() if k != "track"})
            )
    assert moves and all(750 <= band.freq_hz <= 1330 for bands in moves.values() for band in bands)
    before = range_share_db(mix_powers(ctx), 750, 1330)
    after = range_share_db(mix_powers(ctx, moves), 750, 1330)
    assert after <= before - 1.0


def test_a_width_said_beside_a_mood_is_the_width_asked() -> None:
    def widths(plan) -> dict[str, float]:
        return {c.args["track"]: c.args["width"] for c in plan.calls if c.tool == "set_width"}

    _, both = plan_for("make it wide and big")
    _, wide = plan_for("make it wide")
    assert widths(both) and widths(both) == widths(wide)
    assert len([c for c in both.calls if c.tool == "set_width"]) == len(widths(both))
    assert any(c.tool == "set_send" for c in both.calls)  # the mood's other facets stay
