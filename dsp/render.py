"""Render: (stems, MixState) -> the pre-master mix, block by block, cached, deterministic.

Each audible track's output after its inserts (clean-up, trim ... saturation; the clean-up
stages read the stem ahead by their latency, see mixchat.dsp.cleanup.stream) comes from its
stem (no inserts), from its
track cache file (``track-<key>.npy``, named by a hash of the stem and the insert settings),
or from its insert chain run now on a thread pool a few blocks ahead of the mix (and written
to that file when the cache has room, unless its inserts are only a trim and a polarity flip:
that output is its stem times a gain, and decoding the stem again costs less than writing
and reading it back, and no disk). It is placed (fader and automation, pan, width) into
the mix and, post-fader, into the sends of the delay bus (placed, stereo) and of the reverb
(summed to mono, all its input stage uses, and taken before pan and width as a console's mono
aux send is: a track moved in the stereo field leaves the reverb alone); each bus runs on its
own thread a block behind (``bus_lane``).

Sums are exact: every contribution, scaled by 2**40, is truncated to an integer and added in
int64, and the pre-master is that sum times the mix bus's gain (its automation and the
master's trim), rounded once to float32. So the order in which contributions are added does
not matter, a trim changes no sum, and a cached mix
(``mix-<key>.npy`` and its manifest, see ``render_plan``) becomes another state's mix by
subtracting the contributions that changed and adding the new ones: a brief that changes one
track of 32 touches one track, and the result is the same samples a full render gives. The
buses' send sums are cached the same way (``send-<bus>-<key>.npy``), so a changed sender
costs one pass of its bus (the reverb is not split or shortened) and nothing of the others;
a bus run starts from the nearest cached send sum of any version, and a revision keeps its
own only where that saves a later brief more than writing it costs (``render_plan``).

Memory holds a few blocks, never whole tracks or the whole mix: the pre-master goes to the
``sinks`` (meters, writers) block by block (``collect=True`` also keeps it, for tests and
small jobs). Bus tails stop at the song's end.
"""

from __future__ import annotations

import json
import os
import queue
import re
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from mixchat.dsp.audio_io import (  # noqa: F401 - prune_cache is part of render's API
    NpyReader,
    Put,
    audio_writer,
    npy_block_writer,
    npy_nbytes,
    open_reader,
    prune_cache,
)
from mixchat.dsp.automation import automation_gain, matching
from mixchat.dsp.bus_lane import BusLane
from mixchat.dsp.cache import MIX, SPARE, TRACK, CacheBudget, touch
from mixchat.dsp.cleanup.chain import cleaned_stem
from mixchat.dsp.errors import StateError
from mixchat.dsp.feeds import BlockFeeds
from mixchat.dsp.mix_file import (
    SCALE,
    SUM_DTYPE,
    UNSCALE,
    _accumulate,
    mixbus_gain,
    to_float,
)
from mixchat.dsp.panning import MIX_CHUNK, placement_matrix, pre_pan_matrix
from mixchat.dsp.processors import (
    InsertChain,
    bus_chain,
    has_inserts,
    insert_chain,
    insert_gain_db,
)
from mixchat.dsp.render_plan import (
    BUSES,
    ENGINE_VERSION,
    SEND_CHANNELS,
    Manifest,
    MixDiff,
    bus_plans,
    choose_send_sources,
    cleaned_cache_key,
    contributions,
    diff,
    manifest_of,
    read_manifests,
    track_cache_key,
)
from mixchat.dsp.state import MixState, SectionAutomation, TrackState
from mixchat.dsp.stems import ArrayStem, SharedReads, StemReader
from mixchat.dsp.threads import pool_size
from mixchat.dsp.track_meter import TrackAnalysis, TrackMeter

__all__ = [
    "BUSES",
    "ENGINE_VERSION",
    "RenderResult",
    "StemSource",
    "prune_cache",
    "render_mix",
    "track_cache_key",
]

Progress = Callable[[str, float], None]
Sink = Callable[[int, np.ndarray], None]
MeterFactory = Callable[[str, int, int], TrackMeter | None]
BLOCK_S = 5.0  # 10 s blocks kept ~65 MB more in flight (say, 8 x 280 s) for no less CPU
AHEAD_PER_WORKER = 2  # track blocks in flight per worker (bounds memory, not speed)
CHAIN_RUN_COST = 2  # placements an insert chain run over the song costs beyond its own: a
# light EQ + compressor chain ~0.18 s against ~0.1 s to read and place an output (32 x 360)
WRITES_QUEUED = 6  # blocks waiting for their cache write (the mix, sends and returns of about
# two render blocks, ~16 MB at 44.1 kHz): a slow disk moment does not stop the mix


class _Reader(Protocol):
    channels: int
    frames: int

    def read(self, start: int, stop: int) -> np.ndarray: ...


@dataclass(frozen=True)
class StemSource:
    """A stem: ``audio`` is a (channels, n) array or a block reader (``mixchat.dsp.stems``);
    ``key`` names its content (a hash) for the caches."""

    name: str
    key: str
    audio: Any

    @property
    def reader(self) -> StemReader:
        return self.audio if hasattr(self.audio, "read") else ArrayStem(self.audio)

    @property
    def channels(self) -> int:
        return int(self.reader.channels if hasattr(self.audio, "read") else np.shape(self.audio)[0])

    @property
    def frames(self) -> int:
        return int(self.audio.frames if hasattr(self.audio, "read") else np.shape(self.audio)[1])

    def array(self) -> np.ndarray:
        """The whole stem in memory (for tools that need it whole)."""
        return self.reader.read(0, self.frames)


@dataclass
class RenderResult:
    premaster: np.ndarray | None
    sample_rate: int
    frames: int = 0
    rendered: list[str] = field(default_factory=list)
    cached: list[str] = field(default_factory=list)
    passthrough: list[str] = field(default_factory=list)
    buses: list[str] = field(default_factory=list)
    buses_cached: list[str] = field(default_factory=list)
    bus_files: dict[str, Path] = field(default_factory=dict)  # each return's cache file
    stem_files: list[Path] = field(default_factory=list)
    mix_file: Path | None = None  # the cached exact mix (None when it could not be kept)
    base: str | None = None  # the cached mix this render started from
    analyses: dict[str, TrackAnalysis] = field(default_factory=dict)  # insert key -> measures


def safe_file_stem(name: str) -> str:
    return re.sub(r"[^\w.-]+", "_", name).strip("._") or "track"


def _spans(frames: int, block: int, start: int = 0) -> list[tuple[int, int]]:
    return [(lo, min(lo + block, frames)) for lo in range(start, frames, block)]


def mix_path(cache: Path, key: str) -> Path:
    return cache / f"mix-{key}.npy"


