"""A new session's stems decoded once, with everything later steps read measured on the way.

The song is read span by span, every stem for one span, then the next: each stem's blocks go
through a ``StemMeter`` (its facts, loudness blocks, masking bands, and what the automix and
the role guess read) and a ``SpectralFeatureMeter`` (its mono spectrogram's projections) on a
thread pool, and on this thread into the exact unity mix (what version 0 renders: each stem
at unity, centred), measured by a ``MixMeter``. The section finder and the tempo read the
stems' features summed with every stem at the same loudness (``levelled_sum``), so they
do not depend on the levels the stems were exported at. Stems that need a decoded copy
(resampled, or in a format read only as a stream) get it written on the way. Memory holds a
few blocks, whatever the number and length of the stems.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np

from mixchat.dsp.analysis import MixMeter
from mixchat.dsp.audio_io import Put
from mixchat.dsp.cleanup.detect import FaultMeter
from mixchat.dsp.feeds import BlockFeeds
from mixchat.dsp.render import MixJob, MixPlacer, to_float
from mixchat.dsp.section_features import SpectralFeatureMeter, SpectralFeatures, levelled_sum
from mixchat.dsp.spill import Spill
from mixchat.dsp.state import TrackState
from mixchat.dsp.stems import StemReader
from mixchat.dsp.threads import pool_size
from mixchat.dsp.track_meter import StemExtras, StemMeter, TrackAnalysis

Progress = Callable[[str, float], None]
BLOCK_FRAMES = 1 << 18
AHEAD_PER_WORKER = 2


@dataclass(frozen=True)
class StemReport:
    analysis: TrackAnalysis
    extras: StemExtras


@dataclass
class Ingested:
    stems: dict[str, StemReport]
    unity: MixMeter  # version 0's mix, measured (``result(sections=...)`` once they are known)
    features: SpectralFeatures  # the stems' sum at one loudness, for tempo and sections
    faults: dict[str, FaultMeter]  # the clean-up detectors fed so far (``FaultMeter.finish``)


class _Stem:
    def __init__(
        self,
        name: str,
        reader: StemReader,
        copy: Put | None,
        rate: int,
        frames: int,
        bands_put: Put | None,
        faults: FaultMeter | None,
    ):
        self.name, self.reader, self.copy = name, reader, copy
        self._spill = Spill()  # the meter's block powers, until its report
        self.meter = StemMeter(
            channels=reader.channels,
            sample_rate=rate,
            total=frames,
            bands_put=bands_put,
            spill=self._spill,
        )
        self.features = SpectralFeatureMeter(sample_rate=rate, spill=True)
        self.faults = faults
        self.insert_key = name

    def report(self) -> StemReport:
        """The stem's measures, once it has been fed to its end."""
        try:
            return StemReport(analysis=self.meter.result(), extras=self.meter.extras())
        finally:
            self._spill.close()

    def block(self, start: int, stop: int) -> np.ndarray:
        audio = self.reader.read(start, stop)
        if self.copy is not None:
            self.copy(start, audio)
        self.meter.feed(audio)
        # the channel mean: (L + R) / 2 is what the mean of two channels computes, exactly
        mono = audio[0] if audio.shape[0] == 1 else (audio[0] + audio[1]) * 0.5
        self.features.feed(mono)
        if self.faults is not None:
            self.faults.feed(audio, mono if audio.shape[0] <= 2 else None)
            if stop >= self.faults.frames:
                self.faults.settle()  # the rest waits for the role: hold little until then
        return audio


def ingest(
    readers: Mapping[str, StemReader],
    *,
    sample_rate: int,
    frames: int,
    bands_put: Callable[[str], Put | None] = lambda name: None,
    copies: Mapping[str, Put] | None = None,
    progress: Progress | None = None,
    faults: bool = False,
    expected_roles: Mapping[str, str] | None = None,
) -> Ingested:
    """Read every stem once (``frames`` long, at ``sample_rate``) and measure it;
    ``faults``: feed the clean-up detectors too (what does not depend on the role, and what
    depends on it for the stems ``expected_roles`` gives a role: a vocal's own parts)."""
    copies = copies or {}
    roles = expected_roles or {}
    stems = [
        _Stem(
            name,
            reader,
            copies.get(name),
            sample_rate,
            frames,
            bands_put(name),
            (
                FaultMeter(
                    sample_rate=sample_rate,
                    frames=frames,
                    role=None,
                    expected_role=roles.get(name),
                )
                if faults
                else None
            ),
        )
        for name, reader in readers.items()
    ]
    unity = MixMeter(channels=2, sample_rate=sample_rate, total=frames)
    placer = MixPlacer(sample_rate)
    jobs = {s.name: MixJob(s, TrackState(name=s.name), (), +1, True, ()) for s in stems}
    spans = [(lo, min(lo + BLOCK_FRAMES, frames)) for lo in range(0, frames, BLOCK_FRAMES)]
    workers = pool_size(at_most=len(stems))
    with ThreadPoolExecutor(max_workers=workers) as pool:
        feeds = BlockFeeds(stems, spans, pool, ahead=AHEAD_PER_WORKER * workers)
        try:
            for index, (start, stop) in enumerate(spans):
                exact = np.zeros((2, stop - start), dtype=np.float64)
                for stem, audio in feeds.blocks(index):
                    placer.add(jobs[stem.name], audio, start, exact, {})
                unity.feed(to_float(exact), pool=None)
                if progress is not None:
                    progress("reading the stems", (index + 1) / len(spans))
        except BaseException:
            feeds.cancel()
            raise
    reports = {s.name: s.report() for s in stems}
    features = levelled_sum(
        (s.features.result(), float(reports[s.name].analysis.facts["lufs"])) for s in stems
    )
    meters = {s.name: s.faults for s in stems if s.faults is not None}
    return Ingested(stems=reports, unity=unity, features=features, faults=meters)
