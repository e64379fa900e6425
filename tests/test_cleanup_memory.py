"""Noise reduction and de-click given a whole stem as one block work in pieces, as hum
removal does, and a whole chain read at once (``clean_audio``, or a chain started again from
the stem's start) feeds its stages in pieces: the memory beyond the output does not grow
with the stem, and the samples are the ones render's 5 s blocks give."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest
from memory_probe import working_mb

from mixchat.dsp.cleanup.chain import clean_audio, cleanup_stages
from mixchat.dsp.cleanup.clicks import declick_stage
from mixchat.dsp.cleanup.noise import noise_stage
from mixchat.dsp.cleanup.spec import (
    Cleanup,
    DcRemoval,
    DeClick,
    DeEsser,
    DePlosive,
    HumRemoval,
    NoiseProfile,
    NoiseReduction,
)
from mixchat.dsp.cleanup.stream import CleanedStem, Stage

RATE = 16000
NOISE = NoiseReduction(
    profile=NoiseProfile(freqs_hz=(20.0, 8000.0), density_db=(-100.0, -100.0), seconds=5.0)
)


def _stem(seconds: float) -> np.ndarray:
    """A note that comes and goes over a faint hiss, with a click every 3 s."""
    rng = np.random.default_rng(0)
    frames = int(seconds * RATE)
    t = np.arange(frames) / RATE
    note = 0.2 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 0.25 * t) > 0)
    audio = np.stack([note, note]) + 3e-4 * rng.standard_normal((2, frames))
    audio[:, RATE // 2 :: 3 * RATE] += 0.5
    return audio.astype(np.float32)


STAGES: dict[str, Callable[[], Stage]] = {
    "noise": lambda: noise_stage(NOISE, sample_rate=RATE),
    "declick": lambda: declick_stage(DeClick(), sample_rate=RATE),
}


def _working_mb(make: Callable[[], Stage], audio: np.ndarray) -> float:
    """Peak traced memory of the stage fed ``audio`` in one block, less the output."""
    stage = make()
    return working_mb(lambda: stage.process(audio))


@pytest.mark.parametrize("name", sorted(STAGES))
def test_a_whole_stem_holds_no_more_for_a_longer_stem(name: str) -> None:
    short = _working_mb(STAGES[name], _stem(60.0))
    long = _working_mb(STAGES[name], _stem(360.0))
    assert long <= short * 1.15 + 2.0, (short, long)


@pytest.mark.parametrize("name", sorted(STAGES))
def test_a_whole_stem_in_one_block_gives_the_samples_of_render_blocks(name: str) -> None:
    audio = _stem(50.0)
    whole = STAGES[name]().process(audio)
    stage = STAGES[name]()
    block = 5 * RATE
    blocks = np.concatenate(
        [stage.process(audio[:, lo : lo + block]) for lo in range(0, audio.shape[1], block)],
        axis=1,
    )
    np.testing.assert_allclose(whole, blocks, atol=2e-6)
    assert np.abs(whole - audio).max() > 1e-3  # the stage did act on the stem


CHAIN = Cleanup(
    dc=DcRemoval(),
    hum=HumRemoval(fundamental_hz=50.0, highest_hz=225.0),
    declick=DeClick(),
    denoise=NOISE,
    deplosive=DePlosive(threshold_db=-30.0),
    deess=DeEsser(threshold_db=-40.0, freq_hz=5000.0),
)


def _chain_working_mb(audio: np.ndarray) -> float:
    """Peak traced memory of the whole chain read at once, less the output."""
    return working_mb(lambda: clean_audio(audio, CHAIN, sample_rate=RATE))


def test_a_whole_chain_read_at_once_holds_no_more_for_a_longer_stem() -> None:
    short, long = _chain_working_mb(_stem(120.0)), _chain_working_mb(_stem(360.0))
    assert long <= short * 1.15 + 2.0, (short, long)


def test_a_whole_chain_read_at_once_gives_the_samples_of_render_blocks() -> None:
    audio = _stem(50.0)
    whole = clean_audio(audio, CHAIN, sample_rate=RATE)
    stem = CleanedStem(audio, cleanup_stages(CHAIN, sample_rate=RATE))
    block = 5 * RATE
    blocks = np.concatenate(
        [stem.read(lo, min(lo + block, audio.shape[1])) for lo in range(0, audio.shape[1], block)],
        axis=1,
    )
    assert whole.shape == audio.shape
    np.testing.assert_allclose(whole, blocks, atol=2e-6)
    late = CleanedStem(audio, cleanup_stages(CHAIN, sample_rate=RATE)).read(30 * RATE, 35 * RATE)
    np.testing.assert_allclose(late, whole[:, 30 * RATE : 35 * RATE], atol=2e-6)
