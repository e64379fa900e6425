"""Edit clicks at the cuts: a spike of a few milliseconds in the first or last moments of the
mix that peaks above everything the music does in between, such as the full-scale bursts a
lossy decoder leaves where an excerpt was cut. Left alone it would set the headroom and
bring every fader down with it. The clean-up's de-click leaves a file's first and last
EDGE_S to the edit, so the headroom pass takes the least that keeps it under the ceiling:
first loudness, down to the quietest pre-master the genre accepts, then a clip-gain dip over
the spike on the mix bus, as an editor draws one over a click, no deeper than the ceiling
needs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mixchat.dsp.automation import gain_envelope_db
from mixchat.dsp.cleanup.clicks import EDGE_S
from mixchat.dsp.loudness import true_peak_dbtp
from mixchat.dsp.state import SectionAutomation
from mixchat.tools.base import ToolCall

BLOCK_MS = 1.0
MAX_SPIKE_MS = 10.0  # longer than this over the music's peak is a sound, not a click
ABOVE_DB = 1.0  # a spike peaks this much over the music's true peak before it is dipped
MAX_DIP_DB = 24.0  # the automation's range
RAMP_MS = 1.0
MIN_BODY_S = 1.0  # shorter mixes have no body to compare the edges with
SPIKE_PAD_MS = 2.0  # the true peak of a spike is read this far around it


@dataclass(frozen=True)
class EdgeSpike:
    start_s: float
    end_s: float
    peak_dbtp: float  # the spike's true peak
    body_dbtp: float  # the music's true peak between the edges

    def dip_db(self, *, shift_db: float, ceiling_dbtp: float) -> float:
        """How far it must come down to stay under the ceiling after ``shift_db``."""
        return min(MAX_DIP_DB, max(0.0, self.peak_dbtp + shift_db - ceiling_dbtp))

    def automation(self, dip_db: float) -> SectionAutomation:
        ramp_s = RAMP_MS / 1000.0
        return SectionAutomation(
            track=None,
            label="range",
            start_s=round(max(0.0, self.start_s - ramp_s), 4),
            end_s=round(self.end_s + ramp_s, 4),
            gain_db=-math.ceil(dip_db * 10.0) / 10.0,
            ramp_ms=RAMP_MS,
        )


def _spike(zone: np.ndarray, offset: int, body_peak: float, rate: int) -> tuple[int, int] | None:
    """(start, stop) samples of the blocks of ``zone`` over ``body_peak``, if they span at
    most MAX_SPIKE_MS."""
    block = max(1, round(BLOCK_MS * rate / 1000.0))
    count = zone.size // block
    if count == 0:
        return None
    peaks = zone[: count * block].reshape(count, block).max(axis=1)
    hot = np.flatnonzero(peaks > body_peak)
    if hot.size == 0 or (hot[-1] - hot[0] + 1) * BLOCK_MS > MAX_SPIKE_MS:
        return None
    return offset + int(hot[0]) * block, offset + (int(hot[-1]) + 1) * block


def edge_spikes(premaster: np.ndarray, *, sample_rate: int) -> list[EdgeSpike]:
    """The spikes in the first and last EDGE_S of ``premaster`` (2, n) that peak more than
    ABOVE_DB over the true peak of everything in between."""
    edge = int(EDGE_S * sample_rate)
    frames = premaster.shape[1]
    if frames - 2 * edge < MIN_BODY_S * sample_rate:
        return []
    body_dbtp = true_peak_dbtp(premaster[:, edge : frames - edge], sample_rate=sample_rate)
    if not math.isfinite(body_dbtp):
        return []
    threshold = 10.0 ** ((body_dbtp + ABOVE_DB) / 20.0)
    envelope = np.abs(premaster).max(axis=0)
    spikes = []
    for offset in (0, frames - edge):
        found = _spike(envelope[offset : offset + edge], offset, threshold, sample_rate)
        if found is None:
            continue
        start, stop = found
        pad = round(SPIKE_PAD_MS * sample_rate / 1000.0)
        region = premaster[:, max(0, start - pad) : min(frames, stop + pad)]
        spikes.append(
            EdgeSpike(
                start_s=start / sample_rate,
                end_s=stop / sample_rate,
                peak_dbtp=true_peak_dbtp(region, sample_rate=sample_rate),
                body_dbtp=body_dbtp,
            )
        )
    return spikes


def spared_shift(
    spikes: list[EdgeSpike], *, shift_db: float, spare_db: float, ceiling_dbtp: float
) -> float:
    """The fader shift after giving up at most ``spare_db`` of loudness to keep the spikes
    under the ceiling (what it cannot spare, the dips take)."""
    if not spikes:
        return shift_db
    clear = ceiling_dbtp - max(s.peak_dbtp for s in spikes)
    return min(shift_db, max(shift_db - max(spare_db, 0.0), clear))


def edge_dips(
    spikes: list[EdgeSpike], *, shift_db: float, ceiling_dbtp: float
) -> list[tuple[EdgeSpike, float]]:
    """Each spike that still peaks over the ceiling after ``shift_db``, and its dip."""
    dips = [(s, s.dip_db(shift_db=shift_db, ceiling_dbtp=ceiling_dbtp)) for s in spikes]
    return [(s, d) for s, d in dips if d > 0.0]


def dipped(
    premaster: np.ndarray, dips: list[tuple[EdgeSpike, float]], *, sample_rate: int
) -> np.ndarray:
    """``premaster`` with the dips applied, as the renderer applies mix-bus automation."""
    envelope = gain_envelope_db(
        [s.automation(d) for s, d in dips],
        track=None,
        frames=premaster.shape[1],
        sample_rate=sample_rate,
    )
    if envelope is None:
        return premaster
    return (premaster * np.power(10.0, envelope / 20.0, dtype=np.float32)).astype(np.float32)


def without_spikes(
    premaster: np.ndarray, spikes: list[EdgeSpike], *, sample_rate: int
) -> np.ndarray:
    """``premaster`` with every spike dipped to the music's peak: the music's own loudness."""
    full = [(s, min(MAX_DIP_DB, max(0.0, s.peak_dbtp - s.body_dbtp))) for s in spikes]
    return dipped(premaster, full, sample_rate=sample_rate)


def dip_calls(dips: list[tuple[EdgeSpike, float]], *, shift_db: float) -> list[ToolCall]:
    calls = []
    for spike, dip in dips:
        item = spike.automation(dip)
        where = "start" if spike.start_s < EDGE_S else "end"
        calls.append(
            ToolCall(
                tool="automate_section",
                args={
                    "track": None,
                    "start_s": item.start_s,
                    "end_s": item.end_s,
                    "gain_db": item.gain_db,
                    "ramp_ms": item.ramp_ms,
                },
                reason=(
                    f"a {1000 * (spike.end_s - spike.start_s):.0f} ms spike at the {where} "
                    f"({spike.start_s:.3f} s) peaks {spike.peak_dbtp + shift_db:.1f} dBTP in the "
                    f"mix, {spike.peak_dbtp - spike.body_dbtp:.1f} dB over the music's true "
                    "peak: an edit click at the cut; dipped "
                    f"{-item.gain_db:.1f} dB, just under the ceiling"
                ),
            )
        )
    return calls
