"""The engine a session uses: cached stems, render (per-track cache), master and metrics."""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from mixchat.dsp.analysis import measure_mix
from mixchat.dsp.audio_io import (
    load_audio,
    open_npy,
    prune_cache,
    remove_orphaned_temps,
    temp_npy_path,
)
from mixchat.dsp.dynamics import crest_factor_from, peak_linear
from mixchat.dsp.errors import AudioFileError
from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.masking import N_BANDS, StemBands, bands_from_power, stem_bands
from mixchat.dsp.master import MasterResult, apply_master_state
from mixchat.dsp.processors import has_inserts
from mixchat.dsp.render import StemSource, render_mix, track_cache_key
from mixchat.dsp.spectrum import (
    band_energies_from_spectrum,
    centroid_from_spectrum,
    mono_power_spectrum,
    third_octave_spectrum,
)
from mixchat.dsp.state import MixState, TrackState
from mixchat.dsp.stereo import channel_energies
from mixchat.dsp.threads import pool_size
from mixchat.tools.atomic import write_json_atomic
from mixchat.tools.config import load_settings
from mixchat.tools.session import SessionMeta

Progress = Callable[[str, float], None]
T = TypeVar("T")
MB = 1024 * 1024
BANDS_LIMIT_BYTES = 256 * 1024 * 1024  # about a megabyte per 4-minute track
OWN_FACTS = ("lufs", "band_energies_db", "spectral_centroid_hz", "crest_factor_db")
STEREO_FACTS = ("channels", "mid", "side")


@dataclass
class Rendered:
    audio: np.ndarray
    premaster: np.ndarray
    sample_rate: int
    master_result: MasterResult | None
    rendered_tracks: list[str]
    bus_files: dict[str, str]  # the render cache's file of each bus return, by bus