def manifest_path(cache: Path, key: str) -> Path:
    return cache / f"mix-{key}.json"


def send_path(cache: Path, bus: str, key: str) -> Path:
    return cache / f"send-{bus}-{key}.npy"


def return_path(cache: Path, bus: str, key: str) -> Path:
    return cache / f"bus-{bus}-{key}.npy"


def track_path(cache: Path, key: str) -> Path:
    return cache / f"track-{key}.npy"


def cleaned_path(cache: Path, key: str) -> Path:
    return cache / f"cleaned-{key}.npy"


# --- track outputs ---------------------------------------------------------------------------
class TrackOutput:
    """One insert output, handed out block by block in order: passthrough (the stem), cached
    (a track cache file) or rendered now (and written to its cache file when there is room,
    unless it is only trimmed).
    A meter, when given, sees every block."""

    def __init__(
        self,
        *,
        track: TrackState,
        stem: StemSource,
        insert_key: str,
        sample_rate: int,
        frames: int,
        cache: Path | None,
        budget: CacheBudget | None,
        stack: ExitStack,
        meter: TrackMeter | None,
        write: bool = True,
        write_rank: int = TRACK,
    ) -> None:
        """``write_rank``: what the output's cache file may evict to make its room (``SPARE``:
        nothing, it takes free room only)."""
        self.name = track.name
        self._fresh = True  # the chain starts (reset) on the first block it is given
        self.insert_key = insert_key
        self.meter = meter
        reader = stem.reader
        self.stem = reader.own() if hasattr(reader, "own") else reader  # a stream each
        self.length = stem.frames  # the output stops where the stem does
        self.channels = stem.channels
        self.chain: InsertChain | None = None
        self.reader: NpyReader | None = None
        self.put: Put | None = None
        if not has_inserts(track):
            self.how = "passthrough"
            return
        shape = (self.channels, self.length)
        path = track_path(cache, insert_key) if cache is not None else None
        if path is not None:
            self.reader = open_reader(path, shape=shape)
            if self.reader is not None:
                self.how = "cached"
                touch(path)
                return
        self.how = "rendered"
        self.chain = insert_chain(track, sample_rate=sample_rate)
        self.put_cleaned: Put | None = None
        self.stem_key: str | None = stem.key  # None once the chain reads a cleaned stem
        if track.cleanup.stages():
            self._open_cleaned(track, stem, sample_rate, cache, budget, stack, write)
        if (
            write
            and path is not None
            and insert_gain_db(track) is None  # a trim's output is its stem's, decoded again
            and (budget is None or budget.reserve(npy_nbytes(shape), rank=write_rank))
        ):
            try:
                self.put = stack.enter_context(npy_block_writer(path, shape=shape))
            finally:
                if budget is not None:
                    budget.release(npy_nbytes(shape))

    def _open_cleaned(
        self,
        track: TrackState,
        stem: StemSource,
        sample_rate: int,
        cache: Path | None,
        budget: CacheBudget | None,
        stack: ExitStack,
        write: bool,
    ) -> None:
        """The stem through its clean-up stages, from its own cache file when an earlier
        render left one (so a change to the track's other inserts does not clean it again),
        else cleaned now (reading the stem ahead by the stages' latency) and written there."""
        shape = (self.channels, self.length)
        path = None
        if cache is not None:
            key = cleaned_cache_key(track, stem_key=stem.key, sample_rate=sample_rate)
            path = cleaned_path(cache, key)
            reader = open_reader(path, shape=shape)
            if reader is not None:
                touch(path)
                self.stem, self.stem_key = reader, None
                return
        cleaned = cleaned_stem(self.stem, track.cleanup, sample_rate=sample_rate)
        if cleaned is None:
            return
        self.stem, self.stem_key = cleaned, None
        if write and path is not None and (budget is None or budget.reserve(npy_nbytes(shape))):
            try:
                self.put_cleaned = stack.enter_context(npy_block_writer(path, shape=shape))
            finally:
                if budget is not None:
                    budget.release(npy_nbytes(shape))

    def block(self, start: int, stop: int) -> np.ndarray:
        """The output for ``start .. stop`` (silence after the stem's end)."""
        end = min(stop, self.length)
        if end <= start:
            return np.zeros((self.channels, stop - start), dtype=np.float32)
        if self.reader is not None:
            out = self.reader.read(start, end)
        elif self.chain is not None:
            raw = self.stem.read(start, end)
            if self.put_cleaned is not None:
                self.put_cleaned(start, raw)
            out = self.chain.process(raw, reset=self._fresh)
            self._fresh = False
            if self.put is not None:
                self.put(start, out)
        else:
            out = self.stem.read(start, end)
        if self.meter is not None:
            self.meter.feed(out)
        if end < stop:
            out = np.concatenate([out, np.zeros((self.channels, stop - end), np.float32)], axis=1)
        return out


class _Blocks(Protocol):
    insert_key: str

    def block(self, start: int, stop: int) -> np.ndarray: ...


def twin_jobs(jobs: Sequence[MixJob]) -> dict[str, list[tuple[MixJob, MixJob]]]:
    """By source: pairs of a contribution taken out and one put back that differ only in
    their automation (the same track output, fader, pan, width, sends and targets): a
    section ride. Where the automation gives both the same gains they cancel."""

    def placement(job: MixJob) -> tuple:
        t = job.track
        sends = (t.reverb_send_db, t.delay_send_db)
        return (t.name, t.gain_db, t.pan, t.width, sends, job.premaster, job.buses)

    outs: dict[tuple, list[MixJob]] = {}
    for job in jobs:
        if job.sign < 0:
            outs.setdefault((job.source.insert_key, *placement(job)), []).append(job)
    found: dict[str, list[tuple[MixJob, MixJob]]] = {}
    for job in jobs:
        waiting = outs.get((job.source.insert_key, *placement(job))) if job.sign > 0 else None
        if waiting:
            found.setdefault(job.source.insert_key, []).append((waiting.pop(), job))
    return found


@dataclass
class MixJob:
    """One contribution to add (+1) or take out (-1): the placed output of a source into
    the mix (``premaster``) and into the sends of ``buses``."""

    source: _Blocks
    track: TrackState
    automation: tuple[SectionAutomation, ...]
    sign: int
    premaster: bool
    buses: tuple[str, ...]
    matrix: np.ndarray | None = None
    pre_pan: np.ndarray | None = None  # the mono sends' matrix (``pre_pan_matrix``)
    centred: bool = False  # ``pre_pan`` is ``matrix``: the placed output is the pre-pan one


