"""Automix starting points by role, and the genre targets that adjust them.

The per-role table below is the engineer's default (pop): level relative to the lead vocal,
high-pass ceiling, compressor, pan family and sends. A genre from ``prompts/genres.json``
overrides any of these when it names them; unknown fields are ignored, so the genre file can
grow without breaking the automix.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from importlib import resources
from typing import Any

from dsp.errors import StateError


@dataclass(frozen=True)
class RoleDefaults:
    level_lu: float  # level in the mix relative to the lead vocal
    hpf_max_hz: float | None  # highest high-pass the role tolerates (None: never)
    ratio: float | None  # compressor ratio (None: no compressor)
    attack_ms: float = 10.0
    release_ms: float = 120.0
    reduction_db: float = 3.0  # aimed gain reduction on the loud passages
    pan_family: str = "centre"  # centre | spread | wide
    spread: float = 0.0  # pan distance from centre when spread
    reverb_send_db: float | None = None
    delay_send_db: float | None = None


ROLE_DEFAULTS: dict[str, RoleDefaults] = {
    "vocal": RoleDefaults(0.0, 100.0, 3.5, 10.0, 100.0, 4.0, "centre", 0.0, -14.0, -20.0),
    "backing_vocal": RoleDefaults(-8.0, 150.0, 3.0, 10.0, 120.0, 4.0, "spread", 0.5, -12.0, -24.0),
    "kick": RoleDefaults(-5.0, 30.0, 4.0, 25.0, 80.0, 3.0, "centre"),
    "snare": RoleDefaults(-6.0, 80.0, 4.0, 20.0, 100.0, 3.0, "centre", 0.0, -18.0),
    "hats": RoleDefaults(-13.0, 300.0, None, pan_family="spread", spread=0.25),
    "toms": RoleDefaults(-10.0, 60.0, 3.0, 20.0, 120.0, 3.0, "spread", 0.3, -20.0),
    "overheads": RoleDefaults(-10.0, 150.0, 2.0, 30.0, 150.0, 2.0, "wide", 0.0, -22.0),
    "drums": RoleDefaults(-3.0, 30.0, 4.0, 25.0, 120.0, 3.0, "centre", 0.0, -22.0),
    "percussion": RoleDefaults(-13.0, 150.0, None, pan_family="spread", spread=0.4),
    "bass": RoleDefaults(-4.0, 35.0, 4.0, 30.0, 180.0, 4.0, "centre"),
    "guitar": RoleDefaults(-7.0, 100.0, 3.0, 15.0, 120.0, 3.0, "spread", 0.5, -18.0),
    "keys": RoleDefaults(-7.0, 80.0, 2.5, 20.0, 150.0, 2.5, "spread", 0.35, -18.0),
    "pad": RoleDefaults(-11.0, 150.0, 2.0, 40.0, 300.0, 2.0, "wide", 0.0, -16.0),
    "synth": RoleDefaults(-8.0, 100.0, 3.0, 15.0, 120.0, 3.0, "spread", 0.3, -18.0, -24.0),
    "lead": RoleDefaults(-7.0, 150.0, 3.0, 15.0, 120.0, 3.0, "spread", 0.2, -16.0, -22.0),
    "strings": RoleDefaults(-9.0, 80.0, 2.0, 30.0, 200.0, 2.0, "wide", 0.0, -14.0),
    "brass": RoleDefaults(-8.0, 100.0, 3.0, 15.0, 120.0, 3.0, "spread", 0.3, -18.0),
    "fx": RoleDefaults(-14.0, 150.0, None, pan_family="wide", reverb_send_db=-16.0),
    "other": RoleDefaults(-8.0, 60.0, 2.5, 15.0, 150.0, 2.5, "spread", 0.3, -20.0),
}
ROLE_ALIASES = {
    "lead_vocal": "vocal",
    "bv": "backing_vocal",
    "piano": "keys",
    "percs": "percussion",
}


@dataclass(frozen=True)
class GenreProfile:
    name: str
    roles: dict[str, RoleDefaults] = field(default_factory=lambda: dict(ROLE_DEFAULTS))
    vocal_vs_band_lu: float = 0.0  # lead vocal minus the power sum of the rest
    premaster_lufs: float = -19.0
    ceiling_dbtp: float = -1.5  # keeps true peak under -1 dBTP (0.5 dB for the bus returns)
    band_shares_db: dict[str, float] = field(default_factory=dict)
    band_tolerance_db: dict[str, float] = field(default_factory=dict)
    source: str = "built-in defaults"

    def role(self, role: str) -> RoleDefaults:
        key = ROLE_ALIASES.get(role, role)
        return self.roles.get(key, self.roles["other"])


def _load_genres() -> dict[str, Any]:
    try:
        text = resources.files("prompts").joinpath("genres.json").read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return {}
    try:
        data = json.loads(text)
    except ValueError:
        return {}
    genres = data.get("genres", data) if isinstance(data, dict) else {}
    if isinstance(genres, list):
        genres = {str(g.get("name", "")).lower(): g for g in genres if isinstance(g, dict)}
    found = {str(k).lower(): v for k, v in genres.items() if isinstance(v, dict)}
    aliases = data.get("aliases", {}) if isinstance(data, dict) else {}
    for alias, target in (aliases if isinstance(aliases, dict) else {}).items():
        if str(target).lower() in found:
            found.setdefault(str(alias).lower(), found[str(target).lower()])
    return found


def _number(data: dict[str, Any], *keys: str) -> float | None:
    for key in keys:
        value = data.get(key)
        if isinstance(value, int | float):
            return float(value)
        if isinstance(value, dict):
            inner = _number(value, "value", "target", "db", "lu")
            if inner is not None:
                return inner
    return None


def _role_overrides(entry: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Per-role overrides from a genre entry, whichever of a few layouts it uses."""
    overrides: dict[str, dict[str, Any]] = {}
    for key in ("roles", "role_defaults", "per_role"):
        for role, values in (entry.get(key) or {}).items():
            if isinstance(values, dict):
                overrides.setdefault(role, {}).update(values)
    for key in ("level_offsets_lu", "level_offsets_db", "role_levels_db", "role_offsets_db"):
        for role, value in (entry.get(key) or {}).items():
            if isinstance(value, int | float):
                overrides.setdefault(role, {})["level_lu"] = float(value)
    return overrides


