"""A track's clean-up stages in processing order, and the cleaned stem render reads."""

from __future__ import annotations

import numpy as np

from mixchat.dsp.cleanup.clicks import declick_stage
from mixchat.dsp.cleanup.dc import dc_stage
from mixchat.dsp.cleanup.hum_removal import hum_stage
from mixchat.dsp.cleanup.noise import noise_stage
from mixchat.dsp.cleanup.rumble import deplosive_stage
from mixchat.dsp.cleanup.sibilance import de_esser_stage
from mixchat.dsp.cleanup.spec import Cleanup
from mixchat.dsp.cleanup.stream import PIECE_S, BlockSource, CleanedStem, Stage

READ_AHEAD_CONTEXT_S = 1.0  # a chain reading this far around a block is worked a piece ahead


def cleanup_stages(cleanup: Cleanup, *, sample_rate: int) -> list[Stage]:
    stages: list[Stage] = []
    if cleanup.dc is not None:
        stages.append(dc_stage(cleanup.dc, sample_rate=sample_rate))
    if cleanup.hum is not None and cleanup.hum.reduction_db > 0:
        stages.append(hum_stage(cleanup.hum, sample_rate=sample_rate))
    if cleanup.declick is not None:
        stages.append(declick_stage(cleanup.declick, sample_rate=sample_rate))
    if cleanup.denoise is not None and cleanup.denoise.reduction_db > 0:
        stages.append(noise_stage(cleanup.denoise, sample_rate=sample_rate))
    if cleanup.deplosive is not None and cleanup.deplosive.reduction_db > 0:
        stages.append(deplosive_stage(cleanup.deplosive, sample_rate=sample_rate))
    if cleanup.deess is not None and cleanup.deess.reduction_db > 0:
        stages.append(de_esser_stage(cleanup.deess, sample_rate=sample_rate))
    return stages


def cleaned_stem(
    audio: np.ndarray | BlockSource, cleanup: Cleanup, *, sample_rate: int
) -> CleanedStem | None:
    """The stem run through its clean-up, read in blocks; None when nothing is on. A long
    read is fed in pieces of PIECE_S, which the local stages take whole. Where a stage
    reads far around each block (hum removal: 3.3 s either side), render's shorter blocks
    are worked out a piece ahead, so that context is worked once a piece and not once a
    block; other chains keep to render's blocks (a piece ahead only costs them cache)."""
    stages = cleanup_stages(cleanup, sample_rate=sample_rate)
    if not stages:
        return None
    piece = int(PIECE_S * sample_rate)
    far = sum(stage.latency for stage in stages) >= READ_AHEAD_CONTEXT_S * sample_rate
    return CleanedStem(audio, stages, piece=piece, read_ahead=piece if far else 0)


def clean_audio(audio: np.ndarray, cleanup: Cleanup, *, sample_rate: int) -> np.ndarray:
    """Whole-array clean-up of (channels, n) audio (the same samples render produces)."""
    stem = cleaned_stem(np.asarray(audio, dtype=np.float32), cleanup, sample_rate=sample_rate)
    return np.asarray(audio, dtype=np.float32) if stem is None else stem.read(0, audio.shape[1])
