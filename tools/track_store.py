"""The session's analyses, kept in its cache: measured once, read by every later command.

Each track output (a raw stem, or a track after its inserts) is named by its insert key (see
``mixchat.dsp.render_plan``) and has, measured while it was decoded or rendered (or, for
a track whose inserts are only its trim, its stem's scaled by the trim):

* ``facts/<key>.json``: loudness, band energies, centroid, crest factor, channel count,
  mid and side energies (``mixchat.dsp.track_meter.facts_from``);
* ``facts/<key>.blocks.npy``: its momentary loudness blocks (section rides read them);
* ``bands/<key>.npy``: its masking bands (when something asked for them);
* ``facts/<key>.extras.npz`` for a raw stem: what the automix reads on it (fine spectrum,
  level of its loud passages), written by ``new``.

Writes are atomic (no fsync: a cache) and go through the cache's budget; a missing or damaged
file reads as None and is measured again.
"""

from __future__ import annotations

import json
import os
from contextlib import ExitStack, suppress
from pathlib import Path
from typing import Any

import numpy as np

from mixchat.dsp.audio_io import Put, npy_block_writer, npy_nbytes, temp_npy_path
from mixchat.dsp.cache import ANALYSIS, CacheBudget, touch
from mixchat.dsp.masking import N_BANDS, frame_hop
from mixchat.dsp.track_meter import FACT_KEYS, StemExtras, TrackAnalysis
from mixchat.tools.atomic import write_json_atomic


class TrackStore:
    def __init__(self, cache_dir: Path, budget: CacheBudget | None) -> None:
        self.facts_dir = Path(cache_dir) / "facts"
        self.bands_dir = Path(cache_dir) / "bands"
        self.budget = budget

    # --- reading ------------------------------------------------------------------------
    def facts(self, key: str) -> dict[str, Any] | None:
        path = self.facts_dir / f"{key}.json"
        try:
            facts = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        if not all(k in facts for k in FACT_KEYS):
            return None
        touch(path)
        return facts

    def blocks(self, key: str) -> np.ndarray | None:
        return _load(self.facts_dir / f"{key}.blocks.npy", ndim=1)

    def bands(self, key: str) -> np.ndarray | None:
        return _load(self.bands_dir / f"{key}.npy", ndim=2)

    def bands_path(self, key: str) -> Path:
        return self.bands_dir / f"{key}.npy"

    def extras(self, key: str) -> StemExtras | None:
        path = self.facts_dir / f"{key}.extras.npz"
        try:
            with np.load(path) as data:
                return StemExtras(
                    psd=data["psd"],
                    loud_rms_db=float(data["loud_rms_db"]),
                    active_share=float(data["active_share"]),
                    activity_powers=data["activity_powers"],
                    section_powers=data["section_powers"],
                    peak=float(data["peak"]),
                    finite_samples=bool(data["finite_samples"]),
                )
        except (OSError, ValueError, KeyError):
            return None

    def has(self, key: str, *, bands: bool = False) -> bool:
        found = (self.facts_dir / f"{key}.json").exists() and (
            self.facts_dir / f"{key}.blocks.npy"
        ).exists()
        return found and (not bands or self.bands_path(key).exists())

    # --- writing ------------------------------------------------------------------------
    def _room(self, nbytes: int) -> bool:
        if self.budget is None:
            return True
        if not self.budget.reserve(nbytes, rank=ANALYSIS):
            return False
        self.budget.release(nbytes)
        return True

    def save(self, key: str, analysis: TrackAnalysis) -> None:
        self.facts_dir.mkdir(parents=True, exist_ok=True)
        blocks = np.asarray(analysis.blocks, dtype=np.float64)
        if not self._room(blocks.nbytes + 4096):
            return
        _save_npy(self.facts_dir / f"{key}.blocks.npy", blocks)
        write_json_atomic(self.facts_dir / f"{key}.json", analysis.facts, durable=False)
        if analysis.bands is not None:
            self.save_bands(key, analysis.bands)

    def save_bands(self, key: str, power: np.ndarray) -> None:
        self.bands_dir.mkdir(parents=True, exist_ok=True)
        power = np.asarray(power, dtype=np.float32)
        if self._room(power.nbytes + 128):
            _save_npy(self.bands_path(key), power)

    def bands_writer(
        self, key: str, *, frames: int, sample_rate: int, stack: ExitStack
    ) -> Put | None:
        """A writer of ``key``'s band frames straight into their file (open until ``stack``
        closes), so a meter keeps none of them in memory; None when there is no room."""
        shape = (N_BANDS, max(1, frames // frame_hop(sample_rate)))
        nbytes = npy_nbytes(shape)
        if self.budget is not None and not self.budget.reserve(nbytes, rank=ANALYSIS):
            return None
        try:
            return stack.enter_context(npy_block_writer(self.bands_path(key), shape=shape))
        finally:
            if self.budget is not None:
                self.budget.release(nbytes)

    def save_extras(self, key: str, extras: StemExtras) -> None:
        self.facts_dir.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, Any] = {
            "psd": extras.psd,
            "loud_rms_db": np.float64(extras.loud_rms_db),
            "active_share": np.float64(extras.active_share),
            "activity_powers": extras.activity_powers,
            "section_powers": extras.section_powers,
            "peak": np.float64(extras.peak),
            "finite_samples": np.bool_(extras.finite_samples),
        }
        size = sum(np.asarray(a).nbytes for a in arrays.values()) + 4096
        if not self._room(size):
            return
        path = self.facts_dir / f"{key}.extras.npz"
        tmp = temp_npy_path(path)
        try:
            with open(tmp, "wb") as handle:
                np.savez(handle, **arrays)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)


def _load(path: Path, *, ndim: int) -> np.ndarray | None:
    try:
        array = np.load(path)
    except (OSError, ValueError):
        return None
    if array.ndim != ndim:
        return None
    touch(path)
    return array


def _save_npy(path: Path, array: np.ndarray) -> None:
    tmp = temp_npy_path(path)
    try:
        with open(tmp, "wb") as handle:
            np.save(handle, array)
        os.replace(tmp, path)
    finally:
        with suppress(OSError):
            tmp.unlink(missing_ok=True)