def _apply(defaults: RoleDefaults, values: dict[str, Any]) -> RoleDefaults:
    """``defaults`` with what a genre entry's role target says (prompts/genres.json layout)."""
    changes: dict[str, Any] = {}
    level = _number(values, "level_lu", "level_db", "offset_lu")
    if level is not None:
        changes["level_lu"] = level
    if "hpf_hz" in values:
        changes["hpf_max_hz"] = _number(values, "hpf_hz")
    if "compressor" in values:
        comp = values.get("compressor")
        if not isinstance(comp, dict):
            changes["ratio"] = None
        else:
            ratio = _number(comp, "ratio") or defaults.ratio or 3.0
            changes["ratio"] = ratio
            changes["attack_ms"] = _number(comp, "attack_ms") or defaults.attack_ms
            changes["release_ms"] = _number(comp, "release_ms") or defaults.release_ms
            relative = _number(comp, "threshold_rel_db")
            if relative is not None and ratio > 1.0:
                changes["reduction_db"] = min(5.0, max(1.5, -relative * (1.0 - 1.0 / ratio)))
    sends = values.get("sends")
    if isinstance(sends, dict):
        for key in ("reverb_send_db", "delay_send_db"):
            if key in sends:
                changes[key] = _number(sends, key)
    if values.get("pan_family") in ("centre", "spread", "wide"):
        changes["pan_family"] = values["pan_family"]
    pan = _number(values, "pan")
    if pan is not None:
        changes["spread"] = abs(pan)
    return replace(defaults, **changes)


def genre_profile(genre: str | None) -> GenreProfile:
    """The targets for ``genre`` (None: the pop defaults). Raises StateError for an unknown
    genre when a genre file exists."""
    genres = _load_genres()
    key = " ".join((genre or "default").strip().lower().replace("_", " ").split())
    key = next((k for k in (key, key.replace(" ", "_"), key.replace(" ", "")) if k in genres), key)
    if key not in genres:
        if not genres or not genre:
            return GenreProfile(name=key)
        raise StateError(f"genre={genre!r} is not known; genres are {sorted(genres)}")
    entry = genres[key]
    roles = dict(ROLE_DEFAULTS)
    for role, values in _role_overrides(entry).items():
        base = ROLE_ALIASES.get(role, role)
        roles[base] = _apply(roles.get(base, ROLE_DEFAULTS["other"]), values)
    shares = entry.get("band_shares_db") or entry.get("tonal_balance_db") or {}
    vocal = _number(entry, "vocal_vs_band_lu", "vocal_vs_rest_lu", "vocal_vs_band_db")
    level = _number(entry, "premaster_lufs", "mix_lufs")
    ceiling = _number(entry, "premaster_true_peak_dbtp")
    tolerance = entry.get("band_tolerance_db") or {}
    return GenreProfile(
        name=key,
        roles=roles,
        vocal_vs_band_lu=vocal if vocal is not None else 0.0,
        premaster_lufs=min(-17.0, max(-22.0, level)) if level is not None else -19.0,
        ceiling_dbtp=min(-1.5, ceiling - 0.5) if ceiling is not None else -1.5,
        band_shares_db={k: v for k, v in shares.items() if isinstance(v, int | float)},
        band_tolerance_db={k: v for k, v in tolerance.items() if isinstance(v, int | float)},
        source=str(entry.get("source") or entry.get("sources") or "prompts/genres.json"),
    )
