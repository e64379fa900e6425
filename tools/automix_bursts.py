"""Edit clicks at the cuts: a spike of a few milliseconds in the first or last moments of the
mix that peaks above everything the music does in between, such as the full-scale bursts a
lossy decoder leaves where an excerpt was cut. Left alone it would set the headroom and
bring every fader down with it. The clean-up's de-click leaves a file's first and last
EDGE_S to the edit, so the headroom pass takes the least that keeps it under the ceiling:
first loudness, down to the quietest pre-master the genre accepts, then a clip-gain dip over
the spike on the mix bus, as an editor draws one over a click, no deeper than the ceiling
needs.

The pre-master streams by block by block (``EdgeMeter`` is a render sink): only its first
and last EDGE_S are kept, and the true peak of what lies between.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from mixchat.dsp.automation import gain_envelope_db
from mixchat.dsp.cleanup.clicks import EDGE_S
from mixchat.dsp.loudness import true_peak_dbtp
from mixchat.dsp.meters import PeakMeter
from mixchat.dsp.state import SectionAutomation
from mixchat.tools.base import ToolCall

BLOCK_MS = 1.0
MAX_SPIKE_MS = 10.0  # longer than this over the music's peak is a sound, not a click
ABOVE_DB = 1.0  # a spike peaks this much over the music's true peak before it counts
MAX_DIP_DB = 24.0  # the automation's range
RAMP_MS = 1.0
MIN_BODY_S = 1.0  # shorter mixes have no body to compare the edges with
SPIKE_PAD_MS = 2.0  # the true peak of a spike is read this far around it


class EdgeMeter:
    """A render sink that keeps the first and last EDGE_S of a ``frames``-sample mix and
    meters the true peak of the body in between."""

    def __init__(self, *, frames: int, sample_rate: int, channels: int = 2) -> None:
        self.sample_rate = sample_rate
        self.frames = frames
        self.edge = min(int(EDGE_S * sample_rate), frames // 2)
        self.head = np.zeros((channels, self.edge), dtype=np.float32)
        self.tail = np.zeros((channels, self.edge), dtype=np.float32)
        self.tail_start = frames - self.edge
        self._body = PeakMeter(channels=channels)
        self._body_dbtp: float | None = None

    def feed(self, start: int, audio: np.ndarray) -> None:
        stop = start + audio.shape[1]
        self._copy(self.head, 0, start, stop, audio)
        self._copy(self.tail, self.tail_start, start, stop, audio)
        lo, hi = max(start, self.edge), min(stop, self.tail_start)
        if hi > lo:
            self._body.feed(audio[:, lo - start : hi - start])

    @staticmethod
    def _copy(into: np.ndarray, at: int, start: int, stop: int, audio: np.ndarray) -> None:
        lo, hi = max(start, at), min(stop, at + into.shape[1])
        if hi > lo:
            into[:, lo - at : hi - at] = audio[:, lo - start : hi - start]

    def body_dbtp(self) -> float:
        """The true peak between the edges (once every block has been fed)."""
        if self._body_dbtp is None:
            true_peak = self._body.finish()[1]
            self._body_dbtp = 20.0 * math.log10(true_peak) if true_peak > 0.0 else -math.inf
        return self._body_dbtp


def measure_edges(premaster: np.ndarray, *, sample_rate: int) -> EdgeMeter:
    """An ``EdgeMeter`` fed with a whole mix held in memory."""
    meter = EdgeMeter(frames=premaster.shape[1], sample_rate=sample_rate)
    meter.feed(0, premaster)
    return meter


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


def _spike(zone: np.ndarray, threshold: float, rate: int) -> tuple[int, int] | None:
    """(start, stop) samples of the 1 ms blocks of ``zone`` over ``threshold``, if they span
    at most MAX_SPIKE_MS."""
    block = max(1, round(BLOCK_MS * rate / 1000.0))
    count = zone.shape[1] // block
    if count == 0:
        return None
    envelope = np.abs(zone[:, : count * block]).max(axis=0)
    hot = np.flatnonzero(envelope.reshape(count, block).max(axis=1) > threshold)
    if hot.size == 0 or (hot[-1] - hot[0] + 1) * BLOCK_MS > MAX_SPIKE_MS:
        return None
    return int(hot[0]) * block, (int(hot[-1]) + 1) * block


def edge_spikes(edges: EdgeMeter) -> list[EdgeSpike]:
    """The spikes in the first and last EDGE_S that peak more than ABOVE_DB over the true
    peak of everything in between."""
    rate = edges.sample_rate
    if edges.frames - 2 * edges.edge < MIN_BODY_S * rate:
        return []
    body = edges.body_dbtp()
    if not math.isfinite(body):
        return []
    threshold = 10.0 ** ((body + ABOVE_DB) / 20.0)
    pad = round(SPIKE_PAD_MS * rate / 1000.0)
    spikes = []
    for zone, offset in ((edges.head, 0), (edges.tail, edges.tail_start)):
        found = _spike(zone, threshold, rate)
        if found is None:
            continue
        start, stop = found
        region = zone[:, max(0, start - pad) : stop + pad]
        spikes.append(
            EdgeSpike(
                start_s=(offset + start) / rate,
                end_s=(offset + stop) / rate,
                peak_dbtp=true_peak_dbtp(region, sample_rate=rate),
                body_dbtp=body,
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


def dipped_peak_dbtp(edges: EdgeMeter, dips: list[tuple[EdgeSpike, float]]) -> float:
    """The mix's true peak with the dips applied, as the renderer applies mix-bus
    automation: the body's, or an edge's if one still peaks higher."""
    rate = edges.sample_rate
    items = [s.automation(d) for s, d in dips]
    peaks = [edges.body_dbtp()]
    for zone, offset in ((edges.head, 0), (edges.tail, edges.tail_start)):
        envelope = gain_envelope_db(
            items, track=None, frames=zone.shape[1], sample_rate=rate, start=offset
        )
        if envelope is not None:
            zone = zone * np.power(10.0, envelope / 20.0, dtype=np.float32)
        peaks.append(true_peak_dbtp(zone, sample_rate=rate))
    return max(peaks)


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
                    f"peak: an edit click at the cut; dipped {-item.gain_db:.1f} dB, just under "
                    "the ceiling"
                ),
            )
        )
    return calls
