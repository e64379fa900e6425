"""What a render must compute, named by keys, and which cached mix it can start from.

Each audible track contributes its placed output (inserts, fader with its automation, pan and
width) to the mix, and per bus its send times the send level and its automation: the placed
output into a stereo bus (the delay), the channel before pan and width into a mono one (the
reverb, see ``panning.pre_pan_matrix``), so a pan or width change leaves the reverb's send,
and its return, as they were. Every contribution is named by a hash of exactly what decides
it. A bus's send sum is named by its senders' keys, its return by the send sum and the bus
settings, and a mix by its tracks' and returns' keys (the mix bus's gain automation is applied
on the way out, so it is not part of the mix).

Sums are exact (fixed point, see ``render``), so a cached mix with a manifest of its
contributions can be turned into another state's mix by taking out the contributions that
differ and putting in the new ones: the samples are the same as a full render's.

A bus's send sum is needed only where its bus runs (a return not in the cache), and it may
start from any cached send sum of that bus, not only the base mix's: the one that adds the
fewest track outputs to place (``choose_send_sources``). A revision's own send sums are kept
only when they save a later brief more work than writing them costs (``MixDiff.keeps_send``):
made from the base's with one sender moved, they are not (a brief from the same parent starts
from the parent's again; one from the revision rebuilds them from the parent's, placing that
sender out and in, and keeps its own).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixchat.dsp.mix_file import MIX_VERSION
from mixchat.dsp.processors import INSERT_FIELDS, has_inserts, pre_delay_frames
from mixchat.dsp.state import MixState, SectionAutomation, TrackState

ENGINE_VERSION = 4  # in every key; MIX_VERSION only in the mix's, sends' and returns' keys
CLEANUP_VERSION = 13  # the clean-up stages' own version: keys of tracks without them stay valid
TRANSIENT_VERSION = 2  # the transient shaper's (peak-envelope detector since round 4 of issue 16)
BUSES = (("reverb", "reverb_send_db"), ("delay", "delay_send_db"))
SEND_WRITE_PLACEMENTS = 2  # writing a send sum (float64) costs about two placements of a
# track output (read and placed): 32 x 360, a full cache, 381 MB of sends ~0.25 s of CPU
# against ~0.12 s a placement; both grow with the song's length and the track count alike
SEND_CHANNELS = {"reverb": 1, "delay": 2}


def digest(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def track_cache_key(track: TrackState, *, stem_key: str, sample_rate: int) -> str:
    """Hash of everything that decides a track's insert output (and nothing else)."""
    inserts = track.model_dump(mode="json", include=set(INSERT_FIELDS))
    if not track.cleanup.stages():
        del inserts["cleanup"]  # keys from before the clean-up stages existed stay valid
    else:
        inserts["cleanup_version"] = CLEANUP_VERSION
    if track.transient is not None:  # a track cached with the old detector renders anew
        inserts["transient_version"] = TRANSIENT_VERSION
    return digest({"engine": ENGINE_VERSION, "stem": stem_key, "rate": sample_rate, **inserts})


def cleaned_cache_key(track: TrackState, *, stem_key: str, sample_rate: int) -> str:
    """Hash of what decides a track's cleaned stem: the stem and its clean-up stages only."""
    return digest(
        {
            "engine": ENGINE_VERSION,
            "cleanup_version": CLEANUP_VERSION,
            "stem": stem_key,
            "rate": sample_rate,
            "cleanup": track.cleanup.model_dump(mode="json"),
        }
    )


def _automation(state: MixState, owner: str | None, field_name: str) -> list[dict[str, Any]]:
    return [
        a.model_dump(mode="json")
        for a in state.automation
        if a.track == owner and getattr(a, field_name) != 0.0
    ]