class Engine:
    """Renders and measures mix states for one session's stems."""

    def __init__(self, meta: SessionMeta, cache_dir: Path, *, cache_mb: int | None = None) -> None:
        """``cache_mb`` limits the render cache (default: MIXCHAT_CACHE_MB, 3000)."""
        self.meta = meta
        self.cache_dir = Path(cache_dir)
        self.cache_limit_bytes = (load_settings().cache_mb if cache_mb is None else cache_mb) * MB
        self._sources: dict[str, StemSource] | None = None

    @classmethod
    def for_session(cls, session: Any) -> Engine:
        return cls(session.meta, session.cache_dir)

    # --- stems -----------------------------------------------------------------------
    def stem_sources(self) -> dict[str, StemSource]:
        if self._sources is None:
            remove_orphaned_temps(self.cache_dir / "stems")
            self._sources = {stem.name: self._stem_source(stem) for stem in self.meta.stems}
        return self._sources

    def _stem_source(self, stem: Any) -> StemSource:
        rate = self.meta.sample_rate
        key = f"{stem.sha256}:{rate}:{self.meta.frames}"
        cached = self.cache_dir / "stems" / f"{stem.sha256[:24]}_{rate}_{self.meta.frames}.npy"
        audio = open_npy(cached, shape=(stem.channels, self.meta.frames))  # None if damaged
        if audio is None:
            if not Path(stem.file).exists():
                raise AudioFileError(
                    f"{stem.file}: the stem file is gone and its cache is missing or damaged; put it back to render {stem.name}"
                )
            audio = fit_length(load_audio(stem.file, sample_rate=rate).audio, self.meta.frames)
            save_npy_atomic(cached, audio)
        return StemSource(name=stem.name, key=key, audio=audio)

    def adopt_stems(self, loaded: dict[str, np.ndarray]) -> None:
        """Cache stems already loaded at the session rate (used when creating a session)."""
        for stem in self.meta.stems:
            path = (
                self.cache_dir
                / "stems"
                / f"{stem.sha256[:24]}_{self.meta.sample_rate}_{self.meta.frames}.npy"
            )
            if not path.exists():
                save_npy_atomic(path, fit_length(loaded[stem.name], self.meta.frames))

    # --- render ----------------------------------------------------------------------
    def render(
        self,
        state: MixState,
        *,
        master: bool = True,
        stems_out: Path | None = None,
        stems_subtype: str = "FLOAT",
        progress: Progress | None = None,
    ) -> Rendered:
        result = render_mix(
            stems=self.stem_sources(),
            state=state,
            sample_rate=self.meta.sample_rate,
            cache_dir=self.cache_dir / "tracks",
            stems_out=stems_out,
            stems_subtype=stems_subtype,
            progress=progress,
        )
        self._keep_cache_small(state)
        master_result = None
        audio = result.premaster
        if master and state.master.enabled:
            if progress:
                progress("master", 0.0)
            master_result = apply_master_state(
                result.premaster, sample_rate=self.meta.sample_rate, master=state.master
            )
            audio = master_result.audio
        return Rendered(
            audio=audio,
            premaster=result.premaster,
            sample_rate=self.meta.sample_rate,
            master_result=master_result,
            rendered_tracks=list(result.rendered),
            bus_files={bus: path.name for bus, path in result.bus_files.items()},
        )

    def bus_return_db(self, metrics: dict[str, Any], bus: str) -> float | None:
        """RMS level (dBFS) of ``bus``'s return in the render ``metrics`` describe, plus any
        fader shift applied after it; None when the bus is unused or no longer cached. RMS,
        not gated loudness: gating can make a return that got louder read lower."""
        name = metrics.get("bus_files", {}).get(bus)
        if name is None:
            return None
        audio = open_npy(self.cache_dir / "tracks" / name, shape=(2, self.meta.frames))
        if audio is None:
            return None
        flat = np.asarray(audio).reshape(-1)
        power = float(np.dot(flat, flat)) / max(flat.size, 1)
        level = 10.0 * np.log10(power) if power > 0 else -np.inf
        return finite(level + float(metrics.get("fader_shift_db", 0.0)))

    def _keep_cache_small(self, state: MixState) -> None:
        """Mark this state's track renders as fresh, then drop the least recently used."""
        tracks_dir = self.cache_dir / "tracks"
        sources = self.stem_sources()
        for track in state.tracks:
            if has_inserts(track):
                key = track_cache_key(
                    track, stem_key=sources[track.name].key, sample_rate=self.meta.sample_rate
                )
                path = tracks_dir / f"track-{key}.npy"
                if path.exists():
                    os.utime(path)
        prune_cache(tracks_dir, max_bytes=self.cache_limit_bytes)

    # --- measure ---------------------------------------------------------------------
    def measure(self, state: MixState, *, progress: Progress | None = None) -> dict[str, Any]:
        """Render ``state`` and return the metrics a version stores."""
        rendered = self.render(state, progress=progress)
        return self.metrics_of(rendered, state)

    def metrics_of(self, rendered: Rendered, state: MixState) -> dict[str, Any]:
        """What a version stores about ``rendered``: the mix's metrics, sections and
        spectrum, and each track's facts. The tracks (and the pre-master loudness) are
        measured on worker threads while the mix is (numpy, scipy and soxr drop the GIL)."""
        rate = rendered.sample_rate
        with ThreadPoolExecutor(max_workers=pool_size(at_most=2)) as pool:
            tracks = pool.submit(self.track_facts, state)
            premaster = (
                pool.submit(integrated_lufs, rendered.premaster, sample_rate=rate)
                if rendered.master_result is not None
                else None
            )
            mix = measure_mix(rendered.audio, sample_rate=rate, sections=list(self.meta.sections))
            metrics: dict[str, Any] = {
                "mix": mix.metrics.model_dump(mode="json"),
                "sections": mix.sections,
                "tracks": tracks.result(),
                "spectrum": third_octave_spectrum(mix.freqs_hz, mix.mono_psd),
            }
            if premaster is not None:
                metrics["premaster_lufs"] = round(premaster.result(), 2)
        metrics["bus_files"] = rendered.bus_files  # so bus_return_db can measure them later
        return metrics

    def track_facts(self, state: MixState) -> dict[str, dict[str, Any]]:
        """Each audible track as it sits in the mix: loudness, bands, centroid, crest.

        Measured on the track's insert output (cached per settings hash) plus its fader gain;
        automation and pan are left out so the figures describe the track's own sound.
        """
        tracks = state.audible_tracks()
        own_facts = self._own_facts(tracks)
        facts = {}
        for track in tracks:
            own = own_facts[track.name]
            gain = track.gain_db
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
        insert output times the fader gain (no automation or pan). The pre-fader band powers
        are cached per insert key and the fader applied to them as a power gain."""
        folder = self.cache_dir / "bands"
        rate = self.meta.sample_rate
        powers = self._per_track(
            tracks,
            folder=folder,
            suffix=".npy",
            load=_load_band_powers,
            measure=lambda audio: stem_bands(audio, sample_rate=rate).power,
            save=save_npy_atomic,
        )
        prune_cache(folder, max_bytes=BANDS_LIMIT_BYTES)
        return {t.name: bands_from_power(powers[t.name], gain_db=t.gain_db) for t in tracks}

    def tracks_in_mix(self, state: MixState) -> dict[str, np.ndarray]:
        """Each audible track after its inserts and fader (for masking)."""
        self.render(state, master=False)
        return {
            track.name: self.insert_output(track) * np.float32(10 ** (track.gain_db / 20))
            for track in state.audible_tracks()
        }

    def insert_output(self, track: Any) -> np.ndarray:
        """A track after its inserts (before fader, pan and automation), from the cache."""
        source = self.stem_sources()[track.name]
        if not has_inserts(track):
            return np.asarray(source.audio)
        key = track_cache_key(track, stem_key=source.key, sample_rate=self.meta.sample_rate)
        cached = self.cache_dir / "tracks" / f"track-{key}.npy"
        if not cached.exists():
            self.render(state_with_only(track), master=False)
        return np.asarray(np.load(cached, mmap_mode="r"))

    def _measure_key(self, track: Any) -> str:
        """The key of a track's insert output: its insert cache key, or its stem's key when
        it has no inserts. Measures of that output are cached under it."""
        source = self.stem_sources()[track.name]
        if has_inserts(track):
            return track_cache_key(track, stem_key=source.key, sample_rate=self.meta.sample_rate)
        return f"raw-{source.key.replace(':', '_')}"

    def _own_facts(self, tracks: Sequence[TrackState]) -> dict[str, dict[str, Any]]:
        """``measure_insert`` of each track's insert output, cached per ``measure_key``;
        the missing ones are measured two at a time."""
        rate = self.meta.sample_rate
        return self._per_track(
            tracks,
            folder=self.cache_dir / "facts",
            suffix=".json",
            load=_load_facts,
            measure=lambda audio: measure_insert(audio, sample_rate=rate),
            save=write_json_atomic,
        )

    def _per_track(
        self,
        tracks: Sequence[TrackState],
        *,
        folder: Path,
        suffix: str,
        load: Callable[[Path], T | None],
        measure: Callable[[np.ndarray], T],
        save: Callable[[Path, T], None],
    ) -> dict[str, T]:
        """A measure of each track's insert output, cached in ``folder`` per ``measure_key``;
        the missing ones are measured two at a time."""
        paths = {t.name: folder / f"{self._measure_key(t)}{suffix}" for t in tracks}
        found = {name: value for name, path in paths.items() if (value := load(path)) is not None}
        missing = [t for t in tracks if t.name not in found]
        if missing:
            folder.mkdir(parents=True, exist_ok=True)
            outputs = [self.insert_output(t) for t in missing]
            with ThreadPoolExecutor(max_workers=pool_size(at_most=2)) as pool:
                for track, value in zip(missing, pool.map(measure, outputs)):
                    save(paths[track.name], value)
                    found[track.name] = value
        return found


def measure_insert(audio: np.ndarray, *, sample_rate: int) -> dict[str, Any]:
    """What track facts hold about one insert output: loudness, band energies, centroid and
    crest factor (one spectrum for bands and centroid), channel count, mid and side energy."""
    freqs, psd = mono_power_spectrum(audio, sample_rate=sample_rate)
    energies = channel_energies(audio)
    mean_sq = (energies.left + energies.right) / (2 * max(audio.shape[1], 1))
    return {
        "lufs": finite(integrated_lufs(audio, sample_rate=sample_rate)),
        "band_energies_db": {
            k: finite(v) for k, v in band_energies_from_spectrum(freqs, psd).items()
        },
        "spectral_centroid_hz": finite(centroid_from_spectrum(freqs, psd)),
        "crest_factor_db": finite(crest_factor_from(peak_linear(audio), mean_sq)),
        "channels": float(audio.shape[0]),
        "mid": energies.mid,
        "side": energies.side,
    }


def _load_facts(path: Path) -> dict[str, Any] | None:
    try:
        facts = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return facts if all(k in facts for k in (*OWN_FACTS, *STEREO_FACTS)) else None


def _load_band_powers(path: Path) -> np.ndarray | None:
    try:
        power = np.load(path)
    except (OSError, ValueError):
        return None
    return power if power.ndim == 2 and power.shape[0] == N_BANDS else None


def state_with_only(track: Any) -> MixState:
    """A state that renders (and caches) ``track``'s inserts and nothing else: audible, with
    no sends, so no bus is run for it (none of these is part of the insert cache key)."""
    alone = {"reverb_send_db": None, "delay_send_db": None, "mute": False, "solo": False}
    return MixState(tracks=(track.model_copy(update=alone),))


def finite(value: float, floor: float = -120.0) -> float:
    value = float(value)
    return round(value, 3) if np.isfinite(value) else floor


def fit_length(audio: np.ndarray, frames: int) -> np.ndarray:
    audio = np.asarray(audio, dtype=np.float32)
    if audio.shape[1] >= frames:
        return np.ascontiguousarray(audio[:, :frames])
    return np.pad(audio, ((0, 0), (0, frames - audio.shape[1])))


def save_npy_atomic(path: Path, audio: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_npy_path(path)
    try:
        with open(tmp, "wb") as handle:
            np.save(handle, np.ascontiguousarray(audio, dtype=np.float32))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
