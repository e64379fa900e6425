"""The exact mix sums render keeps, and reading a pre-master back from them.

Each contribution to a mix (a placed track, a send, a bus return) is scaled by 2**40 and
truncated to an integer, which float32 holds exactly; the integers are summed in float64,
where integers below 2**53 add exactly. So a sum is exact while the mix stays under 8192
(+78 dBFS), whatever the order of the additions, and taking a contribution out gives back the
sum without it. The pre-master is that sum times the mix bus's gain automation, rounded
once to float32. The master's trim (``MasterState.trim_db``) is part of that gain, so a trim
changes no cached mix, send or return.

This module needs only numpy (no pedalboard, no scipy): rendering a cached version to a file
imports nothing more.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from mixchat.dsp.audio_io import NpyReader
from mixchat.dsp.automation import automation_gain
from mixchat.dsp.state import SectionAutomation

MIX_VERSION = 2  # how mixes, send sums and returns are made (2: the reverb's send is pre-pan);
# a cached mix, or a version's reference to one, made another way is not reused
SCALE = np.float32(2.0**40)  # contributions are exact multiples of 2**-40
UNSCALE = 2.0**-40
SUM_DTYPE = "<f8"


def _accumulate(acc: np.ndarray, scaled: np.ndarray, sign: int, scratch: np.ndarray) -> None:
    """acc += sign * trunc(scaled), ``scaled`` being a contribution times 2**40; ``scratch``
    of acc's float64 (truncating into it is exact, and the add then needs no cast)."""
    part = scratch[: scaled.shape[0], : scaled.shape[1]]
    np.trunc(scaled, out=part)
    if sign > 0:
        acc += part
    else:
        acc -= part


def to_float(acc: np.ndarray, gain: np.ndarray | float = 1.0) -> np.ndarray:
    """float32 of an exact sum, times a (per-sample) gain: one rounding (the product is made
    in float64 and rounded as it is stored, with no float64 array in between)."""
    out = np.empty(acc.shape, dtype=np.float32)
    factor = UNSCALE * gain if isinstance(gain, float) else gain.astype(np.float64) * UNSCALE
    return np.multiply(acc, factor, out=out, casting="same_kind")


def mixbus_gain(
    automation: Sequence[SectionAutomation],
    *,
    trim_db: float = 0.0,
    sample_rate: int,
    start: int,
    stop: int,
) -> np.ndarray | float:
    """The mix bus's gain for samples ``start .. stop``: its automation plus the master's
    trim (1.0 when none moves and there is no trim)."""
    return automation_gain(
        automation,
        owners=(None,),
        field="gain_db",
        static_db=trim_db,
        start=start,
        frames=stop - start,
        sample_rate=sample_rate,
    )


def read_premaster(
    mix_file: Path | NpyReader,
    automation: Sequence[SectionAutomation],
    *,
    trim_db: float = 0.0,
    sample_rate: int,
    start: int,
    stop: int,
) -> np.ndarray:
    """Pre-master samples ``start .. stop`` from a cached exact mix (the mix bus's gain
    automation and the master's trim applied): the samples the render gave."""
    reader = mix_file if isinstance(mix_file, NpyReader) else NpyReader(mix_file)
    gain = mixbus_gain(automation, trim_db=trim_db, sample_rate=sample_rate, start=start, stop=stop)
    return to_float(reader.read(start, stop), gain)