@dataclass(frozen=True)
class Contribution:
    """One audible track's part in a mix: its insert output, placement and sends."""

    track: TrackState
    stem_key: str
    insert_key: str  # the insert output (a track cache file), or the stem when no inserts
    place_key: str  # the placed output: inserts, fader and its automation, pan, width
    send_keys: dict[str, str]  # bus -> the track's send into it
    automation: tuple[SectionAutomation, ...]  # everything in the state that moves it

    @property
    def name(self) -> str:
        return self.track.name

    @property
    def passthrough(self) -> bool:
        return not has_inserts(self.track)

    def record(self) -> dict[str, Any]:
        return {
            "place": self.place_key,
            "sends": self.send_keys,
            "stem": self.stem_key,
            "state": self.track.model_dump(mode="json"),
            "automation": [a.model_dump(mode="json") for a in self.automation],
        }


def contributions(
    state: MixState, *, stem_keys: Mapping[str, str], sample_rate: int
) -> dict[str, Contribution]:
    found = {}
    for track in state.audible_tracks():
        insert_key = (
            track_cache_key(track, stem_key=stem_keys[track.name], sample_rate=sample_rate)
            if has_inserts(track)
            else f"stem-{digest(stem_keys[track.name])}"
        )
        faded = {
            "insert": insert_key,
            "gain_db": track.gain_db,
            "automation": _automation(state, track.name, "gain_db"),
        }
        pre_pan_key = digest({"mix_version": MIX_VERSION, "pre_pan": faded})
        place_key = digest(
            {
                "insert": insert_key,
                "mix": track.model_dump(mode="json", include={"gain_db", "pan", "width"}),
                "automation": faded["automation"],
            }
        )
        sends = {
            bus: digest(
                {
                    "place": pre_pan_key if SEND_CHANNELS[bus] == 1 else place_key,
                    "send_db": getattr(track, send),
                    "automation": _automation(state, track.name, send),
                    "mixbus": _automation(state, None, send),
                }
            )
            for bus, send in BUSES
            if getattr(track, send) is not None
        }
        moving = tuple(a for a in state.automation if a.track in (track.name, None))
        found[track.name] = Contribution(
            track, stem_keys[track.name], insert_key, place_key, sends, moving
        )
    return found


@dataclass(frozen=True)
class BusPlan:
    bus: str
    send_key: str  # the sum of the senders' sends
    return_key: str  # the bus's output for that send
    delay: int  # frames the return is shifted by (the reverb's pre-delay)
    senders: dict[str, str]  # track -> its send key


def bus_plans(
    state: MixState, found: Mapping[str, Contribution], *, sample_rate: int, frames: int
) -> dict[str, BusPlan]:
    plans = {}
    for bus, _ in BUSES:
        senders = {name: c.send_keys[bus] for name, c in found.items() if bus in c.send_keys}
        if not senders:
            continue
        send_key = digest(
            {
                "engine": ENGINE_VERSION,
                "mix_version": MIX_VERSION,
                "bus": bus,
                "frames": frames,
                **senders,
            }
        )
        settings = getattr(state, bus).model_dump(mode="json")
        return_key = digest(
            {"engine": ENGINE_VERSION, "send": send_key, "rate": sample_rate, "settings": settings}
        )
        delay = pre_delay_frames(state.reverb, sample_rate=sample_rate) if bus == "reverb" else 0
        plans[bus] = BusPlan(bus, send_key, return_key, delay, senders)
    return plans


