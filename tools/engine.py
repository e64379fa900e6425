"""The engine a session uses: its stems, render (cached mixes and tracks), master, measures.

Stems are read a block at a time from their files (``mixchat.tools.stems_source``). A render
measures the pre-master as it streams out (``MixMeter``) and each track output that has no
stored analysis yet (``TrackMeter``), so a version's metrics cost no second pass over the
song, and a brief reads the analyses ``new``, the automix and earlier briefs stored
(``TrackStore``) instead of measuring again. A track whose inserts are only its trim is
never measured: its stem's analysis, scaled by the trim, is its own (``gained``).
Everything under ``cache/`` shares one size limit, ``MIXCHAT_CACHE_MB`` (``CacheBudget``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.dsp.analysis import MixAnalysis, MixMeter, measure_mix
from mixchat.dsp.audio_io import npy_block_writer, npy_nbytes, open_reader
from mixchat.dsp.cache import MIX, CacheBudget
from mixchat.dsp.ingest import ingest
from mixchat.dsp.masking import BandPowers, StemBands, bands_from_power
from mixchat.dsp.master import MasterResult, apply_master_state
from mixchat.dsp.meters import BandMeter
from mixchat.dsp.mix_file import read_premaster
from mixchat.dsp.processors import has_inserts, insert_gain_db
from mixchat.dsp.render import (
    Sink,
    StemSource,
    TrackOutput,
    block_frames,
    render_mix,
    track_cache_key,
)
from mixchat.dsp.render_plan import digest, mix_key
from mixchat.dsp.spectrum import third_octave_spectrum
from mixchat.dsp.state import MixState, TrackState
from mixchat.dsp.stems import ArrayStem
from mixchat.dsp.threads import pool_size
from mixchat.dsp.track_meter import StemExtras, TrackAnalysis, TrackMeter, finite, gained
from mixchat.tools.cached_render import state_digest
from mixchat.tools.config import load_settings
from mixchat.tools.session import SessionMeta
from mixchat.tools.stems_source import stem_sources
from mixchat.tools.stream import OutputStream
from mixchat.tools.track_store import TrackStore

Progress = Callable[[str, float], None]
MB = 1024 * 1024
STEREO_FACTS = ("channels", "mid", "side")
READ_BLOCK = 1 << 19


def cache_limit_bytes(cache_mb: int | None = None) -> int:
    """The cache's limit in bytes: ``cache_mb``, else MIXCHAT_CACHE_MB (default 3000)."""
    return (load_settings().cache_mb if cache_mb is None else cache_mb) * MB


@dataclass(frozen=True)
class RawAnalysis:
    """A raw stem's stored analysis: facts, loudness blocks, automix extras (its masking bands
    stay in their file: ``band_powers`` reads them a chunk at a time)."""

    facts: dict[str, Any]
    blocks: np.ndarray
    extras: StemExtras


@dataclass
class Rendered:
    """A rendered state. The pre-master lives in the cache (``mix_file``, read block by block)
    unless it could not be kept there; ``premaster`` and ``audio`` load it whole on demand."""

    sample_rate: int
    frames: int
    state: MixState
    master_result: MasterResult | None
    rendered_tracks: list[str]
    bus_files: dict[str, str]  # the render cache's file of each bus return, by bus
    premaster_analysis: MixAnalysis | None
    mix_file: Path | None = None
    _premaster: np.ndarray | None = field(default=None, repr=False)

    def premaster_block(self, start: int, stop: int) -> np.ndarray:
        if self._premaster is not None:
            return self._premaster[:, start:stop]
        if self.mix_file is None:
            raise ValueError("this render kept no pre-master")
        return read_premaster(
            self.mix_file,
            self.state.automation,
            trim_db=self.state.master.trim_db,
            sample_rate=self.sample_rate,
            start=start,
            stop=stop,
        )

    @property
    def premaster(self) -> np.ndarray:
        if self._premaster is None:
            self._premaster = self.premaster_block(0, self.frames)
        return self._premaster

    @property
    def audio(self) -> np.ndarray:
        return self.master_result.audio if self.master_result is not None else self.premaster

    def blocks(
        self, *, start: int = 0, block: int = READ_BLOCK
    ) -> Iterator[tuple[int, np.ndarray]]:
        """(frame, output block) pairs from ``start`` to the end, in order."""
        for lo in range(start, self.frames, block):
            hi = min(lo + block, self.frames)
            if self.master_result is not None:
                yield lo, self.master_result.audio[:, lo:hi]
            else:
                yield lo, self.premaster_block(lo, hi)

    @property
    def analysis(self) -> MixAnalysis | None:
        """The output's measures when they came with the render (no master)."""
        return self.premaster_analysis if self.master_result is None else None


