"""Automix starting points by role, and the genre targets that adjust them.

Every role's level relative to the lead vocal, high-pass ceiling, compressor, pan family and
sends come from ``prompts/genres.json`` (loaded and validated by ``mixchat.tools.genres``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from mixchat.tools.genres import RoleTarget, genre_target


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


ROLE_ALIASES = {
    "lead_vocal": "vocal",
    "bv": "backing_vocal",
    "piano": "keys",
    "percs": "percussion",
}


@dataclass(frozen=True)
class GenreProfile:
    name: str
    roles: dict[str, RoleDefaults]
    vocal_vs_band_lu: float = 0.0  # lead vocal minus the power sum of the rest
    premaster_lufs: float = -19.0
    premaster_floor_lufs: float = -23.0  # the quietest pre-master the genre accepts
    ceiling_dbtp: float = -1.5  # keeps true peak under -1 dBTP (0.5 dB for the bus returns)
    returns_reserve_db: float = 0.5  # what the ceiling keeps for the reverb and delay returns
    band_shares_db: dict[str, float] = field(default_factory=dict)
    band_tolerance_db: dict[str, float] = field(default_factory=dict)
    source: str = "prompts/genres.json"

    def ceiling_for(self, *, sends: bool) -> float:
        """The dry pre-master's true-peak ceiling: a mix with no sends has no bus returns to
        leave room for, so it may use the reserve."""
        return self.ceiling_dbtp if sends else self.ceiling_dbtp + self.returns_reserve_db

    def role(self, role: str) -> RoleDefaults:
        key = ROLE_ALIASES.get(role, role)
        return self.roles.get(key, self.roles["other"])


def role_defaults(target: RoleTarget) -> RoleDefaults:
    """A genre file's role target in the terms the automix moves use."""
    comp = target.compressor
    reduction = 3.0
    if comp is not None and comp.ratio > 1.0:
        reduction = min(5.0, max(1.5, -comp.threshold_rel_db * (1.0 - 1.0 / comp.ratio)))
    return RoleDefaults(
        level_lu=target.level_lu,
        hpf_max_hz=target.hpf_hz,
        ratio=comp.ratio if comp else None,
        attack_ms=comp.attack_ms if comp else 10.0,
        release_ms=comp.release_ms if comp else 120.0,
        reduction_db=reduction,
        pan_family=target.pan_family,
        spread=target.pan,
        reverb_send_db=target.sends.reverb_send_db,
        delay_send_db=target.sends.delay_send_db,
    )


def genre_profile(genre: str | None) -> GenreProfile:
    """The automix targets for ``genre`` (None: the default genre) from prompts/genres.json."""
    target = genre_target(genre)
    return GenreProfile(
        name=target.name,
        roles={role: role_defaults(values) for role, values in target.roles.items()},
        vocal_vs_band_lu=target.vocal_vs_band_lu,
        premaster_lufs=min(-17.0, max(-22.0, target.premaster_lufs)),
        premaster_floor_lufs=min(-17.0, max(-23.0, target.premaster_range_lufs[0])),
        ceiling_dbtp=min(-1.5, target.premaster_true_peak_dbtp - 0.5),
        band_shares_db=dict(target.band_shares_db),
        band_tolerance_db=dict(target.band_tolerance_db),
        source="; ".join(target.sources) or "prompts/genres.json",
    )
