"""Genre targets for automix and feedback, loaded from ``prompts/genres.json``.

The file holds the numbers and their sources; this module validates them and resolves a
genre name (aliases such as "hip hop" or "r&b" included).
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from mixchat.dsp.errors import StateError
from mixchat.dsp.state import build

BANDS = ("sub", "low", "low_mid", "mid", "presence", "air")


class Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RoleCompressor(Frozen):
    threshold_rel_db: float = Field(ge=-30.0, le=0.0)
    ratio: float = Field(ge=1.0, le=20.0)
    attack_ms: float = Field(ge=0.1, le=300.0)
    release_ms: float = Field(ge=5.0, le=3000.0)


class RoleSends(Frozen):
    reverb_send_db: float | None = Field(default=None, ge=-60.0, le=6.0)
    delay_send_db: float | None = Field(default=None, ge=-60.0, le=6.0)


class RoleTarget(Frozen):
    level_lu: float = Field(ge=-40.0, le=6.0)
    hpf_hz: float | None = Field(default=None, ge=10.0, le=2000.0)
    compressor: RoleCompressor | None = None
    pan: float = Field(default=0.0, ge=0.0, le=1.0)
    pan_family: Literal["centre", "spread", "wide"] = "centre"
    width: float = Field(default=1.0, ge=0.0, le=2.0)
    sends: RoleSends = RoleSends()


class MasterTarget(Frozen):
    target_lufs: float = Field(ge=-40.0, le=-4.0)
    ceiling_dbtp: float = Field(ge=-12.0, le=0.0)
    commercial_lufs: float = Field(ge=-40.0, le=-4.0)


class PanLayout(Frozen):
    centre: tuple[str, ...]
    spread: dict[str, float]
    wide: tuple[str, ...]
    rules: tuple[str, ...]


class GenreTarget(Frozen):
    name: str
    description: str
    band_shares_db: dict[str, float]
    band_tolerance_db: dict[str, float]
    ltas_model: dict[str, float]
    premaster_lufs: float = Field(ge=-30.0, le=-10.0)
    premaster_range_lufs: tuple[float, float]
    premaster_true_peak_dbtp: float = Field(ge=-12.0, le=0.0)
    vocal_vs_band_lu: float
    master: MasterTarget
    roles: dict[str, RoleTarget]
    level_offsets_lu: dict[str, float]
    pan_layout: PanLayout
    notes: str = ""
    sources: tuple[str, ...] = ()

    @field_validator("band_shares_db", "band_tolerance_db")
    @classmethod
    def _six_bands(cls, value: dict[str, float]) -> dict[str, float]:
        missing = [b for b in BANDS if b not in value]
        if missing:
            raise ValueError(f"bands {missing} are missing; need all of {list(BANDS)}")
        return value

    def role(self, role: str) -> RoleTarget:
        """The target for a role, falling back to ``other`` for roles the genre lacks."""
        return self.roles.get(role) or self.roles["other"]


class GenreFile(Frozen):
    header: dict[str, object]
    sources: tuple[str, ...]
    aliases: dict[str, str]
    genres: dict[str, dict[str, object]]


@lru_cache(maxsize=1)
def load_genres() -> dict[str, GenreTarget]:
    """Every genre in ``prompts/genres.json``, validated (cached)."""
    resource = files("mixchat.prompts") / "genres.json"
    try:
        data = build(GenreFile, json.loads(resource.read_text(encoding="utf-8")))
    except (FileNotFoundError, OSError, ValueError) as error:
        raise StateError(f"genre file={resource} cannot be read: {error}") from None
    return {
        name: build(GenreTarget, {"name": name, "sources": data.sources, **entry})
        for name, entry in data.genres.items()
    }


@lru_cache(maxsize=1)
def _aliases() -> dict[str, str]:
    resource = files("mixchat.prompts") / "genres.json"
    return json.loads(resource.read_text(encoding="utf-8")).get("aliases", {})


def genre_names() -> list[str]:
    return sorted(load_genres())


def resolve_genre(name: str | None) -> str:
    """The canonical genre name for ``name`` ("Hip Hop" → "hip_hop"); None → "default"."""
    if name is None or not name.strip():
        return "default"
    genres = load_genres()
    key = " ".join(name.strip().lower().replace("_", " ").split())
    for candidate in (key, key.replace(" ", "_"), key.replace(" ", "")):
        if candidate in genres:
            return candidate
        if candidate in _aliases():
            return _aliases()[candidate]
    raise StateError(f"genre={name!r} is not known; use one of {genre_names()}")


def genre_target(name: str | None = None) -> GenreTarget:
    """Targets for ``name`` (None: "default"). Raises StateError naming the valid genres."""
    return load_genres()[resolve_genre(name)]


def band_targets(name: str | None = None) -> tuple[str, dict[str, float], dict[str, float]]:
    """The genre's name, its target band shares (dB) and their tolerances (dB)."""
    target = genre_target(name)
    return target.name, dict(target.band_shares_db), dict(target.band_tolerance_db)
