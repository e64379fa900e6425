"""Where the automix places each part: balance targets from published measurements of real
mixes (``prompts/balance.json``), applied group by group.

1. Every part joins a group: the vocal, the harmony bed, the kit or the bass.
2. Each group sits at its published offset (shrunk toward equal loudness), the vocal's moved
   by the genre.
3. Inside a group the parts share its loudness: the kit by the published kick/snare/rest
   shares, voices and beds by their kind. A part's share counts only for the time it plays,
   so a chorus-only pad or a sparse fill is placed by its level where it plays.

Levels are integrated loudness (BS.1770, gated) where the part plays, relative to one
another; the faders then put each processed part there, pan and width included.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from mixchat.dsp.loudness import power_to_lufs
from mixchat.dsp.panning import pan_gains
from mixchat.tools.automix_measure import gated_lufs, power_sum_db
from mixchat.tools.balance_targets import BalanceTargets, balance_targets
from mixchat.tools.genres import resolve_genre

KIT_PIECES = {
    "kick": "kick",
    "snare": "snare",
    "hats": "kit_spot",
    "toms": "kit_spot",
    "percussion": "kit_spot",
}


@dataclass(frozen=True)
class Part:
    group: str
    member: str  # the kind of share it takes (prompts/balance.json members)
    level_lu: float  # where it sits when it plays, relative to the other parts
    activity: float  # share of the song it plays


@dataclass(frozen=True)
class BalancePlan:
    parts: dict[str, Part]
    groups: dict[str, float]  # each present group's level, LU (same scale as the parts)
    vocal: str | None
    genre: str

    def relative(self) -> dict[str, float]:
        """Each part's level relative to the loudest part (0 LU)."""
        top = max(p.level_lu for p in self.parts.values())
        return {n: p.level_lu - top for n, p in self.parts.items()}

    def alone(self) -> frozenset[str]:
        """The parts that are the only member of their group."""
        counts: dict[str, int] = {}
        for part in self.parts.values():
            counts[part.group] = counts.get(part.group, 0) + 1
        return frozenset(n for n, p in self.parts.items() if counts[p.group] == 1)

    def vocal_vs_band_lu(self) -> float | None:
        """The lead vocal minus the power sum of every other part (the reply's measure)."""
        if self.vocal not in self.parts or len(self.parts) < 2:
            return None
        rest = [p.level_lu for n, p in self.parts.items() if n != self.vocal]
        return self.parts[self.vocal].level_lu - power_sum_db(rest)


def activity_share(blocks: np.ndarray, *, below_lu: float) -> float:
    """Share of the 400 ms loudness blocks within ``below_lu`` of the part's gated level."""
    if blocks.size == 0:
        return 1.0
    level = gated_lufs(blocks)
    if level <= -119.0:
        return 0.0
    return float(np.mean(power_to_lufs(np.maximum(blocks, 1e-30)) >= level - below_lu))


def member_kind(name: str, role: str, group: str, vocal: str | None, crowd: list[str]) -> str:
    """Which share a part takes: ``crowd`` is the roles of every part in its group."""
    if group == "vocal":
        if name == vocal:
            return "lead_vocal"
        return "backing_vocal" if role == "backing_vocal" else "second_vocal"
    if group == "drums":
        if len(crowd) == 1:
            return "kit_whole"
        return KIT_PIECES.get(role, "kit_rest")
    if group == "harmony":
        return "fx" if role == "fx" else "harmony_part"
    return "bass_part"


