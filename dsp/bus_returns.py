"""Bus returns (reverb, delay) from cached parts, so fader and send moves never re-run a bus.

Both buses are linear and time-invariant (checked in tests/test_render.py): the return of a
sum of inputs is the sum of the returns. pedalboard's Reverb (100 % wet) hears only L + R of
its input, and the delay bus filters each channel alike, so it commutes with any 2x2 mix. A
sending track's share of a bus is therefore ``coef x basis``:

* reverb: basis = board([e * (L + R), 0]) ("sum"; a mono track: "mono") and, when the track
  is panned off centre, board([e * (L - R), 0]) ("diff"); coef = fader x send x the column
  sums of its pan/width matrix (a scalar);
* delay: basis = board(e * x) per channel ("chan"); coef = fader x send x the pan/width
  matrix (2 x channels),

with ``e`` the track's send-path automation envelope (its gain automation plus the send's own
and the mix bus's send automation) and ``x`` its insert output. A *term* names a basis by a
hash of its recipe (stem or insert cache key, kind, envelope entries, bus settings) and holds
the coef.

Bases are cached (``basis-*.npy``) and a bus return is the sum of coef x basis over its
terms, always in the same order (so cached and fresh renders agree bit for bit); the whole
return is cached too (``bus-*.npy``, keyed by its terms) for an exact repeat. A fader, send or
pan move on a sending track therefore runs no bus at all, an insert or automation change
runs only that track's basis (silent stretches are skipped once the tail has died away),
and a first render runs one basis per sending track (two threads).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from dsp.audio_io import npy_block_writer, open_npy, release_pages
from dsp.automation import db_to_gain, gain_envelope_db
from dsp.panning import placement_matrix
from dsp.processors import bus_board
from dsp.state import MixState, SectionAutomation, TrackState, build

RUN_BLOCK = 1 << 17  # samples per bus call when building a return
QUIET_PEAK = 1e-7  # a tail below this (-140 dBFS) counts as died away


@dataclass(frozen=True)
class Term:
    key: str
    track: str
    kind: str  # mono | sum | diff (reverb, fed into the left input) | chan (delay)
    source: str  # the track's insert cache key, or "stem:<stem key>" for a passthrough
    gain_automation: tuple[dict, ...]
    send_automation: tuple[dict, ...]
    coef: tuple[float, ...]

    def record(self) -> dict:
        return {
            "key": self.key,
            "track": self.track,
            "kind": self.kind,
            "source": self.source,
            "gain_automation": list(self.gain_automation),
            "send_automation": list(self.send_automation),
            "coef": list(self.coef),
        }

    @classmethod
    def from_record(cls, data: dict) -> Term:
        return cls(
            key=data["key"],
            track=data["track"],
            kind=data["kind"],
            source=data["source"],
            gain_automation=tuple(data["gain_automation"]),
            send_automation=tuple(data["send_automation"]),
            coef=tuple(float(c) for c in data["coef"]),
        )


def _digest(payload: object) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def bus_settings(state: MixState, bus: str, *, sample_rate: int, frames: int) -> dict:
    return {
        "bus": bus,
        "rate": sample_rate,
        "frames": frames,
        "settings": getattr(state, bus).model_dump(mode="json"),
    }


def track_terms(
    state: MixState, track: TrackState, *, bus: str, source: str, channels: int, settings: dict
) -> list[Term]:
    """The terms of one sending track on ``bus`` (empty when it does not send there)."""
    send_field = f"{bus}_send_db"
    send_db = getattr(track, send_field)
    if send_db is None:
        return []
    gains = tuple(
        a.model_dump(mode="json")
        for a in state.automation
        if a.track == track.name and a.gain_db != 0.0
    )
    sends = tuple(
        a.model_dump(mode="json")
        for a in state.automation
        if a.track in (track.name, None) and getattr(a, send_field) != 0.0
    )
    scale = 10.0 ** ((track.gain_db + send_db) / 20.0)
    matrix = scale * placement_matrix(pan=track.pan, width=track.width, channels=channels)
    if bus == "reverb":
        columns = matrix.sum(axis=0)
        if channels == 1:
            parts = [("mono", float(columns[0]))]
        else:
            parts = [("sum", float(columns[0] + columns[1]) / 2.0)]
            if columns[0] != columns[1]:
                parts.append(("diff", float(columns[0] - columns[1]) / 2.0))
        coefs = [(kind, (value,)) for kind, value in parts]
    else:
        coefs = [("chan", tuple(float(v) for v in matrix.ravel()))]
    recipe = {**settings, "source": source, "gains": gains, "sends": sends, "send": send_field}
    return [
        Term(
            key=_digest({**recipe, "kind": kind}),
            track=track.name,
            kind=kind,
            source=source,
            gain_automation=gains,
            send_automation=sends,
            coef=coef,
        )
        for kind, coef in coefs
    ]


def envelope(term: Term, *, bus: str, start: int, frames: int, sample_rate: int):
    """The term's send-path gain for samples start .. start+frames (None: unity)."""
    total = None
    send_field = f"{bus}_send_db"
    entries = [
        (term.gain_automation, term.track, "gain_db"),
        (term.send_automation, term.track, send_field),
        (term.send_automation, None, send_field),
    ]
    for items, owner, field_name in entries:
        if not items:
            continue
        models = [build(SectionAutomation, item) for item in items]
        env = gain_envelope_db(
            models,
            track=owner,
            frames=frames,
            sample_rate=sample_rate,
            field=field_name,
            start=start,
        )
        if env is not None:
            total = env if total is None else total + env
    return None if total is None else db_to_gain(total)


