"""What a planner is shown: the parent version, its measurements and the conversation so far."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mixchat.assistant.planning.contract import PastTurn, PlanContext, TrackFacts
from mixchat.assistant.planning.measures import measures_from_record
from mixchat.dsp.masking import StemBands, find_masking
from mixchat.dsp.state import TrackState
from mixchat.tools.base import ToolCall
from mixchat.tools.catalog import REGISTRY
from mixchat.tools.cleanup_faults import faults_lookup
from mixchat.tools.engine import Engine
from mixchat.tools.errors import SessionError
from mixchat.tools.session import Session, Version

Progress = Callable[[str, float], None]
LINEAGE_DEPTH = 8


# --- context -------------------------------------------------------------------------
def lineage(session: Session, start: int) -> list[PastTurn]:
    """The briefs that led to ``start``, newest first; it stops at a damaged ancestor (the
    follow-ups then see a shorter history, and the brief still runs)."""
    turns: list[PastTurn] = []
    number: int | None = start
    while number is not None and len(turns) < LINEAGE_DEPTH:
        try:
            version = session.load(number)
        except SessionError:
            break
        calls = tuple(
            ToolCall(tool=c.tool, args=c.args)
            for c in version.tool_calls
            if "record" not in REGISTRY.categories(c.tool)
        )
        turns.append(
            PastTurn(
                version.version,
                version.parent,
                version.kind,
                version.brief,
                calls,
                version.state,
                measures_from_record(version.metrics.get("measured")),
            )
        )
        number = version.parent
    return turns


def ensure_metrics(session: Session, engine: Engine, version: Version) -> dict[str, Any]:
    if version.metrics.get("mix") and version.metrics.get("tracks") is not None:
        return version.metrics
    return engine.measure(version.state)


def build_context(session: Session, engine: Engine, brief: str, parent: Version) -> PlanContext:
    metrics = ensure_metrics(session, engine, parent)
    facts = metrics.get("tracks") or engine.track_facts(parent.state)
    if set(facts) != {t.name for t in parent.state.audible_tracks()}:
        facts = engine.track_facts(parent.state)
    tracks = {
        name: TrackFacts(
            name=name,
            role=f["role"],
            lufs=f["lufs"],
            band_energies_db=f["band_energies_db"],
            spectral_centroid_hz=f["spectral_centroid_hz"],
            crest_factor_db=f["crest_factor_db"],
        )
        for name, f in facts.items()
    }
    meta = session.meta
    state = parent.state
    bands_cache: dict[str, StemBands] = {}
    stereo_cache: dict[str, dict[str, float]] = {}

    def bands_for(tracks: list[TrackState]) -> dict[str, StemBands]:
        bands_cache.update(engine.track_bands([t for t in tracks if t.name not in bands_cache]))
        return {t.name: bands_cache[t.name] for t in tracks}

    def masking() -> list[dict[str, Any]]:
        # the stored band files, read a chunk at a time: any number of long tracks
        bands = {t.name: engine.band_powers(t) for t in state.audible_tracks()}
        roles = {t.name: t.role for t in state.tracks}
        conflicts = find_masking(bands, sample_rate=meta.sample_rate, roles=roles)
        return [c.model_dump(mode="json") for c in conflicts]

    def bands_of(name: str) -> StemBands | None:
        return bands_for([state.track(name)])[name]

    def stereo() -> dict[str, dict[str, float]]:
        if not stereo_cache:
            stereo_cache.update(engine.track_stereo(state.audible_tracks()))
        return stereo_cache

    return PlanContext(
        brief=brief,
        state=state,
        parent_version=parent.version,
        sections=meta.sections,
        duration_s=meta.duration_s,
        sample_rate=meta.sample_rate,
        tempo_bpm=meta.tempo_bpm,
        genre=meta.genre,
        metrics=metrics,
        tracks=tracks,
        lineage=lineage(session, parent.version),
        masking=masking,
        faults=faults_lookup(engine, state),
        stem_bands=bands_of,
        stereo=stereo,
    )