@dataclass(frozen=True)
class _Placement:
    """One contribution's block, ready to place chunk by chunk."""

    job: MixJob
    block: np.ndarray
    acc: np.ndarray
    matrix: np.ndarray
    pre_pan: np.ndarray
    fader_rows: np.ndarray | None
    send_gains: list[tuple[np.ndarray, np.ndarray | float]]
    written: Callable[[np.ndarray, int], None] | None


def _scaled_matrix(
    matrix: np.ndarray, fader: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray | None]:
    """A placement matrix times 2**40, with a static fader folded in; (matrix, the per-sample
    fader still to apply, or None)."""
    if isinstance(fader, float):
        return (matrix * fader).astype(np.float32) * SCALE, None
    return matrix * SCALE, fader


class _ChunkBuffers:
    """The scratch one thread places a chunk with."""

    def __init__(self) -> None:
        self.out = np.empty((2, MIX_CHUNK), dtype=np.float32)
        self.centred = np.empty((2, MIX_CHUNK), dtype=np.float32)  # the pre-pan placement
        self.row = np.empty(MIX_CHUNK, dtype=np.float32)
        self.mono = np.empty((1, MIX_CHUNK), dtype=np.float32)
        self.spare = np.empty((2, MIX_CHUNK), dtype=np.float32)
        self.scratch = np.empty((2, MIX_CHUNK), dtype=np.float64)  # the sums' type