@dataclass
class Manifest:
    """What a cached mix holds: its contributions and bus returns."""

    key: str
    frames: int
    sample_rate: int
    tracks: dict[str, dict[str, Any]]
    buses: dict[str, dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {
            "engine": ENGINE_VERSION,
            "mix_version": MIX_VERSION,
            "key": self.key,
            "frames": self.frames,
            "rate": self.sample_rate,
            "tracks": self.tracks,
            "buses": self.buses,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Manifest | None:
        if data.get("engine") != ENGINE_VERSION or data.get("mix_version") != MIX_VERSION:
            return None  # its send sums were made another way: they cannot be revised
        try:
            return cls(data["key"], data["frames"], data["rate"], data["tracks"], data["buses"])
        except (KeyError, TypeError):
            return None


def manifest_of(
    found: Mapping[str, Contribution], plans: Mapping[str, BusPlan], *, frames: int, rate: int
) -> Manifest:
    tracks = {name: c.record() for name, c in found.items()}
    buses = {
        bus: {"send": p.send_key, "return": p.return_key, "delay": p.delay, "senders": p.senders}
        for bus, p in plans.items()
    }
    key = digest(
        {
            "engine": ENGINE_VERSION,
            "mix_version": MIX_VERSION,
            "frames": frames,
            "rate": rate,
            "tracks": {n: t["place"] for n, t in tracks.items()},
            "returns": {b: (v["return"], v["delay"]) for b, v in buses.items()},
        }
    )
    return Manifest(key, frames, rate, tracks, buses)


@dataclass
class MixDiff:
    """How ``target`` differs from ``base``: whose placed outputs leave and enter the mix,
    which bus returns change and, for each bus run now, the cached send sum its send starts
    from (``send_from``: its manifest, None for silence) and whose sends leave and enter it."""

    base: Manifest | None
    removed: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> base record
    added: list[str] = field(default_factory=list)
    returns: list[str] = field(default_factory=list)  # buses whose return changes
    send_from: dict[str, Manifest | None] = field(default_factory=dict)  # bus -> send source
    send_out: dict[str, list[str]] = field(default_factory=dict)  # bus -> names (its records)
    send_in: dict[str, list[str]] = field(default_factory=dict)  # bus -> names (target)
    send_extra: dict[str, int] = field(default_factory=dict)  # bus -> outputs beyond the mix's

    def outgoing(self) -> list[tuple[dict[str, Any], bool, tuple[str, ...]]]:
        """(record, out of the mix, out of these buses) of each contribution to take out:
        one per record, so a track whose old settings leave the mix and a send sum alike is
        placed once."""
        found: dict[str, tuple[dict[str, Any], bool, list[str]]] = {}
        for record in self.removed.values():
            found[_identity(record)] = (record, True, [])
        for bus, names in self.send_out.items():
            source = self.send_from[bus]
            if source is None:  # a send from silence takes nothing out
                continue
            for name in names:
                record = source.tracks[name]
                entry = found.setdefault(_identity(record), (record, False, []))
                entry[2].append(bus)
        return [(record, mix, tuple(buses)) for record, mix, buses in found.values()]

    def incoming(self) -> dict[str, tuple[bool, tuple[str, ...]]]:
        """name -> (into the mix, into these buses) of each contribution to put in."""
        found: dict[str, tuple[bool, list[str]]] = {name: (True, []) for name in self.added}
        for bus, names in self.send_in.items():
            for name in names:
                found.setdefault(name, (False, []))[1].append(bus)
        return {name: (mix, tuple(buses)) for name, (mix, buses) in found.items()}

    @property
    def cost(self) -> int:
        """Track outputs to place (a track both leaving and entering counts twice)."""
        return len(self.outgoing()) + len(self.incoming())

    def keeps_send(self, bus: str) -> bool:
        """Whether the send sum made now for ``bus`` is worth keeping: made from no base, or
        from another version's send sum than the base's (a brief from this version would
        start there too, and move this change's senders as well as its own), or from
        silence with senders placed that the mix did not need (none was cached), or from the
        base's with more senders moved than writing it costs (``SEND_WRITE_PLACEMENTS``: a
        brief from this version that leaves those senders alone places each twice, out of
        the base's send sum and back in). Not kept, a brief from the same parent never
        misses it (it starts from the parent's too)."""
        source = self.send_from.get(bus)
        if self.base is None:
            return True
        if source is None:
            return self.send_extra.get(bus, 0) > 0
        if source.key != self.base.key:
            return True
        moved = set(self.send_out.get(bus, ())) | set(self.send_in.get(bus, ()))
        return 2 * len(moved) > SEND_WRITE_PLACEMENTS


def _identity(record: dict[str, Any]) -> str:
    return json.dumps(record, sort_keys=True)


def diff(target: Manifest, base: Manifest | None) -> MixDiff:
    """The contributions to take out of ``base``'s mix and put in to make ``target``'s
    (everything, when there is no base), and the buses whose return changes (their sends:
    ``choose_send_sources``)."""
    old_tracks = base.tracks if base is not None else {}
    old_buses = base.buses if base is not None else {}
    result = MixDiff(base=base)
    for name, record in old_tracks.items():
        if target.tracks.get(name, {}).get("place") != record["place"]:
            result.removed[name] = record
    result.added = [
        name
        for name, record in target.tracks.items()
        if old_tracks.get(name, {}).get("place") != record["place"]
    ]
    for bus, _ in BUSES:
        old = old_buses.get(bus, {})
        new = target.buses.get(bus, {})
        if (old.get("return"), old.get("delay")) != (new.get("return"), new.get("delay")):
            result.returns.append(bus)
    return result


def choose_send_sources(
    change: MixDiff,
    target: Manifest,
    *,
    runs: Iterable[str],
    sources: Mapping[str, Sequence[Manifest]],
) -> MixDiff:
    """For each bus in ``runs`` (run now: its new return is not cached), the send sum to
    start from: silence (every sender put in) or one of the manifests in ``sources[bus]``
    (their send sums of that bus are in the cache), whichever adds the fewest track outputs
    to place beyond the mix's own (a sender whose old and new settings leave and enter the
    mix anyway costs nothing more), then the base's, then the fewest senders moved. A render
    from no base starts from silence."""
    for bus in runs:
        senders = target.buses[bus]["senders"]
        options: list[Manifest | None] = [None]
        if change.base is not None:
            options += sources.get(bus, ())
        best = min(options, key=lambda source: _send_rank(change, bus, senders, source))
        change.send_from[bus] = best
        change.send_extra[bus] = _send_rank(change, bus, senders, best)[0]
        out, into = _moved(best.buses[bus]["senders"] if best is not None else {}, senders)
        if out:
            change.send_out[bus] = out
        if into:
            change.send_in[bus] = into
    return change


def _send_rank(
    change: MixDiff, bus: str, senders: Mapping[str, str], source: Manifest | None
) -> tuple[int, bool, int]:
    """(outputs placed beyond the mix's own, not the base's, senders moved) of starting
    ``bus``'s send from ``source`` (None: silence)."""
    old = source.buses[bus]["senders"] if source is not None else {}
    out, into = _moved(old, senders)
    extra = sum(
        1 for name in out if source is not None and source.tracks[name] != change.removed.get(name)
    )
    extra += sum(1 for name in into if name not in change.added)
    base = change.base.key if change.base is not None else None
    return extra, source is None or source.key != base, len(out) + len(into)


def _moved(old: Mapping[str, str], new: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """Senders to take out of a send sum made of ``old`` and to put in to make ``new``'s."""
    return (
        [n for n, k in old.items() if new.get(n) != k],
        [n for n, k in new.items() if old.get(n) != k],
    )


def read_manifests(folder: Path) -> list[Manifest]:
    found = []
    for path in sorted(folder.glob("mix-*.json")):
        try:
            manifest = Manifest.from_json(json.loads(path.read_text()))
        except (OSError, ValueError):
            continue
        if manifest is not None:
            found.append(manifest)
    return found


def mix_key(state: MixState, *, stem_keys: Mapping[str, str], sample_rate: int, frames: int) -> str:
    """The key of ``state``'s mix (what its cache file and manifest are named by)."""
    found = contributions(state, stem_keys=stem_keys, sample_rate=sample_rate)
    plans = bus_plans(state, found, sample_rate=sample_rate, frames=frames)
    return manifest_of(found, plans, frames=frames, rate=sample_rate).key