class BandsMeter(TrackMeter):
    """A ``TrackMeter`` of an output whose facts and loudness blocks are stored: it measures
    only the masking bands (the same ``BandMeter`` on the same blocks) and gives the stored
    facts and blocks with them, skipping the K-weighting and spectrum passes."""

    def __init__(
        self,
        stored: TrackAnalysis,
        *,
        sample_rate: int,
        total: int,
        put: Callable[[int, np.ndarray], None] | None,
    ) -> None:
        self.sample_rate = sample_rate
        self._stored = stored
        self.bands = BandMeter(sample_rate=sample_rate, total=total, put=put)

    def feed(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32)
        if block.shape[1] and self.bands is not None:
            self.bands.feed(block)

    def result(self) -> TrackAnalysis:
        bands = self.bands.finish() if self.bands is not None else None
        return TrackAnalysis(facts=self._stored.facts, blocks=self._stored.blocks, bands=bands)


class Engine:
    """Renders and measures mix states for one session's stems."""

    def __init__(self, meta: SessionMeta, cache_dir: Path, *, cache_mb: int | None = None) -> None:
        """``cache_mb`` limits the whole cache folder (default: MIXCHAT_CACHE_MB, 3000)."""
        self.meta = meta
        self.cache_dir = Path(cache_dir)
        self.tracks_dir = self.cache_dir / "tracks"
        self.budget = CacheBudget(self.cache_dir, limit_bytes=cache_limit_bytes(cache_mb))
        self.store = TrackStore(self.cache_dir, self.budget)
        self._sources: dict[str, StemSource] | None = None

    @classmethod
    def for_session(cls, session: Any) -> Engine:
        return cls(session.meta, session.cache_dir)

    # --- stems -----------------------------------------------------------------------
    def stem_sources(self) -> dict[str, StemSource]:
        if self._sources is None:
            self._sources = stem_sources(self.meta, self.cache_dir, self.budget)
        return self._sources

    def insert_key(self, track: TrackState) -> str:
        """The name of a track's insert output (its stem's when it has no inserts)."""
        stem_key = self.stem_sources()[track.name].key
        if has_inserts(track):
            return track_cache_key(track, stem_key=stem_key, sample_rate=self.meta.sample_rate)
        return f"stem-{stem_key}"

    # --- render ----------------------------------------------------------------------
    def render(
        self,
        state: MixState,
        *,
        master: bool = True,
        stems_out: Path | None = None,
        stems_subtype: str = "FLOAT",
        progress: Progress | None = None,
        keep_mix: bool = True,
        measure: bool = True,
        sinks: Sequence[Sink] = (),
        bands_of: Collection[str] = (),
    ) -> Rendered:
        """Render ``state``; the pre-master is measured on the way, and so is every audible
        track output with no stored analysis: its facts and loudness blocks, and the masking
        bands of the tracks ``bands_of`` names (the others' are measured when asked for,
        ``track_bands``: most briefs never read them).
        ``keep_mix=False``: only the measures are wanted (the pre-master is not kept);
        ``measure=False``: the pre-master is not measured (``premaster_analysis`` is None);
        ``sinks`` get the pre-master block by block too."""
        sources = self.stem_sources()
        rate = self.meta.sample_rate
        keys = {t.name: self.insert_key(t) for t in state.audible_tracks()}
        with_bands = {key for name, key in keys.items() if name in bands_of}
        self._keep_gained(state.audible_tracks(), bands_of=bands_of)
        missing = {key for key in keys.values() if not self.store.has(key, bands=key in with_bands)}
        frames = max((sources[t.name].frames for t in state.tracks), default=0)
        meter = MixMeter(channels=2, sample_rate=rate, total=frames, sections=self.meta.sections)
        with ExitStack() as stack:

            def meter_for(key: str, channels: int, length: int) -> TrackMeter | None:
                if key not in missing:
                    return None
                return self._track_meter(
                    key,
                    channels=channels,
                    total=length,
                    bands_put=(
                        self.store.bands_writer(key, frames=length, sample_rate=rate, stack=stack)
                        if key in with_bands
                        else None
                    ),
                    bands=key in with_bands,
                )

            result = render_mix(
                stems=sources,
                state=state,
                sample_rate=rate,
                cache_dir=self.tracks_dir,
                budget=self.budget,
                stems_out=stems_out,
                stems_subtype=stems_subtype,
                progress=progress,
                sinks=[*([lambda start, audio: meter.feed(audio)] if measure else []), *sinks],
                collect=None if keep_mix else False,
                keep_mix=keep_mix,
                meter_for=meter_for,
            )
            for key, analysis in result.analyses.items():
                self.store.save(key, analysis)
        self.budget.trim()
        rendered = Rendered(
            sample_rate=rate,
            frames=frames,
            state=state,
            master_result=None,
            rendered_tracks=list(result.rendered),
            bus_files={bus: path.name for bus, path in result.bus_files.items()},
            premaster_analysis=meter.result() if measure else None,
            mix_file=result.mix_file,
            _premaster=result.premaster,
        )
        if master and state.master.enabled:
            if progress:
                progress("master", 0.0)
            rendered.master_result = apply_master_state(
                rendered.premaster, sample_rate=rate, master=state.master
            )
            self._keep_master(state, rendered.master_result.audio)
        return rendered

    def remaster(self, rendered: Rendered, state: MixState, *, shift_db: float) -> Rendered:
        """``rendered`` with every fader moved by ``shift_db``, in memory and without
        rendering the tracks again: sends, returns and automation follow the faders, so the
        pre-master mix scales exactly; the master chain (not linear) runs again on it. For
        trying a shift; the state finally chosen is rendered for real."""
        premaster = rendered.premaster * np.float32(10 ** (shift_db / 20))
        out = Rendered(
            sample_rate=rendered.sample_rate,
            frames=rendered.frames,
            state=state,
            master_result=None,
            rendered_tracks=rendered.rendered_tracks,
            bus_files=rendered.bus_files,
            premaster_analysis=None,
            _premaster=premaster,
        )
        if state.master.enabled:
            out.master_result = apply_master_state(
                premaster, sample_rate=rendered.sample_rate, master=state.master
            )
        return out

    def master_path(self, state: MixState) -> Path:
        """Where the master's output of ``state`` is kept (named by its mix and master)."""
        stems = self.stem_sources()
        key = mix_key(
            state,
            stem_keys={n: s.key for n, s in stems.items()},
            sample_rate=self.meta.sample_rate,
            frames=max((stems[t.name].frames for t in state.tracks), default=0),
        )
        settings = {
            "mix": key,
            "master": state.master.model_dump(mode="json"),
            "automation": [a.model_dump(mode="json") for a in state.automation if a.track is None],
        }
        return self.tracks_dir / f"master-{digest(settings)}.npy"

    def _keep_master(self, state: MixState, audio: np.ndarray) -> None:
        path = self.master_path(state)
        nbytes = npy_nbytes((2, audio.shape[1]))
        if path.exists() or not self.budget.reserve(nbytes, rank=MIX):
            return
        try:
            with npy_block_writer(path, shape=(2, audio.shape[1])) as put:
                self.budget.release(nbytes)  # the file counts at its full size from here
                nbytes = 0
                put(0, audio)
        finally:
            if nbytes:
                self.budget.release(nbytes)

    def mastered_output(self, state: MixState) -> Any:
        """A reader (``read(start, stop)``) of ``state``'s mastered output: from the cache,
        or mastered now."""
        frames = self.meta.frames
        reader = open_reader(self.master_path(state), shape=(2, frames))
        if reader is not None:
            return reader
        rendered = self.render(state, master=True, measure=False)
        return ArrayStem(rendered.audio)

    def stream(self, state: MixState, *, start_s: float = 0.0, master: bool = True) -> OutputStream:
        """``state``'s output from ``start_s`` on, rendered ahead of the reader (see
        ``mixchat.tools.stream``)."""
        return OutputStream(
            self, state, start_frame=int(round(start_s * self.meta.sample_rate)), master=master
        )

    def bus_return_db(self, metrics: dict[str, Any], bus: str) -> float | None:
        """RMS level (dBFS) of ``bus``'s return in the render ``metrics`` describe, plus any
        fader shift applied after it; None when the bus is unused or no longer cached. RMS,
        not gated loudness: gating can make a return that got louder read lower."""
        name = metrics.get("bus_files", {}).get(bus)
        if name is None:
            return None
        reader = open_reader(self.tracks_dir / name, shape=(2, self.meta.frames))
        if reader is None:
            return None
        total = 0.0
        for start in range(0, self.meta.frames, READ_BLOCK):
            block = reader.read(start, min(start + READ_BLOCK, self.meta.frames))
            total += float(np.einsum("cn,cn->", block, block, dtype=np.float64))
        power = total / max(2 * self.meta.frames, 1)
        level = 10.0 * np.log10(power) if power > 0 else -np.inf
        return finite(level + float(metrics.get("fader_shift_db", 0.0)))

    # --- measure ---------------------------------------------------------------------
    def measure(self, state: MixState, *, progress: Progress | None = None) -> dict[str, Any]:
        """Render ``state`` and return the metrics a version stores."""
        rendered = self.render(state, progress=progress)
        return self.metrics_of(rendered, state)

    def metrics_of(self, rendered: Rendered, state: MixState) -> dict[str, Any]:
        """What a version stores about ``rendered``: the mix's metrics, sections and
        spectrum (measured as it was rendered, or on the master's output), and each track's
        facts (stored when they were measured)."""
        mix = rendered.analysis
        if mix is None:
            mix = measure_mix(
                rendered.audio, sample_rate=rendered.sample_rate, sections=list(self.meta.sections)
            )
        metrics: dict[str, Any] = self.metrics_from(mix, state)
        if rendered.master_result is not None and rendered.premaster_analysis is not None:
            metrics["premaster_lufs"] = round(
                rendered.premaster_analysis.metrics.integrated_lufs, 2
            )
        metrics["bus_files"] = rendered.bus_files  # so bus_return_db can measure them later
        if state.master.trim_db:
            metrics["fader_shift_db"] = state.master.trim_db  # after the returns: not in them
        return {**metrics, **self.cache_refs(rendered, state)}

    def cache_refs(self, rendered: Rendered, state: MixState) -> dict[str, Any]:
        """The cache files a version's metrics name so a render of it reads them back: its
        exact mix (and master output), and the state they were made for."""
        refs: dict[str, Any] = {}
        if rendered.mix_file is not None:
            refs["mix_file"] = rendered.mix_file.name
            refs["render_of"] = state_digest(state)
        if rendered.master_result is not None:
            refs["master_file"] = self.master_path(state).name
        return refs

    def metrics_from(self, mix: MixAnalysis, state: MixState) -> dict[str, Any]:
        return {
            "mix": mix.metrics.model_dump(mode="json"),
            "sections": mix.sections,
            "tracks": self.track_facts(state),
            "spectrum": third_octave_spectrum(mix.freqs_hz, mix.mono_psd),
        }

    def track_facts(self, state: MixState) -> dict[str, dict[str, Any]]:
        """Each audible track as it sits in the mix: loudness, bands, centroid, crest.

        Measured on the track's insert output plus its fader gain and the mix's trim (so a
        track's level against the mix's is what it is at the output); automation and pan are
        left out so the figures describe the track's own sound.
        """
        tracks = state.audible_tracks()
        own_facts = self._own_facts(tracks)
        facts = {}
        for track in tracks:
            own = own_facts[track.name]
            gain = track.gain_db + state.master.trim_db
            facts[track.name] = {
                "role": track.role,
                "lufs": round(own["lufs"] + gain, 2),
                "band_energies_db": {
                    k: round(v + gain, 2) for k, v in own["band_energies_db"].items()
                },
                "spectral_centroid_hz": own["spectral_centroid_hz"],
                "crest_factor_db": own["crest_factor_db"],
            }
        return facts

    def track_stereo(self, tracks: Sequence[TrackState]) -> dict[str, dict[str, float]]:
        """Each track's insert output: channel count and mid and side energies (pre-fader)."""
        own_facts = self._own_facts(tracks)
        return {t.name: {k: own_facts[t.name][k] for k in STEREO_FACTS} for t in tracks}

    def track_bands(self, tracks: Sequence[TrackState]) -> dict[str, StemBands]:
        """Each track's masking bands after its inserts and fader: ``stem_bands`` of the
        insert output times the fader gain (no automation or pan), from the stored
        analysis (measured now for the tracks that have none)."""
        missing = [t for t in tracks if self.store.bands(self.insert_key(t)) is None]
        self.measure_tracks(missing, bands=True)
        found = {}
        for track in tracks:
            power = self.store.bands(self.insert_key(track))
            if power is None:  # no room in the cache: measure it without keeping it
                power = self.measure_tracks([track], bands=True, keep=False)[track.name].bands
            found[track.name] = bands_from_power(power, gain_db=track.gain_db)
        return found

    def track_blocks(self, track: TrackState) -> np.ndarray:
        """A track's momentary loudness blocks after its inserts (pre-fader)."""
        blocks = self.store.blocks(self.insert_key(track))
        if blocks is None:
            blocks = self.measure_tracks([track], bands=False)[track.name].blocks
        return blocks

    def raw_analyses(self, names: Sequence[str]) -> dict[str, RawAnalysis]:
        """Each raw stem's stored analysis (measured by ``new``; again now if it is gone)."""
        keys = {name: self.insert_key(TrackState(name=name)) for name in names}
        missing = [
            n
            for n, key in keys.items()
            if not self.store.has(key, bands=True) or self.store.extras(key) is None
        ]
        if missing:
            sources = self.stem_sources()
            ingested = ingest(
                {n: sources[n].reader for n in missing},
                sample_rate=self.meta.sample_rate,
                frames=self.meta.frames,
            )
            for name in missing:
                report = ingested.stems[name]
                self.store.save(keys[name], report.analysis)
                self.store.save_extras(keys[name], report.extras)
        found = {}
        for name, key in keys.items():
            facts, blocks = self.store.facts(key), self.store.blocks(key)
            extras = self.store.extras(key)
            if facts is None or blocks is None or extras is None:  # no room in the cache
                report = ingest(
                    {name: self.stem_sources()[name].reader},
                    sample_rate=self.meta.sample_rate,
                    frames=self.meta.frames,
                ).stems[name]
                facts, blocks = report.analysis.facts, report.analysis.blocks
                extras = report.extras
            found[name] = RawAnalysis(facts, blocks, extras)
        return found

    def band_powers(self, track: TrackState, *, gain_db: float | None = None) -> BandPowers:
        """A track's masking band powers after its inserts, read from their file a chunk at
        a time, times ``gain_db`` (default: its fader): for masking over many tracks."""
        gain = track.gain_db if gain_db is None else gain_db
        path = self.store.bands_path(self.insert_key(track))
        if not path.exists():
            self.measure_tracks([track], bands=True)
        if path.exists():
            return BandPowers(path, gain_db=gain)
        power = self.measure_tracks([track], bands=True, keep=False)[track.name].bands
        return BandPowers(power, gain_db=gain)

    def _own_facts(self, tracks: Sequence[TrackState]) -> dict[str, dict[str, Any]]:
        facts = {t.name: self.store.facts(self.insert_key(t)) for t in tracks}
        missing = [t for t in tracks if facts[t.name] is None]
        measured = self.measure_tracks(missing, bands=False)
        return {
            name: value if value is not None else measured[name].facts
            for name, value in facts.items()
        }

    def measure_tracks(
        self, tracks: Sequence[TrackState], *, bands: bool, keep: bool = True
    ) -> dict[str, Any]:
        """Measure track outputs (from the track cache, or their inserts run now), two at a
        time, and store what was measured (unless ``keep`` is False)."""
        found: dict[str, Any] = {}
        for track in tracks:
            derived = self._gained_analysis(track, bands=bands)
            if derived is not None:
                found[track.name] = derived
                if keep:
                    self.store.save(self.insert_key(track), derived)
        tracks = [t for t in tracks if t.name not in found]
        if not tracks:
            return found
        sources = self.stem_sources()

        def one(track: TrackState) -> Any:
            stem = sources[track.name]
            key = self.insert_key(track)
            rate = self.meta.sample_rate
            with ExitStack() as stack:
                put = (
                    self.store.bands_writer(key, frames=stem.frames, sample_rate=rate, stack=stack)
                    if bands and keep
                    else None
                )
                meter = self._track_meter(
                    key, channels=stem.channels, total=stem.frames, bands_put=put, bands=bands
                )
                output = TrackOutput(
                    track=track,
                    stem=stem,
                    insert_key=key,
                    sample_rate=rate,
                    frames=stem.frames,
                    cache=self.tracks_dir,
                    budget=self.budget,
                    stack=stack,
                    meter=meter,
                )
                block = block_frames(sample_rate=rate)
                for start in range(0, stem.frames, block):
                    output.block(start, min(start + block, stem.frames))
                analysis = meter.result()
                if keep:
                    self.store.save(key, analysis)
            return analysis

        with ThreadPoolExecutor(max_workers=pool_size(at_most=2)) as pool:
            found.update(zip((t.name for t in tracks), pool.map(one, tracks), strict=True))
        return found

    def _track_meter(
        self,
        key: str,
        *,
        channels: int,
        total: int,
        bands_put: Callable[[int, np.ndarray], None] | None,
        bands: bool,
    ) -> TrackMeter:
        """The meter of insert output ``key``: everything, or only its masking bands when its
        facts and loudness blocks are stored already (a brief quoting a range of a track the
        last brief changed: that render measured its facts, not its bands)."""
        if bands and self.store.has(key):
            facts, blocks = self.store.facts(key), self.store.blocks(key)
            if facts is not None and blocks is not None:
                stored = TrackAnalysis(facts=facts, blocks=blocks)
                return BandsMeter(
                    stored, sample_rate=self.meta.sample_rate, total=total, put=bands_put
                )
        return TrackMeter(
            channels=channels,
            sample_rate=self.meta.sample_rate,
            total=total,
            bands=bands,
            bands_put=bands_put,
        )

    def _gained_analysis(self, track: TrackState, *, bands: bool) -> TrackAnalysis | None:
        """A track whose inserts are only a trim, analysed without running it: its stem's
        stored analysis scaled by the trim (``gained``); None for any other track, or when
        the stem's analysis (with its bands, when ``bands``) is not stored."""
        gain_db = insert_gain_db(track)
        if gain_db is None or not has_inserts(track):
            return None
        stem_key = self.insert_key(TrackState(name=track.name))
        facts, blocks = self.store.facts(stem_key), self.store.blocks(stem_key)
        power = self.store.bands(stem_key) if bands else None
        if facts is None or blocks is None or (bands and power is None):
            return None
        return gained(TrackAnalysis(facts=facts, blocks=blocks, bands=power), gain_db=gain_db)

    def _keep_gained(self, tracks: Sequence[TrackState], *, bands_of: Collection[str]) -> None:
        """Store the analysis of each trimmed-only track that has none, from its stem's."""
        for track in tracks:
            key, bands = self.insert_key(track), track.name in bands_of
            if self.store.has(key, bands=bands):
                continue
            derived = self._gained_analysis(track, bands=bands)
            if derived is None:
                continue
            if self.store.has(key) and derived.bands is not None:
                self.store.save_bands(key, derived.bands)  # its facts were measured
            else:
                self.store.save(key, derived)

    def tracks_in_mix(self, state: MixState) -> dict[str, np.ndarray]:
        """Each audible track after its inserts and fader (for masking)."""
        return {
            track.name: self.insert_output(track) * np.float32(10 ** (track.gain_db / 20))
            for track in state.audible_tracks()
        }

    def insert_blocks(self, track: TrackState) -> Iterator[np.ndarray]:
        """A track's insert output as ``insert_output`` gives it, in pieces of ``READ_BLOCK``
        frames (the last one shorter), never held whole: from the track cache, or its inserts
        run now on the render's blocks (and cached when there is room)."""
        stem = self.stem_sources()[track.name]
        if has_inserts(track):
            path = self.tracks_dir / f"track-{self.insert_key(track)}.npy"
            reader = open_reader(path, shape=(stem.channels, stem.frames))
            if reader is not None:
                for start in range(0, stem.frames, READ_BLOCK):
                    yield reader.read(start, min(start + READ_BLOCK, stem.frames))
                return
        with ExitStack() as stack:
            output = TrackOutput(
                track=track,
                stem=stem,
                insert_key=self.insert_key(track),
                sample_rate=self.meta.sample_rate,
                frames=stem.frames,
                cache=self.tracks_dir,
                budget=self.budget,
                stack=stack,
                meter=None,
            )
            block = block_frames(sample_rate=self.meta.sample_rate)
            pending: list[np.ndarray] = []
            held = 0
            for start in range(0, stem.frames, block):
                pending.append(output.block(start, min(start + block, stem.frames)))
                held += pending[-1].shape[1]
                while held >= READ_BLOCK:
                    joined = np.concatenate(pending, axis=1) if len(pending) > 1 else pending[0]
                    yield joined[:, :READ_BLOCK]
                    pending, held = [joined[:, READ_BLOCK:]], held - READ_BLOCK
            if held:
                yield np.concatenate(pending, axis=1)

    def insert_output(self, track: TrackState) -> np.ndarray:
        """A track after its inserts (before fader, pan and automation), whole, in memory:
        from the track cache, or its inserts run now (and cached when there is room)."""
        pieces = list(self.insert_blocks(track))
        return np.concatenate(pieces, axis=1) if len(pieces) > 1 else pieces[0]