class MixPlacer:
    """Places blocks (fader, automation, pan, width) scaled by 2**40, chunk by chunk, and
    adds them into the exact sums. Given a ``helper`` thread, the second half of a block's
    chunks is placed there meanwhile (every step is per sample, and the halves write apart)."""

    def __init__(self, sample_rate: int, *, helper: ThreadPoolExecutor | None = None) -> None:
        self.sample_rate = sample_rate
        self._buffers = _ChunkBuffers()
        self._helper = (helper, _ChunkBuffers()) if helper is not None else None
        self._gains_at = -1
        self._gains: dict[tuple, np.ndarray | float] = {}

    def gain(
        self, job: MixJob, owners: tuple, field_name: str, static_db: float, start: int, stop: int
    ):
        """``automation_gain`` for one job's block, computed once per block for jobs that
        share it (a track's old and new contribution usually do)."""
        key = (job.automation, owners, field_name, static_db, stop - start)
        if self._gains_at != start:
            self._gains_at, self._gains = start, {}
        if key not in self._gains:
            self._gains[key] = automation_gain(
                job.automation,
                owners=owners,
                field=field_name,
                static_db=static_db,
                start=start,
                frames=stop - start,
                sample_rate=self.sample_rate,
            )
        return self._gains[key]

    def gains(self, job: MixJob, start: int, stop: int) -> list[np.ndarray | float]:
        """A job's fader gain and its send gains (in ``BUSES`` order) for one block."""
        track = job.track
        fader = (
            self.gain(job, (track.name,), "gain_db", track.gain_db, start, stop)
            if matching(job.automation, track=track.name)
            else 10.0 ** (track.gain_db / 20.0)
        )
        sends = [
            self.gain(job, (track.name, None), send, getattr(track, send), start, stop)
            for bus, send in BUSES
            if bus in job.buses
        ]
        return [fader, *sends]

    def cancel(self, twins: tuple[MixJob, MixJob], start: int, stop: int) -> bool:
        """True when a contribution taken out and its twin put back place the same samples
        in this block (the same gains, computed the same way): their truncated parts cancel
        exactly in the sums, so neither needs adding."""
        for old, new in zip(
            self.gains(twins[0], start, stop), self.gains(twins[1], start, stop), strict=True
        ):
            if isinstance(old, float) or isinstance(new, float):
                if not (isinstance(old, float) and isinstance(new, float) and old == new):
                    return False
            elif not np.array_equal(old, new):
                return False
        return True

    def add(
        self,
        job: MixJob,
        block: np.ndarray,
        start: int,
        acc: np.ndarray,
        sends: Mapping[str, np.ndarray],
        written: Callable[[np.ndarray, int], None] | None = None,
    ) -> None:
        stop = start + block.shape[1]
        track = job.track
        if job.matrix is None or job.pre_pan is None:
            job.matrix = placement_matrix(
                pan=track.pan, width=track.width, channels=block.shape[0]
            ).astype(np.float32)
            job.pre_pan = pre_pan_matrix(channels=block.shape[0]).astype(np.float32)
            job.centred = bool(np.array_equal(job.pre_pan, job.matrix))
        fader, *gains = self.gains(job, start, stop)
        matrix, fader_rows = _scaled_matrix(job.matrix, fader)
        pre_pan = _scaled_matrix(job.pre_pan, fader)[0]
        send_gains = [
            (sends[bus], gain)
            for (bus, _), gain in zip([b for b in BUSES if b[0] in job.buses], gains, strict=True)
        ]
        place = _Placement(job, block, acc, matrix, pre_pan, fader_rows, send_gains, written)
        frames = block.shape[1]
        if self._helper is None or written is not None or frames < 2 * MIX_CHUNK:
            self._place_chunks(place, 0, frames, self._buffers)
            return
        helper, buffers = self._helper
        middle = (frames // MIX_CHUNK + 1) // 2 * MIX_CHUNK
        rest = helper.submit(self._place_chunks, place, middle, frames, buffers)
        self._place_chunks(place, 0, middle, self._buffers)
        rest.result()

    def _place_chunks(
        self, place: _Placement, begin: int, end: int, buffers: _ChunkBuffers
    ) -> None:
        """Place and add ``place``'s frames ``begin .. end``, chunk by chunk."""
        job, block, acc, written = place.job, place.block, place.acc, place.written
        matrix, pre_pan, fader_rows = place.matrix, place.pre_pan, place.fader_rows
        for lo in range(begin, end, MIX_CHUNK):
            hi = min(lo + MIX_CHUNK, end)
            chunk = block[:, lo:hi]
            gain = None if fader_rows is None else fader_rows[lo:hi]
            placed = centred = None
            if job.premaster or written is not None:
                placed = self._place(chunk, matrix, gain, buffers.out, buffers.row)
                if job.premaster:
                    _accumulate(acc[:, lo:hi], placed, job.sign, buffers.scratch)
            for target, send_gain in place.send_gains:
                part = send_gain if isinstance(send_gain, float) else send_gain[lo:hi]
                if target.shape[0] == 1:  # a mono send: taken before pan and width
                    if centred is None:
                        centred = (
                            placed
                            if placed is not None and job.centred
                            else self._place(chunk, pre_pan, gain, buffers.centred, buffers.row)
                        )
                    scaled = buffers.mono[:, : hi - lo]
                    np.add(centred[0], centred[1], out=scaled[0])
                    scaled *= part
                else:
                    if placed is None:
                        placed = self._place(chunk, matrix, gain, buffers.out, buffers.row)
                    scaled = buffers.spare[:, : hi - lo]
                    np.multiply(placed, part, out=scaled)
                _accumulate(target[:, lo:hi], scaled, job.sign, buffers.scratch)
            if written is not None and placed is not None:
                written(placed, lo)

    @staticmethod
    def _place(
        source: np.ndarray,
        matrix: np.ndarray,
        gain: np.ndarray | None,
        into: np.ndarray,
        row_buffer: np.ndarray,
    ) -> np.ndarray:
        frames = source.shape[1]
        out, row = into[:, :frames], row_buffer[:frames]
        if gain is not None:
            source = source * gain
        for out_row in range(2):
            np.multiply(source[0], matrix[out_row, 0], out=out[out_row])
            for in_row in range(1, source.shape[0]):
                if matrix[out_row, in_row] != 0.0:  # zero unless width != 1
                    np.multiply(source[in_row], matrix[out_row, in_row], out=row)
                    out[out_row] += row
        return out


def _check_inputs(stems: Mapping[str, StemSource], state: MixState, block_s: float) -> None:
    if block_s <= 0:
        raise StateError(f"block_s={block_s} must be > 0")
    for track in state.tracks:
        if track.name not in stems:
            raise StateError(f"track={track.name!r} has no stem; stems are {sorted(stems)}")
        stem = stems[track.name]
        shape = (
            (stem.channels, stem.frames) if hasattr(stem.audio, "read") else np.shape(stem.audio)
        )
        if len(shape) != 2 or shape[0] not in (1, 2):
            raise StateError(
                f"stem {track.name!r} has shape {shape}; it must be (1 or 2 channels, samples)"
            )


def _remove_stale_stems(stems_out: Path, state: MixState, used: list[str]) -> None:
    """Delete files an earlier render wrote for tracks or buses that are silent now, so the
    folder still sums to the pre-master. Files with other names are left alone."""
    audible = {t.name for t in state.audible_tracks()}
    names = [f"{safe_file_stem(t.name)}.wav" for t in state.tracks if t.name not in audible]
    names += [f"{bus}_return.wav" for bus, _ in BUSES if bus not in used]
    for name in names:
        (stems_out / name).unlink(missing_ok=True)


def _usable(base: Manifest, change: MixDiff, cache: Path) -> bool:
    """True when the files the change reads from the base are in the cache: its mix and the
    returns it swaps (the send sums may come from any version's, ``_send_sources``)."""
    if open_reader(mix_path(cache, base.key), shape=(2, base.frames), dtype=SUM_DTYPE) is None:
        return False
    return all(
        return_path(cache, bus, base.buses[bus]["return"]).exists()
        for bus in change.returns
        if bus in base.buses
    )


def _runs(target: Manifest, change: MixDiff, cache: Path | None) -> list[str]:
    """The buses the change runs: their return changes and the new one is not cached."""
    return [
        bus
        for bus in change.returns
        if bus in target.buses
        and (
            cache is None
            or open_reader(
                return_path(cache, bus, target.buses[bus]["return"]), shape=(2, target.frames)
            )
            is None
        )
    ]


def _send_sources(manifests: list[Manifest], cache: Path) -> dict[str, list[Manifest]]:
    """bus -> the manifests whose send sum of that bus is in the cache."""
    found: dict[str, list[Manifest]] = {}
    for manifest in manifests:
        for bus, entry in manifest.buses.items():
            shape = (SEND_CHANNELS[bus], manifest.frames)
            path = send_path(cache, bus, entry["send"])
            if open_reader(path, shape=shape, dtype=SUM_DTYPE) is not None:
                found.setdefault(bus, []).append(manifest)
    return found


def _from_scratch(target: Manifest, cache: Path | None) -> MixDiff:
    change = diff(target, None)
    return choose_send_sources(change, target, runs=_runs(target, change, cache), sources={})


def _choose_base(target: Manifest, cache: Path | None) -> MixDiff:
    """The cheapest way to the target: from scratch, or from a cached mix (each bus run
    starting from the nearest cached send sum), counting the outputs to place and, for
    those not in the cache, their insert chains to run (``_effort``). Among ways that cost
    the same, a cached mix before scratch, then the first listed."""
    best = _from_scratch(target, cache)
    if cache is None:
        return best
    manifests = [
        m
        for m in read_manifests(cache)
        if (m.frames, m.sample_rate) == (target.frames, target.sample_rate)
    ]
    sources = _send_sources(manifests, cache)
    runs_chain: dict[str, bool] = {}
    least = _effort(best, target, cache, runs_chain)
    for manifest in manifests:
        change = diff(target, manifest)
        if not _usable(manifest, change, cache):
            continue
        choose_send_sources(change, target, runs=_runs(target, change, cache), sources=sources)
        effort = _effort(change, target, cache, runs_chain)
        if effort < least or (effort == least and best.base is None):
            best, least = change, effort
    return best


def _effort(change: MixDiff, target: Manifest, cache: Path, runs_chain: dict[str, bool]) -> int:
    """What a change costs, in placements of a track output: one per contribution taken out
    or put in, and ``CHAIN_RUN_COST`` more for each whose output must be made by its insert
    chain (not cached; a trim is its stem's, decoded again). ``runs_chain`` memoises by
    insert key."""
    records = [record for record, _, _ in change.outgoing()]
    records += [target.tracks[name] for name in change.incoming()]
    chains = 0
    for record in records:
        track = TrackState.model_validate(record["state"])
        if not has_inserts(track) or insert_gain_db(track) is not None:
            continue
        key = track_cache_key(track, stem_key=record["stem"], sample_rate=target.sample_rate)
        if key not in runs_chain:
            runs_chain[key] = not track_path(cache, key).exists()
        chains += runs_chain[key]
    return len(records) + CHAIN_RUN_COST * chains


def block_frames(*, sample_rate: int, block_s: float = BLOCK_S) -> int:
    """The render's block in frames. Track inserts run outside a render are given the same
    blocks, so their output (and its cache file) is the render's sample for sample."""
    return max(1, int(round(block_s * sample_rate)))


def render_mix(
    *,
    stems: Mapping[str, StemSource],
    state: MixState,
    sample_rate: int,
    cache_dir: Path | None = None,
    budget: CacheBudget | None = None,
    stems_out: Path | None = None,
    stems_subtype: str = "FLOAT",
    block_s: float = BLOCK_S,
    progress: Progress | None = None,
    sinks: Sequence[Sink] = (),
    collect: bool | None = True,
    meter_for: MeterFactory | None = None,
    keep_mix: bool = True,
    start_frame: int = 0,
    preroll_s: float = 3.0,
) -> RenderResult:
    """Render the pre-master mix (2, n) float32: every audible track post-fader plus the bus
    returns, before any master stage. Each pre-master block goes to ``sinks`` in order (and
    into ``RenderResult.premaster`` when ``collect``; ``collect=None``: only when the mix
    could not be cached). ``meter_for(insert_key, channels, frames)`` gives a ``TrackMeter``
    for each track output to measure on the way (None: not that one); its results are in
    ``RenderResult.analyses``. ``keep_mix=False``: a throwaway
    render (no mix or send sums written to the cache).

    ``start_frame`` > 0 renders from there to the end, for listening: what comes from the
    cache (a cached mix, track outputs, bus returns) is exact; inserts and buses that must
    run start ``preroll_s`` earlier, so their filters, compressors and tails have settled by
    ``start_frame``. Such a render writes nothing to the cache and measures nothing."""
    _check_inputs(stems, state, block_s)
    frames = max((stems[t.name].frames for t in state.tracks), default=0)
    block = block_frames(sample_rate=sample_rate, block_s=block_s)
    start_frame = min(max(int(start_frame), 0), frames)
    first = max(0, start_frame - int(round(preroll_s * sample_rate))) if start_frame else 0
    spans = _spans(frames, block, first)
    if start_frame:
        keep_mix, meter_for, stems_out, collect = False, None, None, False
    cache = Path(cache_dir) if cache_dir is not None else None
    stem_keys = {name: stem.key for name, stem in stems.items()}
    found = contributions(state, stem_keys=stem_keys, sample_rate=sample_rate)
    plans = bus_plans(state, found, sample_rate=sample_rate, frames=frames)
    target = manifest_of(found, plans, frames=frames, rate=sample_rate)
    change = _from_scratch(target, cache) if stems_out is not None else _choose_base(target, cache)
    if stems_out is not None:
        stems_out = Path(stems_out)
        stems_out.mkdir(parents=True, exist_ok=True)
        _remove_stale_stems(stems_out, state, list(plans))
    result = RenderResult(premaster=None, sample_rate=sample_rate, frames=frames)
    result.buses = list(plans)
    result.base = change.base.key if change.base is not None else None
    with ExitStack() as stack:
        mixer = _Mixdown(
            state=state,
            stems=stems,
            found=found,
            plans=plans,
            target=target,
            change=change,
            sample_rate=sample_rate,
            frames=frames,
            cache=cache,
            budget=budget,
            stack=stack,
            stems_out=stems_out,
            stems_subtype=stems_subtype,
            meter_for=meter_for,
            result=result,
            keep_mix=keep_mix,
            write_tracks=not start_frame,
        )
        outputs: list[Sink] = list(sinks)
        if start_frame:
            outputs = [_from(start_frame, sink) for sink in outputs]
        cached = mixer.mix_put is not None or (
            change.base is not None and change.base.key == target.key
        )
        if collect or (collect is None and not cached):
            collected = result.premaster = np.zeros((2, frames), dtype=np.float32)

            def keep(start: int, audio: np.ndarray) -> None:
                collected[:, start : start + audio.shape[1]] = audio

            outputs.append(keep)
        try:
            mixer.run(spans, outputs, progress)
        except BaseException:
            if budget is not None:
                budget.unpin(mixer.pinned)
            raise
    mixer.write_manifest()
    if progress is not None:
        progress("done", 1.0)
    return result


class _Mixdown:
    """One render: sources and jobs from the change, lanes for the buses to run, the exact
    sums block by block, and the outputs."""

    def __init__(
        self,
        *,
        state,
        stems,
        found,
        plans,
        target,
        change,
        sample_rate,
        frames,
        cache,
        budget,
        stack,
        stems_out,
        stems_subtype,
        meter_for,
        result,
        keep_mix=True,
        write_tracks=True,
    ):  # noqa: ANN001, PLR0913
        self.state, self.stems, self.found, self.plans = state, stems, found, plans
        self.target, self.change = target, change
        self.rate, self.frames = sample_rate, frames
        self.cache, self.budget, self.stack = cache, budget, stack
        self.stems_out, self.subtype = stems_out, stems_subtype
        self.result = result
        self.keep_mix = keep_mix and cache is not None
        self.write_tracks = write_tracks
        self._meter_for = meter_for or (lambda key, channels, frames: None)
        self._sources: dict[str, TrackOutput] = {}
        self._meters: dict[str, TrackMeter] = {}
        self.jobs: list[MixJob] = []
        self.pinned: list[Path] = []
        wanted = self._wanted()
        reads = self._track_reads(wanted)
        for path in reads:  # the room made for the mix set evicts least recently used first
            touch(path)
        self._pin_mix_reads()
        self.writes = _Writes()  # the sums' and returns' cache writes, off the mixing threads
        stack.callback(self.writes.abort)  # (a no-op once run has closed it)
        self._plan_buses()
        self._pin(reads)
        self._plan_jobs(wanted)
        self._writers: dict[str, Any] = {}
        if stems_out is not None:
            for name in found:
                self._open_writer(name, f"{safe_file_stem(name)}.wav")
            for bus in plans:
                self._open_writer(bus, f"{bus}_return.wav")

    # --- planning ---------------------------------------------------------------------
    def _wanted(
        self,
    ) -> list[tuple[TrackState, tuple[SectionAutomation, ...], str, int, bool, tuple[str, ...]]]:
        """(track, automation, stem key, sign, into the mix, buses) of every contribution to
        take out (old settings, from the base's manifest) or put in."""
        change = self.change
        wanted = []
        for record, premaster, buses in sorted(
            change.outgoing(), key=lambda o: o[0]["state"]["name"]
        ):
            track = TrackState.model_validate(record["state"])
            automation = tuple(SectionAutomation.model_validate(a) for a in record["automation"])
            wanted.append((track, automation, record["stem"], -1, premaster, buses))
        incoming = change.incoming()
        for name, c in self.found.items():
            if name in incoming:
                premaster, buses = incoming[name]
                wanted.append((c.track, c.automation, c.stem_key, +1, premaster, buses))
        return wanted

    def _insert_key(self, track: TrackState, stem_key: str) -> str:
        if has_inserts(track):
            return track_cache_key(track, stem_key=stem_key, sample_rate=self.rate)
        return f"stem-{stem_key}"

    def _pin(self, paths: list[Path]) -> None:
        """Keep cached files this render reads from being evicted by its own writes."""
        self.pinned += paths
        if self.budget is not None:
            self.budget.pin(paths)

    def _pin_mix_reads(self) -> None:
        """The cached mix, sends and returns this render reads (first: the mix set is worth
        more than any track output, so its room is made before track files are opened)."""
        cache, base = self.cache, self.change.base
        if cache is None:
            return
        paths = []
        if base is not None:
            paths += [mix_path(cache, base.key), manifest_path(cache, base.key)]
            paths += [return_path(cache, bus, old["return"]) for bus, old in base.buses.items()]
        for bus, source in self.change.send_from.items():
            if source is not None:
                paths.append(send_path(cache, bus, source.buses[bus]["send"]))
                paths.append(manifest_path(cache, source.key))
        for bus, plan in self.plans.items():
            paths += [
                send_path(cache, bus, plan.send_key),
                return_path(cache, bus, plan.return_key),
            ]
        self._pin(paths)

    def _track_reads(self, wanted) -> list[Path]:  # noqa: ANN001
        """The track outputs and cleaned stems of the contributions this render takes out or
        puts in: marked as just used before the mix set's room is made (so it evicts other
        tracks' outputs first, not the old output a revision is about to read), and pinned
        once it is made (the mix set is worth more than any track output). The outputs of
        tracks the change leaves alone stay evictable, least recently used first, so the
        outputs a brief writes (the tracks the next brief most likely touches again) can
        replace them."""
        if self.cache is None:
            return []
        tracks = [(t, k) for t, _, k, *_ in wanted]
        paths = [track_path(self.cache, self._insert_key(t, k)) for t, k in tracks]
        paths += [
            cleaned_path(self.cache, cleaned_cache_key(t, stem_key=k, sample_rate=self.rate))
            for t, k in tracks
            if t.cleanup.stages()
        ]
        return paths

    def _source(
        self, track: TrackState, stem_key: str, measured: bool, *, current: bool
    ) -> TrackOutput:
        """A track output to read; ``current``: part of the state rendered (an output only
        the contributions taken out read is cached in free room only: it serves only a
        way back, and the outputs of the tracks left alone are worth as much)."""
        stem = self.stems[track.name]
        if stem.key != stem_key:
            raise StateError(f"stem {track.name!r} changed since the cached mix was made")
        key = self._insert_key(track, stem_key)
        if key not in self._sources:
            meter = self._meter_for(key, stem.channels, stem.frames) if measured else None
            if meter is not None:
                self._meters[key] = meter
            self._sources[key] = TrackOutput(
                track=track,
                stem=stem,
                insert_key=key,
                sample_rate=self.rate,
                frames=self.frames,
                cache=self.cache,
                budget=self.budget,
                stack=self.stack,
                meter=meter,
                write=self.write_tracks,
                write_rank=TRACK if current else SPARE,
            )
        return self._sources[key]

    def _plan_jobs(self, wanted) -> None:  # noqa: ANN001
        current = {self._insert_key(t, k) for t, _, k, sign, *_ in wanted if sign > 0}
        # the state's own outputs first: their cache files get room before the old ones
        for track, automation, stem_key, sign, premaster, buses in sorted(
            wanted, key=lambda item: item[3] < 0
        ):
            key = self._insert_key(track, stem_key)
            source = self._source(track, stem_key, sign > 0, current=key in current)
            self.jobs.append(MixJob(source, track, automation, sign, premaster, buses))
        for c in self.found.values():  # measured but not in the change: read it anyway
            if c.insert_key not in self._sources:
                stem = self.stems[c.name]
                meter = self._meter_for(c.insert_key, stem.channels, stem.frames)
                if meter is not None:
                    self._meters[c.insert_key] = meter
                    self._sources[c.insert_key] = TrackOutput(
                        track=c.track,
                        stem=stem,
                        insert_key=c.insert_key,
                        sample_rate=self.rate,
                        frames=self.frames,
                        cache=self.cache,
                        budget=self.budget,
                        stack=self.stack,
                        meter=meter,
                        write=self.write_tracks,
                    )
        self._share_stem_reads()
        for name, c in self.found.items():
            made = self._sources.get(c.insert_key)
            if c.passthrough:
                self.result.passthrough.append(name)
            elif made is not None and made.how == "rendered":
                self.result.rendered.append(name)
            else:
                self.result.cached.append(name)

    def _share_stem_reads(self) -> None:
        """Outputs rendered now from the same stem (a track's old and new inserts) decode
        each of its blocks once between them: the decode of a 24-bit file costs about as
        much as a light insert chain."""
        readers: dict[str, list[TrackOutput]] = {}
        for source in self._sources.values():
            if source.how == "rendered" and source.stem_key is not None:
                readers.setdefault(source.stem_key, []).append(source)
        for group in readers.values():
            if len(group) > 1:
                shared = SharedReads(group[0].stem, consumers=len(group))
                for source in group:
                    source.stem = shared

    def _reserve_writer(self, path: Path, shape: tuple[int, int], dtype: str = "<f4") -> Put | None:
        nbytes = npy_nbytes(shape, dtype)
        if self.budget is not None and not self.budget.reserve(nbytes, rank=MIX):
            return None
        try:
            return self.stack.enter_context(npy_block_writer(path, shape=shape, dtype=dtype))
        finally:
            if self.budget is not None:
                self.budget.release(nbytes)

    def _plan_buses(self) -> None:
        cache, change = self.cache, self.change
        base = change.base
        self.lanes: dict[str, BusLane] = {}
        self.new_returns: dict[str, Any] = {}  # bus -> lane or reader of the new return
        self.old_returns: dict[str, tuple[NpyReader, int]] = {}
        self.send_bases: dict[str, NpyReader | None] = {}
        self.send_puts: dict[str, Put] = {}
        shape = (2, self.frames)
        for bus in change.returns:
            old = base.buses.get(bus) if base is not None else None
            if old is not None:
                reader = open_reader(return_path(cache, bus, old["return"]), shape=shape)
                if reader is None:
                    raise StateError(f"the cached {bus} return of mix {base.key} is missing")
                self.old_returns[bus] = (reader, old["delay"])
        for bus, plan in self.plans.items():
            path = return_path(cache, bus, plan.return_key) if cache is not None else None
            if path is not None:
                self.result.bus_files[bus] = path
            if bus not in change.returns:
                self.result.buses_cached.append(bus)
                continue
            reader = open_reader(path, shape=shape) if path is not None else None
            if path is not None and reader is not None and bus not in change.send_from:
                self.new_returns[bus] = reader
                self.result.buses_cached.append(bus)
                touch(path)
                continue
            if bus not in change.send_from:  # evicted since the render was planned
                raise StateError(f"the cached {bus} return {plan.return_key} is missing")
            writable = (
                self.write_tracks
                and path is not None
                and (self.budget is None or self.budget.reserve(npy_nbytes(shape), rank=MIX))
            )
            try:
                put = (
                    self.stack.enter_context(npy_block_writer(path, shape=shape))
                    if writable and path is not None
                    else None
                )
                self.lanes[bus] = self.new_returns[bus] = BusLane(
                    bus_chain(self.state, bus, sample_rate=self.rate),
                    frames=self.frames,
                    prepare=to_float,
                    put=self.writes.later(put) if put is not None else None,
                )
            finally:
                if writable and self.budget is not None:
                    self.budget.release(npy_nbytes(shape))
        for bus, source in change.send_from.items():  # the send sums of the buses run
            send_shape = (SEND_CHANNELS[bus], self.frames)
            reader = None
            if source is not None:
                key = source.buses[bus]["send"]
                reader = open_reader(send_path(cache, bus, key), shape=send_shape, dtype=SUM_DTYPE)
                if reader is None:
                    raise StateError(f"the cached {bus} send of mix {source.key} is missing")
            self.send_bases[bus] = reader
            path = send_path(cache, bus, self.plans[bus].send_key) if cache is not None else None
            if self.keep_mix and change.keeps_send(bus) and path is not None and not path.exists():
                put = self._reserve_writer(path, send_shape, SUM_DTYPE)
                if put is not None:
                    self.send_puts[bus] = put
        self.base_mix = (
            open_reader(mix_path(cache, base.key), shape=shape, dtype=SUM_DTYPE)
            if base is not None
            else None
        )
        self.mix_put: Put | None = None
        if self.keep_mix and (base is None or base.key != self.target.key):
            self.mix_put = self._reserve_writer(mix_path(cache, self.target.key), shape, SUM_DTYPE)

    def write_manifest(self) -> None:
        """Once the mix file is in place: what it holds, for later renders to start from
        (with, for each send sum not in the cache, the cached one it is rebuilt from:
        ``send_origins``)."""
        try:
            if self.mix_put is None or self.cache is None:
                return
            path = manifest_path(self.cache, self.target.key)
            data = self.target.to_json()
            for bus, origin in self.send_origins().items():
                data["buses"][bus] = {**data["buses"][bus], **origin}
            text = json.dumps(data)
            if self.budget is not None and not self.budget.reserve(len(text), rank=MIX):
                return  # the mix stays (whole-song renders reuse it by its name), unindexed
            try:
                tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
                tmp.write_text(text)
                os.replace(tmp, path)
            finally:
                if self.budget is not None:
                    self.budget.release(len(text))
        finally:
            if self.budget is not None:
                self.budget.unpin(self.pinned)

    def send_origins(self) -> dict[str, dict[str, str]]:
        """bus -> {"from": manifest key, "from_send": send key} for each of the target's
        send sums not in the cache that a later render rebuilds from another version's: the
        one this render started from, or the base's origin when the send is the base's
        (the cache keeps those files while this mix set is the newest, ``cache.rank_of``)."""
        found: dict[str, dict[str, str]] = {}
        base = self.change.base
        for bus, plan in self.plans.items():
            if bus in self.send_puts or send_path(self.cache, bus, plan.send_key).exists():
                continue
            source = self.change.send_from.get(bus)
            if source is not None:
                found[bus] = {"from": source.key, "from_send": source.buses[bus]["send"]}
            elif base is not None and base.buses.get(bus, {}).get("send") == plan.send_key:
                origin = base.buses[bus]
                if "from" in origin:
                    found[bus] = {"from": origin["from"], "from_send": origin["from_send"]}
        return found

    def _open_writer(self, key: str, file_name: str) -> None:
        path = self.stems_out / file_name
        self.result.stem_files.append(path)
        self._writers[key] = self.stack.enter_context(
            audio_writer(path, sample_rate=self.rate, channels=2, subtype=self.subtype)
        )

    # --- running ------------------------------------------------------------------------
    def run(
        self, spans: list[tuple[int, int]], sinks: list[Sink], progress: Progress | None
    ) -> None:
        sources = list(self._sources.values())
        workers = pool_size(at_most=len(sources))
        pool = self.stack.enter_context(ThreadPoolExecutor(max_workers=workers))
        feeds = BlockFeeds(sources, spans, pool, ahead=AHEAD_PER_WORKER * workers)
        by_source: dict[str, list[MixJob]] = {}
        for job in self.jobs:
            by_source.setdefault(job.source.insert_key, []).append(job)
        twins = twin_jobs(self.jobs)
        helper = self.stack.enter_context(ThreadPoolExecutor(max_workers=1))
        placer = MixPlacer(self.rate, helper=helper)
        output = _Output(sinks)
        writes = self.writes
        pending: deque[tuple[int, int, np.ndarray, dict[str, np.ndarray]]] = deque()
        units, done = max(len(spans) * len(sources), 1), 0
        mixing = bool(
            sinks or self.mix_put is not None or self.send_puts or self.lanes or self._writers
        )
        reads = self.stack.enter_context(ThreadPoolExecutor(max_workers=1)) if mixing else None
        ahead = reads.submit(self._read_block, *spans[0]) if reads is not None and spans else None
        try:
            for index, (start, stop) in enumerate(spans):
                if not mixing:  # only the track outputs are wanted (cache files, meters)
                    for source, _ in feeds.blocks(index):
                        if progress is not None:
                            done += 1
                            progress(f"measuring {source.name}", min(0.99, done / units))
                    continue
                read = ahead.result() if ahead is not None else self._read_block(start, stop)
                acc, sends, cached_returns = read
                if reads is not None and index + 1 < len(spans):  # read on while this mixes
                    ahead = reads.submit(self._read_block, *spans[index + 1])
                for source, block in feeds.blocks(index):
                    same = {
                        id(job)
                        for pair in twins.get(source.insert_key, ())
                        if placer.cancel(pair, start, stop)
                        for job in pair
                    }
                    for job in by_source.get(source.insert_key, []):
                        if id(job) in same:
                            continue
                        written = self._writer_for(job, start)
                        placer.add(job, block, start, acc, sends, written)
                    if progress is not None:
                        done += 1
                        progress(f"mixing {source.name}", min(0.99, done / units))
                for bus, send in sends.items():
                    if bus in self.send_puts:
                        writes.put(self.send_puts[bus], start, send)
                    if bus in self.lanes:
                        self.lanes[bus].feed(start, send)  # to_float on the lane's thread
                pending.append((start, stop, acc, cached_returns))
                while len(pending) > 1:
                    self._finish(*pending.popleft(), output, writes)
                if progress is not None and not sources:
                    progress("mixing", min(0.99, (index + 1) / max(len(spans), 1)))
            for lane in self.lanes.values():
                lane.close()
            while pending:
                self._finish(*pending.popleft(), output, writes)
            for lane in self.lanes.values():
                lane.finish()
            output.close()
            writes.close()
        except BaseException:
            feeds.cancel()
            for lane in self.lanes.values():
                lane.abort()
            output.abort()
            writes.abort()
            raise
        for key, meter in self._meters.items():
            self.result.analyses[key] = meter.result()
        if self.mix_put is not None:
            self.result.mix_file = mix_path(self.cache, self.target.key)
        elif self.change.base is not None and self.change.base.key == self.target.key:
            self.result.mix_file = mix_path(self.cache, self.target.key)
            touch(self.result.mix_file)

    def _writer_for(self, job: MixJob, start: int):  # noqa: ANN202
        writer = self._writers.get(job.track.name)
        if writer is None or job.sign < 0:
            return None

        def written(placed: np.ndarray, lo: int) -> None:
            gain = self._mixbus(start + lo, start + lo + placed.shape[1])
            audio = placed.astype(np.float64) * UNSCALE
            writer.write((audio * gain).astype(np.float32))

        return written

    def _mixbus(self, start: int, stop: int) -> np.ndarray | float:
        return mixbus_gain(
            self.state.automation,
            trim_db=self.state.master.trim_db,
            sample_rate=self.rate,
            start=start,
            stop=stop,
        )

    def _read_block(
        self, start: int, stop: int
    ) -> tuple[np.ndarray, dict[str, np.ndarray], dict[str, np.ndarray]]:
        """What a block starts from, read (on a thread of its own, a block ahead): the cached
        mix with the changed returns that come from files swapped already (the old ones out,
        cached new ones in: the sums are exact in any order), the send sums, and those new
        returns (for the stems dir)."""
        acc = self._base_block(start, stop)
        scratch = np.empty((2, stop - start), dtype=np.float64)
        for reader, delay in self.old_returns.values():
            _accumulate(
                acc, _shifted(reader, start - delay, stop - delay, self.frames) * SCALE, -1, scratch
            )
        cached: dict[str, np.ndarray] = {}
        for bus, source in self.new_returns.items():
            if not isinstance(source, BusLane):
                delay = self.plans[bus].delay
                ret = cached[bus] = _shifted(source, start - delay, stop - delay, self.frames)
                _accumulate(acc, ret * SCALE, +1, scratch)
        return acc, self._send_blocks(start, stop), cached

    def _base_block(self, start: int, stop: int) -> np.ndarray:
        if self.base_mix is not None:
            return self.base_mix.read(start, stop)
        return np.zeros((2, stop - start), dtype=np.float64)

    def _send_blocks(self, start: int, stop: int) -> dict[str, np.ndarray]:
        blocks = {}
        for bus, reader in self.send_bases.items():
            if reader is not None:
                blocks[bus] = reader.read(start, stop)
            else:
                blocks[bus] = np.zeros((SEND_CHANNELS[bus], stop - start), dtype=np.float64)
        return blocks

    def _finish(
        self,
        start: int,
        stop: int,
        acc: np.ndarray,
        cached_returns: dict[str, np.ndarray],
        output: _Output,
        writes: _Writes,
    ) -> None:
        """Add the returns the lanes made, keep the exact sum, send the pre-master out (the
        other changed returns were swapped as the block was read)."""
        scratch = np.empty((2, stop - start), dtype=np.float64)
        for bus, source in self.new_returns.items():
            if isinstance(source, BusLane):
                delay = self.plans[bus].delay
                ret = source.take(start - delay, stop - delay)
                _accumulate(acc, ret * SCALE, +1, scratch)
            else:
                ret = cached_returns[bus]
            if bus in self._writers:
                self._writers[bus].write((ret * self._mixbus(start, stop)).astype(np.float32))
        if self.mix_put is not None:
            writes.put(self.mix_put, start, acc)
        output.put(start, acc, self._mixbus(start, stop))


def _shifted(reader: NpyReader, start: int, stop: int, frames: int) -> np.ndarray:
    out = np.zeros((2, stop - start), dtype=np.float32)
    lo, hi = max(start, 0), min(stop, frames)
    if hi > lo:
        out[:, lo - start : hi - start] = reader.read(lo, hi)
    return out


def _from(first: int, sink: Sink) -> Sink:
    """``sink`` given only the samples from ``first`` on."""

    def trimmed(start: int, audio: np.ndarray) -> None:
        skip = max(0, first - start)
        if skip < audio.shape[1]:
            sink(start + skip, audio[:, skip:])

    return trimmed


class _Worker:
    """Items handled in order on a thread of its own, at most ``queued`` waiting; an error
    there is raised on the render thread at the next ``submit`` or at ``close``."""

    def __init__(self, handle: Callable[..., None], *, name: str, queued: int) -> None:
        self._handle = handle
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queued)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            if self._error is not None:
                continue
            try:
                self._handle(*item)
            except BaseException as error:  # noqa: BLE001 - raised on the render thread
                self._error = error

    def submit(self, *item: Any) -> None:
        if self._error is not None:
            raise self._error
        self._queue.put(item)

    def close(self) -> None:
        """Every item handled (a writer's files are complete when this returns)."""
        self._queue.put(None)
        self._thread.join()
        if self._error is not None:
            raise self._error

    def abort(self) -> None:
        self._error = self._error or RuntimeError("render stopped")
        self._queue.put(None)
        self._thread.join()


