"""Hum removal given a whole stem as one block (``clean_audio``, or a chain started again from
the stem's start) works in pieces: its memory beyond the output it returns does not grow
with the stem, and the samples are the ones render's 5 s blocks give (within the stages'
block-size tolerance)."""

from __future__ import annotations

import numpy as np
from memory_probe import working_mb

from mixchat.dsp.cleanup.hum_removal import hum_stage
from mixchat.dsp.cleanup.spec import HumRemoval

RATE = 16000
SPEC = HumRemoval(fundamental_hz=50.02, highest_hz=225.0, followed=(1, 2, 3))


def _humming(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(0)
    frames = int(seconds * RATE)
    t = np.arange(frames) / RATE
    audio = 0.1 * rng.standard_normal((2, frames)) + 0.01 * np.sin(2 * np.pi * 50.02 * t)
    return audio.astype(np.float32)


def _working_mb(audio: np.ndarray) -> float:
    """Peak traced memory of the stage fed ``audio`` in one block, less the output."""
    stage = hum_stage(SPEC, sample_rate=RATE)
    return working_mb(lambda: stage.process(audio))


def test_hum_removal_of_a_whole_stem_holds_no_more_for_a_longer_stem() -> None:
    short, long = _working_mb(_humming(60.0)), _working_mb(_humming(360.0))
    assert long <= short * 1.15 + 2.0, (short, long)


def test_a_whole_stem_in_one_block_gives_the_samples_of_render_blocks() -> None:
    audio = _humming(40.0)
    whole = hum_stage(SPEC, sample_rate=RATE).process(audio)
    stage = hum_stage(SPEC, sample_rate=RATE)
    block = 5 * RATE
    blocks = np.concatenate(
        [stage.process(audio[:, lo : lo + block]) for lo in range(0, audio.shape[1], block)],
        axis=1,
    )
    np.testing.assert_allclose(whole, blocks, atol=2e-6)
    hum_line = np.abs(np.fft.rfft(whole[0, -20 * RATE :]))  # the hum is gone where it is settled
    freqs = np.fft.rfftfreq(20 * RATE, 1 / RATE)
    before = np.abs(np.fft.rfft(audio[0, -20 * RATE :]))
    at = np.argmin(np.abs(freqs - 50.02))
    assert 20 * np.log10(before[at - 1 : at + 2].max() / hum_line[at - 1 : at + 2].max()) > 20
