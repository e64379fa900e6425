"""The engine a session uses: cached stems, render (per-track cache), master and metrics."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from dsp.analysis import analyze_mix
from dsp.audio_io import load_audio, prune_cache
from dsp.dynamics import crest_factor_db
from dsp.errors import AudioFileError
from dsp.loudness import integrated_lufs
from dsp.master import MasterResult, apply_master_state
from dsp.processors import has_inserts
from dsp.render import StemSource, render_mix, track_cache_key
from dsp.spectrum import band_energies_db, spectral_centroid_hz
from dsp.state import MixState
from tools.atomic import write_json_atomic
from tools.session import SessionMeta

Progress = Callable[[str, float], None]
CACHE_LIMIT_BYTES = int(os.environ.get("MIXCHAT_CACHE_MB", "3000")) * 1024 * 1024


@dataclass
class Rendered:
    audio: np.ndarray
    premaster: np.ndarray
    sample_rate: int
    master_result: MasterResult | None
    rendered_tracks: list[str]


class Engine:
    """Renders and measures mix states for one session's stems."""

    def __init__(self, meta: SessionMeta, cache_dir: Path) -> None:
        self.meta = meta
        self.cache_dir = Path(cache_dir)
        self._sources: dict[str, StemSource] | None = None

    @classmethod
    def for_session(cls, session: Any) -> Engine:
        return cls(session.meta, session.cache_dir)

    # --- stems -----------------------------------------------------------------------
    def stem_sources(self) -> dict[str, StemSource]:
        if self._sources is None:
            self._sources = {stem.name: self._stem_source(stem) for stem in self.meta.stems}
        return self._sources

    def _stem_source(self, stem: Any) -> StemSource:
        rate = self.meta.sample_rate
        key = f"{stem.sha256}:{rate}:{self.meta.frames}"
        cached = self.cache_dir / "stems" / f"{stem.sha256[:24]}_{rate}_{self.meta.frames}.npy"
        if cached.exists():
            audio = np.load(cached, mmap_mode="r")
        else:
            if not Path(stem.file).exists():
                raise AudioFileError(
                    f"{stem.file}: the stem file is gone and not cached; put it back to render {stem.name}"
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
        )

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
        prune_cache(tracks_dir, max_bytes=CACHE_LIMIT_BYTES)

    # --- measure ---------------------------------------------------------------------
    def measure(self, state: MixState, *, progress: Progress | None = None) -> dict[str, Any]:
        """Render ``state`` and return the metrics a version stores."""
        rendered = self.render(state, progress=progress)
        return self.metrics_of(rendered, state)

    def metrics_of(self, rendered: Rendered, state: MixState) -> dict[str, Any]:
        rate = rendered.sample_rate
        mix, sections = analyze_mix(
            rendered.audio, sample_rate=rate, sections=list(self.meta.sections)
        )
        metrics: dict[str, Any] = {
            "mix": mix.model_dump(mode="json"),
            "sections": sections,
            "tracks": self.track_facts(state),
        }
        if rendered.master_result is not None:
            metrics["premaster_lufs"] = round(
                integrated_lufs(rendered.premaster, sample_rate=rate), 2
            )
        return metrics

    def track_facts(self, state: MixState) -> dict[str, dict[str, Any]]:
        """Each audible track as it sits in the mix: loudness, bands, centroid, crest.

        Measured on the track's insert output (cached per settings hash) plus its fader gain;
        automation and pan are left out so the figures describe the track's own sound.
        """
        facts = {}
        for track in state.audible_tracks():
            own = self._insert_facts(track)
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

    def _insert_facts(self, track: Any) -> dict[str, Any]:
        source = self.stem_sources()[track.name]
        rate = self.meta.sample_rate
        key = (
            track_cache_key(track, stem_key=source.key, sample_rate=rate)
            if has_inserts(track)
            else f"raw-{source.key.replace(':', '_')}"
        )
        facts_path = self.cache_dir / "facts" / f"{key}.json"
        if facts_path.exists():
            try:
                return json.loads(facts_path.read_text())
            except (OSError, ValueError):
                pass
        audio = self.insert_output(track)
        facts = {
            "lufs": finite(integrated_lufs(audio, sample_rate=rate)),
            "band_energies_db": {
                k: finite(v) for k, v in band_energies_db(audio, sample_rate=rate).items()
            },
            "spectral_centroid_hz": finite(spectral_centroid_hz(audio, sample_rate=rate)),
            "crest_factor_db": finite(crest_factor_db(audio)),
        }
        facts_path.parent.mkdir(parents=True, exist_ok=True)
        write_json_atomic(facts_path, facts)
        return facts


def state_with_only(track: Any) -> MixState:
    return MixState(tracks=(track,))


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
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=".npy.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            np.save(handle, np.ascontiguousarray(audio, dtype=np.float32))
        os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