class _Writes(_Worker):
    """The render's cache writes (the mix and send sums, the returns the bus lanes make) on a
    thread of their own: a write of a block is a copy into the page cache as long as the mix
    of that block, and the mix goes on meanwhile. The blocks handed over are not changed
    afterwards."""

    def __init__(self) -> None:
        super().__init__(_write, name="render-writes", queued=WRITES_QUEUED)

    def put(self, put: Put, start: int, block: np.ndarray) -> None:
        self.submit(put, start, block)

    def later(self, put: Put) -> Put:
        """``put``, made on the writer thread."""
        return lambda start, block: self.put(put, start, block)


def _write(put: Put, start: int, block: np.ndarray) -> None:
    put(start, block)


class _Output(_Worker):
    """Converts exact sums to the pre-master and hands it to the sinks on a thread of its
    own (meters are slow; the mix goes on meanwhile)."""

    def __init__(self, sinks: list[Sink]) -> None:
        self._sinks = sinks
        super().__init__(self._send, name="render-output", queued=3)

    def _send(self, start: int, acc: np.ndarray, gain: np.ndarray | float) -> None:
        audio = to_float(acc, gain)
        for sink in self._sinks:
            sink(start, audio)

    def put(self, start: int, acc: np.ndarray, gain: np.ndarray | float) -> None:
        self.submit(start, acc, gain)
