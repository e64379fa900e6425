"""What a session holds and measured, for answers about "this song", "my vocal", "the drum bus".

:class:`SessionFacts` carries the tempo, the mix's loudness and crest factor, each section's
loudness and, per track, its role, its measurements (loudness, crest factor, centroid), its
current settings (fader, compressor) and the gain reduction its compressor measured. It is
built from plain data (:func:`facts_from`): a version's state and metrics, and the reductions
the turn measured for the tracks a question is about (:func:`tracks_asked_about`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, Field

from mixchat.assistant.knowledge.plugins import find_roles, tokens
from mixchat.dsp.state import MixState
from mixchat.tools.settings_text import compressor as compressor_text
from mixchat.tools.settings_text import track_line

# the knowledge base's roles (plugins.ROLE_WORDS) and the session roles (dsp.roles) they cover
SESSION_ROLES: dict[str, tuple[str, ...]] = {
    "drum bus": ("drums", "kick", "snare", "toms", "hats", "overheads", "percussion"),
    "vocal": ("vocal", "lead_vocal"),
    "kick": ("kick",),
    "snare": ("snare",),
    "tom": ("toms",),
    "bass": ("bass",),
    "guitar": ("guitar",),
    "piano": ("keys",),
}
MAX_TRACKS_QUOTED = 3


class Reduction(BaseModel):
    """A compressor's measured gain reduction (dB, positive): typical over the passages where
    the track plays, and on its loudest passages."""

    typical_db: float
    loud_db: float


class TrackFacts(BaseModel):
    name: str
    role: str = "other"
    crest_factor_db: float | None = None
    lufs: float | None = None
    spectral_centroid_hz: float | None = None
    band_shares_db: dict[str, float] = Field(default_factory=dict)
    gain_db: float | None = None
    compressor: dict[str, float] | None = None  # threshold_db, ratio, attack_ms, ...
    compressor_text: str = ""
    settings: str = ""
    reduction: Reduction | None = None


class SectionFacts(BaseModel):
    label: str
    start_s: float
    end_s: float
    lufs: float


class SessionFacts(BaseModel):
    """What a session measured, for answers that quote the producer's own material."""

    tempo_bpm: float | None = Field(default=None, gt=0)
    tracks: list[TrackFacts] = Field(default_factory=list)
    sections: list[SectionFacts] = Field(default_factory=list)
    genre: str | None = None
    version: int | None = None
    mix_lufs: float | None = None
    mix_crest_factor_db: float | None = None

    def track(self, name: str) -> TrackFacts | None:
        return next((t for t in self.tracks if t.name == name), None)


def tracks_asked_about(text: str, tracks: Sequence[tuple[str, str]]) -> list[str]:
    """The session tracks a question or message is about: those it names, else those whose
    role it names ("my vocal", "the drum bus", "the kick"), in the session's order."""
    said = f" {' '.join(tokens(text))} "
    named = [name for name, _ in tracks if tokens(name) and f" {' '.join(tokens(name))} " in said]
    if named:
        return named[:MAX_TRACKS_QUOTED]
    for role in find_roles(text):
        wanted = SESSION_ROLES.get(role, ())
        found = [name for name, track_role in tracks if track_role in wanted]
        if role == "vocal" and not found:
            found = [name for name, track_role in tracks if track_role == "backing_vocal"]
        if found:
            return found[:MAX_TRACKS_QUOTED] if role != "drum bus" else found
    return []


def facts_from(
    state: MixState,
    metrics: Mapping[str, Any],
    *,
    tempo_bpm: float | None,
    genre: str | None = None,
    version: int | None = None,
    reductions: Mapping[str, Reduction] | None = None,
) -> SessionFacts:
    """The facts of one version: its state's settings and its stored metrics."""
    measured = metrics.get("tracks") or {}
    mix = metrics.get("mix") or {}
    tracks = []
    for track in state.audible_tracks():
        facts = measured.get(track.name) or {}
        comp = track.compressor
        tracks.append(
            TrackFacts(
                name=track.name,
                role=track.role,
                crest_factor_db=facts.get("crest_factor_db"),
                lufs=facts.get("lufs"),
                spectral_centroid_hz=facts.get("spectral_centroid_hz"),
                gain_db=track.gain_db,
                compressor=comp.model_dump() if comp else None,
                compressor_text=compressor_text(comp) if comp else "",
                settings=track_line(track),
                reduction=(reductions or {}).get(track.name),
            )
        )
    sections = [
        SectionFacts(**{k: s[k] for k in ("label", "start_s", "end_s", "lufs")})
        for s in metrics.get("sections") or []
        if all(k in s for k in ("label", "start_s", "end_s", "lufs"))
    ]
    return SessionFacts(
        tempo_bpm=tempo_bpm,
        tracks=tracks,
        sections=sections,
        genre=genre,
        version=version,
        mix_lufs=mix.get("integrated_lufs"),
        mix_crest_factor_db=mix.get("crest_factor_db"),
    )