def basis_input(term: Term, audio: np.ndarray, *, bus: str, start: int, stop: int, rate: int):
    """The bus input of the term's basis for samples start .. stop: (2, k) for the reverb
    (the signal in the left channel), (channels, k) for the delay."""
    rows = np.zeros((audio.shape[0], stop - start), dtype=np.float32)
    have = max(0, min(stop, audio.shape[1]) - start)
    rows[:, :have] = audio[:, start : start + have]
    gain = envelope(term, bus=bus, start=start, frames=stop - start, sample_rate=rate)
    if term.kind == "chan":
        return rows * gain if gain is not None else rows
    if term.kind == "mono":
        signal = rows[0].copy()
    elif term.kind == "sum":
        signal = rows[0] + rows[1]
    else:
        signal = rows[0] - rows[1]
    if gain is not None:
        signal *= gain
    return np.stack([signal, np.zeros_like(signal)])


def add_contribution(dest: np.ndarray, coef: tuple[float, ...], basis: np.ndarray) -> None:
    """``dest (2, k) += coef x basis`` (a scalar for reverb bases, a 2 x ch matrix for delay)."""
    if len(coef) == 1:
        dest += np.float32(coef[0]) * np.asarray(basis, dtype=np.float32)
        return
    channels = basis.shape[0]
    matrix = np.asarray(coef, dtype=np.float32).reshape(2, channels)
    for out_row in range(2):
        for in_row in range(channels):
            if matrix[out_row, in_row] != 0.0:
                dest[out_row] += matrix[out_row, in_row] * np.asarray(basis[in_row])


def run_bus(state: MixState, bus: str, feed, *, frames: int, sample_rate: int, channels: int):
    """Run the bus over ``feed(start, stop) -> (channels, k) or None`` (None: silence) and
    return the (channels, frames) output; silent stretches are skipped once the tail is
    below QUIET_PEAK (the board then restarts from a reset state)."""
    board = bus_board(state, bus)
    out = np.zeros((channels, frames), dtype=np.float32)
    live = False
    for start in range(0, frames, RUN_BLOCK):
        stop = min(start + RUN_BLOCK, frames)
        block = feed(start, stop)
        silent = block is None or not np.any(block)
        if silent and not live:
            continue
        if block is None:
            block = np.zeros((channels, stop - start), dtype=np.float32)
        result = board.process(block, sample_rate, reset=not live)
        out[:, start:stop] = result
        live = not silent or float(np.max(np.abs(result))) >= QUIET_PEAK
    return out


@dataclass
class BusPlan:
    """One bus return: a cached whole return (``exact``), else the sum, in ``terms`` order,
    of each term's coef x basis, the bases in ``to_run`` being run first."""

    bus: str
    terms: list[Term]
    key: str
    exact: Path | None
    to_run: list[Term]


def plan_bus(terms: list[Term], *, bus: str, settings: dict, cache: Path | None) -> BusPlan:
    key = _digest({**settings, "terms": [(t.key, t.coef) for t in terms]})
    if cache is None:
        return BusPlan(bus, terms, key, None, _unique(terms))
    exact = cache / f"bus-{bus}-{key}.npy"
    if exact.exists():
        return BusPlan(bus, terms, key, exact, [])
    missing = [t for t in terms if not (cache / f"basis-{bus}-{t.key}.npy").exists()]
    return BusPlan(bus, terms, key, None, _unique(missing))


def _unique(terms: list[Term]) -> list[Term]:
    return list({t.key: t for t in terms}.values())


def _open_basis(path: Path, frames: int) -> np.ndarray | None:
    for channels in (2, 1):
        array = open_npy(path, shape=(channels, frames))
        if array is not None:
            with suppress(OSError):
                os.utime(path)  # recently used, for prune_cache
            return array
    return None


def _save_npy(path: Path, audio: np.ndarray) -> None:
    with npy_block_writer(path, shape=audio.shape) as put:
        put(0, audio)


def _run_basis(term: Term, state: MixState, bus: str, audio: np.ndarray, frames: int, rate: int):
    channels = audio.shape[0] if term.kind == "chan" else 2
    return run_bus(
        state,
        bus,
        lambda a, b: basis_input(term, audio, bus=bus, start=a, stop=b, rate=rate),
        frames=frames,
        sample_rate=rate,
        channels=channels,
    )


def build_return(
    plan: BusPlan,
    state: MixState,
    *,
    sources: Mapping[str, np.ndarray],
    frames: int,
    sample_rate: int,
    cache: Path | None,
) -> np.ndarray:
    """The (2, frames) bus return of ``plan``; new bases and the return are cached when
    ``cache`` is set. ``sources`` maps the source key of each term to run to its audio.
    The sum always runs in the same order over the same bases, so a return built from
    cached bases equals one built from scratch, bit for bit."""
    bus = plan.bus
    if plan.exact is not None:
        return np.load(plan.exact, mmap_mode="r")
    fresh: dict[str, np.ndarray] = {}

    def run(term: Term) -> None:
        basis = _run_basis(term, state, bus, sources[term.source], frames, sample_rate)
        if cache is None:
            fresh[term.key] = basis
        else:
            _save_npy(cache / f"basis-{bus}-{term.key}.npy", basis)

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(run, plan.to_run))
    out = np.zeros((2, frames), dtype=np.float32)
    for term in plan.terms:
        basis = fresh.get(term.key)
        if basis is None:
            basis = _open_basis(cache / f"basis-{bus}-{term.key}.npy", frames)
        add_contribution(out, term.coef, basis)
        release_pages(basis)
    if cache is not None:
        _save_npy(cache / f"bus-{bus}-{plan.key}.npy", out)
    return out
