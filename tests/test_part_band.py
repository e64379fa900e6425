"""A named part's band move is sized on the part's own spectrum: it moves the part where the
part plays, by a step a producer hears (the masking grid's band powers, after its inserts)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from mixchat.assistant.moves.part_band import body_range_hz, own_range_change_db
from mixchat.assistant.moves.planner import OfflinePlanner
from mixchat.dsp.masking import StemBands, band_edges_hz
from mixchat.dsp.state import EqBand
from tests.test_planner_offline import context

FRAMES = 8


def spectrum(levels_db) -> StemBands:
    """A steady part whose band levels follow ``levels_db(centre_hz)``."""
    edges = band_edges_hz()
    centres = np.sqrt(edges[:-1] * edges[1:])
    level = np.array([levels_db(f) for f in centres], dtype=np.float64)
    power = np.repeat((10.0 ** (level / 10.0))[:, None], FRAMES, axis=1)
    return StemBands(
        edges_hz=edges,
        power=power.astype(np.float32),
        levels_db=np.repeat(level[:, None], FRAMES, axis=1).astype(np.float32),
        active=np.ones(FRAMES, dtype=bool),
    )


def high_part(f: float) -> float:
    """A lead line from 400 Hz up: next to nothing in the 60-250 Hz a bass calls its body."""
    return -20.0 if f >= 400 else -20.0 - 40.0 * np.log2(400 / f)


def dull_top(f: float) -> float:
    """A part whose top stops near 7 kHz (a dark guitar): its 6-16 kHz is all at the bottom."""
    return -25.0 if f <= 6000 else -25.0 - 30.0 * np.log2(f / 6000)


def plan_with(brief: str, bands: dict[str, StemBands]):
    ctx = dataclasses.replace(context(brief), stem_bands=lambda name: bands.get(name))
    return ctx, OfflinePlanner().plan(ctx)


def own_move(ctx, plan, name: str, low_hz: float, high_hz: float) -> float:
    eq = [
        EqBand(
            kind=c.args["kind"], freq_hz=c.args["freq_hz"], gain_db=c.args["gain_db"], q=c.args["q"]
        )
        for c in plan.calls
        if c.tool == "apply_eq" and c.args["track"] == name
    ]
    moved = own_range_change_db(ctx, [name], eq, low_hz, high_hz)
    assert moved is not None
    return moved


def test_a_high_parts_body_is_its_own_lowest_octaves() -> None:
    ctx, plan = plan_with("the pad needs more body", {"Pad": spectrum(high_part)})
    low, high = body_range_hz(ctx, ["Pad"], 60, 250)
    assert low > 200 and high > 800  # where it starts playing, not an empty 60-250 Hz
    assert own_move(ctx, plan, "Pad", 300, 800) >= 2.5


@pytest.mark.parametrize(
    ("brief", "low", "high", "sign"),
    [
        ("the guitar lacks sparkle", 6000, 16000, 1),
        ("the guitar is muddy", 200, 500, -1),
        ("the guitar is a touch boomy", 60, 250, -1),
    ],
)
def test_a_named_parts_band_moves_clearly_on_the_part(brief, low, high, sign) -> None:
    ctx, plan = plan_with(brief, {"Guitar": spectrum(dull_top)})
    assert own_move(ctx, plan, "Guitar", low, high) * sign >= 2.0


def test_without_the_parts_spectrum_the_move_is_the_plain_step() -> None:
    ctx = context("the guitar lacks sparkle")
    plan = OfflinePlanner().plan(ctx)
    gains = [c.args["gain_db"] for c in plan.calls if c.tool == "apply_eq"]
    assert gains and all(1.5 <= g <= 8.0 for g in gains)


def test_every_part_up_alike_is_the_whole_mix_up() -> None:
    ctx = context("the vocal, the drums, the bass, the guitar, the keys and the pad are too quiet")
    plan = OfflinePlanner().plan(ctx)
    assert plan.level_change  # the conversation must not level-match it back to no change
    assert {c.args["track"] for c in plan.calls if c.tool == "adjust_track_gain"} == {
        t.name for t in ctx.state.tracks
    }


def test_the_reverbs_own_tone_moves_the_bus_not_the_part() -> None:
    plan = OfflinePlanner().plan(context("the reverb on the vocal is too bright"))
    assert [c.tool for c in plan.calls] == ["set_reverb"]
    assert plan.calls[0].args["damping"] > 0.5 or plan.calls[0].args["lpf_hz"] < 8000
