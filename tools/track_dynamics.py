"""The gain reduction a track's compressor applies, measured on the session's own audio.

The track's insert output with its compressor is compared block by block (400 ms, the
momentary-loudness window) with the same chain without it (make-up gain taken out), over the
blocks where the track plays: the median is the typical reduction, the 95th percentile the
reduction on its loudest passages. Both renders come from (and stay in) the track cache.
"""

from __future__ import annotations

import numpy as np

from mixchat.dsp.state import TrackState
from mixchat.tools.engine import Engine

BLOCK_S = 0.4
PLAYING_WITHIN_DB = 30.0  # blocks more than this under the loudest block are not "playing"


def _block_levels_db(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    size = max(1, int(BLOCK_S * sample_rate))
    count = audio.shape[1] // size
    if count == 0:
        return np.zeros(0)
    framed = np.asarray(audio[:, : count * size], dtype=np.float32).reshape(
        audio.shape[0], count, size
    )
    power = np.einsum("cfs,cfs->f", framed, framed, dtype=np.float64) / (audio.shape[0] * size)
    return 10.0 * np.log10(np.maximum(power, 1e-20))


def compressor_reduction_db(engine: Engine, track: TrackState) -> tuple[float, float] | None:
    """(typical, loud-passage) gain reduction of ``track``'s compressor in dB (positive), or
    None when it has no compressor or never plays."""
    if track.compressor is None:
        return None
    rate = engine.meta.sample_rate
    without = track.model_copy(update={"compressor": None})
    compressed = _block_levels_db(engine.insert_output(track), rate)
    dry = _block_levels_db(engine.insert_output(without), rate)
    count = min(compressed.size, dry.size)
    if count == 0:
        return None
    compressed, dry = compressed[:count], dry[:count]
    playing = dry > dry.max() - PLAYING_WITHIN_DB
    if not playing.any():
        return None
    reduction = np.maximum(dry - (compressed - track.compressor.makeup_db), 0.0)[playing]
    return round(float(np.median(reduction)), 1), round(float(np.percentile(reduction, 95)), 1)