def plan_balance(
    roles: Mapping[str, str],
    activity: Mapping[str, float],
    *,
    vocal: str | None,
    genre: str | None,
    targets: BalanceTargets | None = None,
) -> BalancePlan:
    """The level of every part in ``roles`` (the live tracks) where it plays."""
    table = targets or balance_targets()
    shrink = table.shrink
    groups: dict[str, list[str]] = {}
    for name, role in roles.items():
        groups.setdefault(table.group_of(role), []).append(name)
    genre_name = resolve_genre(genre)
    parts: dict[str, Part] = {}
    levels: dict[str, float] = {}
    for group, names in groups.items():
        if group == "vocal":
            level = table.shrink_vocal * table.groups[group].offset_lu
            level += table.vocal_shift_lu(genre_name)
        else:
            level = shrink * table.groups[group].offset_lu
        levels[group] = level
        crowd = [roles[n] for n in names]
        kinds = {n: member_kind(n, roles[n], group, vocal, crowd) for n in names}
        rest_count = sum(k == "kit_rest" for k in kinds.values())
        weights = {}
        for name, kind in kinds.items():
            weight = 10.0 ** (shrink * table.members[kind].share_db / 10.0)
            weights[name] = weight / rest_count if kind == "kit_rest" else weight
        plays = {n: max(table.activity.floor, min(1.0, activity.get(n, 1.0))) for n in names}
        together = sum(weights[n] * plays[n] for n in names) / max(plays.values())
        for name in names:
            parts[name] = Part(
                group=group,
                member=kinds[name],
                level_lu=level + 10.0 * math.log10(weights[name] / together),
                activity=plays[name],
            )
    return BalancePlan(parts=parts, groups=levels, vocal=vocal, genre=genre_name)


def placement_db(*, pan: float, width: float, channels: int, mid: float, side: float) -> float:
    """How much pan and width change a track's loudness: mono pans keep their power; a
    stereo track's balance control drops one side and width scales its side signal."""
    if channels < 2:
        return 0.0
    left, right = pan_gains(pan=pan, channels=channels)
    total = mid + side
    if total <= 0.0:
        return 0.0
    ratio = 0.5 * (left**2 + right**2) * (mid + width**2 * side) / total
    return 10.0 * math.log10(max(ratio, 1e-12))


def explain(plan: BalancePlan, targets: BalanceTargets | None = None) -> str:
    """One paragraph a producer can check and correct: where each group sits, and why."""
    table = targets or balance_targets()
    present = {
        g: v for g, v in plan.groups.items() if any(p.group == g for p in plan.parts.values())
    }
    if len(plan.parts) < 2:
        return ""
    order = sorted(present, key=lambda g: -present[g])
    anchor = order[0]
    lines = []
    for group in order[1:]:
        lines.append(f"{table.groups[group].label} {present[group] - present[anchor]:+.1f} LU")
    text = (
        f"Balance: {table.groups[anchor].label} on top"
        + (f", then {', '.join(lines)}" if lines else "")
        + f" (each group's level where it plays, from published means of professional "
        f"mixes: {table.groups[anchor].source}; {shrink_text(table)}; prompts/balance.json)."
    )
    ratio = plan.vocal_vs_band_lu()
    if ratio is not None and plan.vocal is not None:
        shift = table.vocal_shift_lu(plan.genre)
        source = table.genre_vocal_source.split(" (")[0]
        genre = f"; {plan.genre} moves the vocal {shift:+.1f} LU ({source})" if shift else ""
        text += f" {plan.vocal} sits {ratio:+.1f} LU against the band{genre}."
    shares = _shares_text(plan)
    if shares:
        text += f" Inside groups: {shares}."
    return text


def shrink_text(table: BalanceTargets) -> str:
    return (
        f"the vocal's offset in full, {table.shrink:.0%} of the others"
        if table.shrink_vocal == 1.0
        else f"{table.shrink_vocal:.0%} of the vocal's offset, {table.shrink:.0%} of the others"
    )


def _shares_text(plan: BalancePlan) -> str:
    crowded: dict[str, list[tuple[str, Part]]] = {}
    for name, part in plan.parts.items():
        crowded.setdefault(part.group, []).append((name, part))
    texts = []
    for group, members in crowded.items():
        if len(members) < 2:
            continue
        top = max(p.level_lu for _, p in members)
        items = ", ".join(
            f"{n} {p.level_lu - top:+.1f}"
            + (f" (plays {p.activity:.0%})" if p.activity < 0.9 else "")
            for n, p in sorted(members, key=lambda m: -m[1].level_lu)
        )
        texts.append(f"{group} {items}")
    return "; ".join(texts)
