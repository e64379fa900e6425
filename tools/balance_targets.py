"""Balance targets from published measurements of real mixes, loaded from
``prompts/balance.json`` (the numbers, their sources and how they were derived) and
validated here."""

from __future__ import annotations

import json
from functools import lru_cache
from importlib.resources import files

from pydantic import BaseModel, ConfigDict, Field, model_validator

from mixchat.dsp.errors import StateError
from mixchat.dsp.state import build
from mixchat.tools.genres import genre_names, resolve_genre


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class GroupTarget(_Frozen):
    offset_lu: float = Field(ge=-12.0, le=12.0)
    spread_lu: float = Field(ge=0.0, le=12.0)
    roles: tuple[str, ...]
    label: str
    source: str


class MemberShare(_Frozen):
    share_db: float = Field(ge=-24.0, le=0.0)
    source: str


class Activity(_Frozen):
    below_lu: float = Field(gt=0.0, le=60.0)
    floor: float = Field(gt=0.0, le=1.0)


MEMBERS = (
    "lead_vocal",
    "second_vocal",
    "backing_vocal",
    "kick",
    "snare",
    "kit_rest",
    "kit_spot",
    "kit_whole",
    "harmony_part",
    "fx",
    "bass_part",
)


class BalanceTargets(_Frozen):
    header: dict[str, object]
    sources: dict[str, str]
    groups: dict[str, GroupTarget]
    members: dict[str, MemberShare]
    shrink: float = Field(ge=0.0, le=1.0)
    shrink_vocal: float = Field(ge=0.0, le=1.0)
    genre_vocal_lu: dict[str, float]
    genre_vocal_source: str
    activity: Activity

    @model_validator(mode="after")
    def _complete(self) -> BalanceTargets:
        missing = [g for g in ("vocal", "harmony", "drums", "bass") if g not in self.groups]
        missing += [m for m in MEMBERS if m not in self.members]
        missing += [g for g in genre_names() if g not in self.genre_vocal_lu]
        if missing:
            raise ValueError(f"entries {missing} are missing")
        roles = [r for g in self.groups.values() for r in g.roles]
        if len(roles) != len(set(roles)):
            raise ValueError(f"a role is listed in two groups: {sorted(roles)}")
        return self

    def group_of(self, role: str) -> str:
        """The group a role balances in (roles no group lists join the harmony bed)."""
        for name, group in self.groups.items():
            if role in group.roles:
                return name
        return "harmony"

    def vocal_shift_lu(self, genre: str | None) -> float:
        return self.genre_vocal_lu.get(resolve_genre(genre), 0.0)


@lru_cache(maxsize=1)
def balance_targets() -> BalanceTargets:
    """The validated contents of ``prompts/balance.json`` (cached)."""
    resource = files("mixchat.prompts") / "balance.json"
    try:
        return build(BalanceTargets, json.loads(resource.read_text(encoding="utf-8")))
    except (OSError, ValueError, StateError) as error:
        raise StateError(f"balance file={resource} cannot be read: {error}") from None
