"""What a producer checks after a brief, measured on the render: shared by the end-to-end
tests (tests/test_briefs_e2e.py, tests/test_brief_corpus.py) and the scorer
(bench/bench_briefs.py). The check kinds are the ones tests/briefs/README.md defines.

Each brief runs as one fresh version from the song's base version (the automix version):
``run_case(song, case)`` gives an ``Outcome`` with every check's verdict and what it
measured, the mix loudness drift, and whether the reply quoted what the brief named.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from mixchat.assistant.turn.conversation import handle_brief
from mixchat.dsp.loudness import integrated_lufs
from mixchat.dsp.masking import spectral_overlap
from mixchat.dsp.spectrum import mono_sum, power_spectrum, range_power
from mixchat.tools.engine import Engine
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
CORPUS_DIR = Path(__file__).resolve().parent / "briefs"
LOUDNESS_DRIFT_LU = 2.0  # the suite's bound for briefs that do not ask for level
SYNTHETIC_SONGS = ("song_1", "song_2", "demo")
ABSOLUTE = ("pan", "master")  # checks of where a setting ends, met when it is there already
DRUM_PARTS = ("kick", "snare", "hats", "toms", "overheads", "percussion")


@dataclass(frozen=True)
class Case:
    brief: str
    checks: tuple[tuple, ...]
    level: bool = False  # the brief asks for level: the mix loudness may move
    voice: str = ""
    songs: tuple[str, ...] | None = None  # None: every song

    @property
    def kinds(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(str(c[0]) for c in self.checks))


def load_corpus(name: str) -> list[Case]:
    """The briefs of tests/briefs/NAME.jsonl (one JSON object a line)."""
    path = CORPUS_DIR / f"{name}.jsonl"
    cases = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except ValueError as error:
            raise ValueError(f"{path}:{number}: not JSON ({error})") from None
        cases.append(
            Case(
                brief=row["brief"],
                checks=tuple(tuple(c) for c in row["checks"]),
                level=bool(row.get("level", False)),
                voice=str(row.get("voice", "")),
            )
        )
    return cases


# --- songs ---------------------------------------------------------------------------------
@dataclass
class Song:
    name: str
    session: Session
    engine: Engine
    base: int
    cache: dict[Any, Any] = field(default_factory=dict)

    @property
    def rate(self) -> int:
        return self.session.meta.sample_rate

    def base_version(self):
        key = ("version", self.base)
        if key not in self.cache:
            self.cache[key] = self.session.load(self.base)
        return self.cache[key]


def real_song_names() -> list[str]:
    folder = SHARED_DATA / "real"
    if not folder.exists():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "truth.json").exists())


def open_song(name: str, stems: Path, folder: Path) -> Song:
    from mixchat.assistant.turn.actions import run_automix

    session, _ = create_session(stems, folder / f"{name}.mix")
    truth = stems / "truth.json"
    if truth.exists() and name not in SYNTHETIC_SONGS:  # a real song: the roles it was sold with
        from mixchat.assistant.turn.actions import set_roles

        roles = json.loads(truth.read_text())["stems"]
        names = {s.name for s in session.meta.stems}
        pairs = [f"{Path(f).stem}={r}" for f, r in roles.items() if Path(f).stem in names]
        if pairs:
            set_roles(session, ", ".join(pairs), parent=0)
    base = run_automix(session).version
    song = Song(name, session, Engine.for_session(session), base)
    for bus in ("reverb", "delay"):  # read now: a long run's cache budget may evict the file
        return_db(song, song.base_version().metrics, bus)
    return song


def song_stems(name: str, folder: Path) -> Path | None:
    if name == "demo":
        from mixchat.assistant.demo.song import build_demo_stems

        return build_demo_stems(folder / "demo_stems", duration_s=30).stems_dir
    for path in (SHARED_DATA / "songs" / name, SHARED_DATA / "real" / name):
        if path.exists():
            return path
    return None


class Songs(dict):
    """Sessions by song name, each created (and automixed) the first time it is asked for;
    a song whose material is missing is skipped (pytest) or reported (bench)."""

    def __init__(self, folder: Path) -> None:
        super().__init__()
        self.folder = folder

    def __missing__(self, name: str) -> Song:
        stems = song_stems(name, self.folder)
        if stems is None:
            pytest.skip(f"{name} not available under {SHARED_DATA}")
        self[name] = open_song(name, stems, self.folder)
        return self[name]


# --- measures ------------------------------------------------------------------------------
def tracks_for(song: Song, role: str) -> list[str]:
    """The base version's tracks playing ``role``: a drum part falls back to a full-kit
    ``drums`` track, ``drums`` to the kit's parts, ``vocal`` to any vocal."""
    state = song.base_version().state
    tracks = state.audible_tracks()
    if role == "band":
        return [t.name for t in tracks if "vocal" not in t.role]
    hits = [t.name for t in tracks if t.role == role]
    if not hits and role == "vocal":
        hits = [t.name for t in tracks if "vocal" in t.role]
    if role == "drums":
        hits += [t.name for t in tracks if t.role in DRUM_PARTS]
    if not hits and role in DRUM_PARTS:
        hits = [t.name for t in tracks if t.role == "drums"][:1]
    return hits


CYMBAL_PARTS = ("hats", "overheads")
CYMBAL_BAND_HZ = (6000, 16000)
KIT_LOUDNESS_BOUND_LU = 1.0


def cymbals_in_kit(song: Song, role: str) -> bool:
    """``role`` is a cymbal part that only a full-kit ``drums`` stem carries in this song."""
    if role not in CYMBAL_PARTS:
        return False
    state = song.base_version().state
    names = tracks_for(song, role)
    return bool(names) and all(state.track(n).role == "drums" for n in names)


def power_sum_db(values: list[float]) -> float:
    total = sum(10 ** (v / 10) for v in values if v > -119)
    return 10 * math.log10(total) if total > 0 else -120.0


def group_vs_rest(metrics: dict[str, Any], names: list[str]) -> float:
    tracks = metrics["tracks"]
    inside = power_sum_db([t["lufs"] for n, t in tracks.items() if n in names])
    rest = power_sum_db([t["lufs"] for n, t in tracks.items() if n not in names])
    return inside - rest


def version_of(song: Song, number: int):
    key = ("version", number)
    if key not in song.cache:
        song.cache[key] = song.session.load(number)
    return song.cache[key]


def mix_band_share_db(song: Song, version: int, low_hz: float, high_hz: float) -> float:
    key = ("spectrum", version)
    if key not in song.cache:
        rendered = song.engine.render(version_of(song, version).state)
        song.cache[key] = power_spectrum(mono_sum(rendered.audio), sample_rate=song.rate)
    freqs, psd = song.cache[key]
    total = range_power(freqs, psd, 20.0, 20000.0)
    return 10 * math.log10(max(range_power(freqs, psd, low_hz, high_hz), 1e-30) / total)


def band_share(metrics: dict[str, Any], bands: tuple[str, ...]) -> float:
    energies = metrics["mix"]["band_energies_db"]
    return power_sum_db([energies[b] for b in bands]) - power_sum_db(list(energies.values()))


def post_fader(song: Song, state, name: str) -> np.ndarray:
    track = state.track(name)
    return song.engine.insert_output(track) * np.float32(10 ** (track.gain_db / 20))


def overlap(song: Song, version: int, a: str, b: str) -> float:
    key = ("overlap", version, a, b)
    if key not in song.cache:
        state = version_of(song, version).state
        song.cache[key] = spectral_overlap(
            post_fader(song, state, a), post_fader(song, state, b), sample_rate=song.rate
        )
    return song.cache[key]


def track_range_db(song: Song, version: int, names: list[str], low_hz: float, high_hz: float):
    """The tracks' own level (after their inserts, before the fader) in low..high Hz."""
    state = version_of(song, version).state
    levels = []
    for name in names:
        track = state.track(name)
        key = ("range", track.model_dump_json(exclude={"gain_db", "pan", "width"}), low_hz, high_hz)
        if key not in song.cache:
            audio = song.engine.insert_output(track)
            freqs, psd = power_spectrum(mono_sum(audio), sample_rate=song.rate)
            song.cache[key] = 10 * math.log10(max(range_power(freqs, psd, low_hz, high_hz), 1e-30))
        levels.append(song.cache[key])
    return power_sum_db(levels)


def section_rows(metrics: dict[str, Any], label: str) -> list[dict[str, Any]]:
    return [s for s in metrics["sections"] if s["label"] == label]


def contrast(metrics: dict[str, Any], label: str) -> float:
    inside = [s["lufs"] for s in metrics["sections"] if s["label"] == label and s["lufs"] > -70]
    outside = [s["lufs"] for s in metrics["sections"] if s["label"] != label and s["lufs"] > -70]
    return float(np.mean(inside) - np.mean(outside))


def track_section_lufs(song: Song, state, name: str, label: str) -> float:
    """A track's loudness over the sections labelled ``label``, after fader and automation."""
    track = state.track(name)
    levels = []
    for section in [s for s in song.session.meta.sections if s.label == label]:
        key = ("insert_lufs", name, section.start_s, hash(track.model_dump_json()))
        if key not in song.cache:
            audio = song.engine.insert_output(track)
            a, b = int(section.start_s * song.rate), int(section.end_s * song.rate)
            song.cache[key] = integrated_lufs(np.asarray(audio[:, a:b]), sample_rate=song.rate)
        offset = sum(
            x.gain_db
            for x in state.automation
            if x.track in (name, None) and x.start_s < section.end_s and x.end_s > section.start_s
        )
        levels.append(song.cache[key] + track.gain_db + offset)
    return float(np.mean(levels))


def section_vs_rest(song: Song, version: int, names: list[str], label: str) -> float:
    state = version_of(song, version).state
    inside = power_sum_db([track_section_lufs(song, state, n, label) for n in names])
    rest = power_sum_db(
        [
            track_section_lufs(song, state, t.name, label)
            for t in state.audible_tracks()
            if t.name not in names
        ]
    )
    return inside - rest


def send_db(state, names: list[str], bus: str = "reverb") -> float:
    """The power sum of the tracks' sends to ``bus`` (an absent send is silence)."""
    return power_sum_db([getattr(state.track(n), f"{bus}_send_db") or -120.0 for n in names if n])


def return_db(song: Song, metrics: dict[str, Any], bus: str = "reverb") -> float:
    """The bus return's level in the render ``metrics`` describe, kept per render file (the
    session's cache budget may evict the file later in a long run)."""
    key = ("return", bus, metrics.get("bus_files", {}).get(bus), metrics.get("fader_shift_db"))
    if key[2] is not None and key in song.cache:
        return song.cache[key]
    value = song.engine.bus_return_db(metrics, bus)
    level = -120.0 if value is None or not math.isfinite(value) else float(value)
    if key[2] is not None and value is not None:
        song.cache[key] = level
    return level


SILENT_DB = -100.0


def at_floor(song: Song, spec: tuple, base) -> bool:
    """A "less reverb" check on a song whose reverb is off already (nothing to take down)."""
    if spec[0] != "reverb" or spec[-1] >= 0:
        return False
    if spec[1] is None:
        return return_db(song, base.metrics) <= SILENT_DB
    return send_db(base.state, tracks_for(song, spec[1])) <= SILENT_DB


def mean_pan(state, names: list[str]) -> float:
    return float(np.mean([state.track(n).pan for n in names]))


# --- checks --------------------------------------------------------------------------------
@dataclass
class Judged:
    kind: str
    passed: bool
    note: str
    skipped: bool = False


def _roles_in(spec: tuple) -> list[str]:
    kind = spec[0]
    if kind in ("level", "track_band", "pan", "crest", "section_level"):
        return [spec[1]]
    if kind == "reverb" and spec[1] is not None:
        return [spec[1]]
    if kind == "overlap":
        return [spec[1], spec[2]]
    return []


def _section_in(spec: tuple) -> str | None:
    if spec[0] in ("contrast", "section_last", "section"):
        return spec[1]
    if spec[0] == "section_level":
        return spec[2]
    return None


def skip_reason(song: Song, spec: tuple) -> str:
    """Why ``spec`` cannot be judged on this song ('' when it can)."""
    for role in _roles_in(spec):
        if not tracks_for(song, role):
            return f"no {role}"
    if spec[0] == "overlap" and tracks_for(song, spec[1])[:1] == tracks_for(song, spec[2])[:1]:
        return "the pair is one track here"
    label = _section_in(spec)
    labels = [s.label for s in song.session.meta.sections]
    if label is not None and label not in labels:
        return f"no {label}"
    if label is not None and labels.count(label) == len(labels):
        return f"only {label}"
    if spec[0] == "section" and labels.count(spec[1]) < spec[2]:
        return f"no {spec[1]} {spec[2]}"
    return ""


def _pct(old: float, new: float) -> float:
    return 100.0 * (new / old - 1.0) if old else 0.0


def multi_dimensions(song: Song, before: dict, after: dict, version: int) -> list[str]:
    """The dimensions of a mood move that moved: centroid >= 3 %, width >= 1 dB, reverb
    return >= 1 dB, mix crest >= 0.5 dB, low-end share >= 0.5 dB, saturation or transients."""
    moved = []
    mix_a, mix_b = before["mix"], after["mix"]
    if abs(_pct(mix_a["spectral_centroid_hz"], mix_b["spectral_centroid_hz"])) >= 3.0:
        moved.append("centroid")
    if abs(mix_b["side_mid_ratio_db"] - mix_a["side_mid_ratio_db"]) >= 1.0:
        moved.append("width")
    if abs(return_db(song, after) - return_db(song, before)) >= 1.0:
        moved.append("reverb")
    if abs(mix_b["crest_factor_db"] - mix_a["crest_factor_db"]) >= 0.5:
        moved.append("crest")
    if abs(band_share(after, ("sub", "low")) - band_share(before, ("sub", "low"))) >= 0.5:
        moved.append("low end")
    old, new = song.base_version().state, version_of(song, version).state
    if any(
        (a.saturation, a.transient) != (b.saturation, b.transient)
        for a, b in zip(old.tracks, new.tracks)
    ):
        moved.append("saturation/transients")
    return moved


def check(song: Song, spec: tuple, before: dict, after: dict, version: int) -> tuple[bool, str]:
    kind = spec[0]
    base = song.base
    if kind == "centroid":
        old, new = before["mix"]["spectral_centroid_hz"], after["mix"]["spectral_centroid_hz"]
        change = _pct(old, new)
        return change * spec[1] >= 8.0, f"centroid {old:.0f}→{new:.0f} Hz ({change:+.1f}%)"
    if kind == "band_hz":
        old = mix_band_share_db(song, base, spec[1], spec[2])
        new = mix_band_share_db(song, version, spec[1], spec[2])
        return (new - old) * spec[3] >= 1.0, f"{spec[1]}-{spec[2]} Hz share {old:.1f}→{new:.1f} dB"
    if kind in ("band", "low_end"):
        bands = (spec[1],) if kind == "band" else ("sub", "low")
        old, new = band_share(before, bands), band_share(after, bands)
        return (new - old) * spec[-1] >= 1.0, f"{'+'.join(bands)} share {old:.1f}→{new:.1f} dB"
    if kind == "level" and cymbals_in_kit(song, spec[1]):
        # the cymbals of a full-kit stem are its top octaves: the kit's 6-16 kHz moves, and
        # the kit's own loudness stays within a dB
        band = ("track_band", spec[1], *CYMBAL_BAND_HZ, spec[2])
        ok, note = check(song, band, before, after, version)
        names = tracks_for(song, spec[1])
        kit = power_sum_db([after["tracks"][n]["lufs"] for n in names]) - power_sum_db(
            [before["tracks"][n]["lufs"] for n in names]
        )
        return ok and abs(kit) <= KIT_LOUDNESS_BOUND_LU, f"{note}; kit {kit:+.1f} LU"
    if kind == "level":
        names = tracks_for(song, spec[1])
        old, new = group_vs_rest(before, names), group_vs_rest(after, names)
        delta = new - old
        if len(spec) > 3 and spec[3] is not None:
            ok = abs(delta - spec[2] * spec[3]) <= 0.5
        else:
            ok = delta * spec[2] >= 1.5
        return ok, f"{spec[1]} vs rest {old:+.1f}→{new:+.1f} LU"
    if kind == "track_band":
        names = tracks_for(song, spec[1])
        old = track_range_db(song, base, names, spec[2], spec[3])
        new = track_range_db(song, version, names, spec[2], spec[3])
        return (new - old) * spec[4] >= 1.5, (
            f"{spec[1]} {spec[2]}-{spec[3]} Hz {old:.1f}→{new:.1f} dB"
        )
    if kind == "pan":
        names = tracks_for(song, spec[1])
        old = mean_pan(song.base_version().state, names)
        new = mean_pan(version_of(song, version).state, names)
        toward = -new if spec[2] == "left" else new
        return toward >= spec[3], f"{spec[1]} pan {old:+.2f}→{new:+.2f}"
    if kind == "width":
        old, new = before["mix"]["side_mid_ratio_db"], after["mix"]["side_mid_ratio_db"]
        return (new - old) * spec[1] >= 2.0, f"side/mid {old:.1f}→{new:.1f} dB"
    if kind == "reverb":
        if spec[1] is None:
            old, new = return_db(song, before), return_db(song, after)
            what = "reverb return"
        else:
            names = tracks_for(song, spec[1])
            old = send_db(song.base_version().state, names)
            new = send_db(version_of(song, version).state, names)
            what = f"{spec[1]} reverb send"
        return (new - old) * spec[2] >= 2.0, f"{what} {old:.1f}→{new:.1f} dB"
    if kind == "crest":
        names = tracks_for(song, spec[1])
        old = float(np.mean([before["tracks"][n]["crest_factor_db"] for n in names]))
        new = float(np.mean([after["tracks"][n]["crest_factor_db"] for n in names]))
        return (new - old) * spec[2] >= 0.5, f"{spec[1]} crest {old:.1f}→{new:.1f} dB"
    if kind == "mix_crest":
        old, new = before["mix"]["crest_factor_db"], after["mix"]["crest_factor_db"]
        return (new - old) * spec[1] >= 0.5, f"mix crest {old:.1f}→{new:.1f} dB"
    if kind == "contrast":
        old, new = contrast(before, spec[1]), contrast(after, spec[1])
        return (new - old) * spec[2] >= 1.0, f"{spec[1]} contrast {old:+.1f}→{new:+.1f} LU"
    if kind in ("section_last", "section"):
        index = -1 if kind == "section_last" else spec[2] - 1
        rows_old, rows_new = section_rows(before, spec[1]), section_rows(after, spec[1])
        old, new = rows_old[index]["lufs"], rows_new[index]["lufs"]
        return abs(new - old - spec[-1]) <= 0.5, f"{spec[1]} {old:.1f}→{new:.1f} LUFS"
    if kind == "section_level":
        names = tracks_for(song, spec[1])
        old = section_vs_rest(song, base, names, spec[2])
        new = section_vs_rest(song, version, names, spec[2])
        return (new - old) * spec[3] >= 1.5, f"{spec[1]} vs rest in {spec[2]} {old:+.1f}→{new:+.1f}"
    if kind == "overlap":
        a, b = tracks_for(song, spec[1])[0], tracks_for(song, spec[2])[0]
        old, new = overlap(song, base, a, b), overlap(song, version, a, b)
        return new <= 0.9 * old, f"overlap {a}/{b} {old:.3f}→{new:.3f}"
    if kind == "master":
        lufs, peak = after["mix"]["integrated_lufs"], after["mix"]["true_peak_dbtp"]
        ok = abs(lufs - spec[1]) <= 0.5 and peak <= spec[2] + 0.05
        return ok, f"master {lufs:.1f} LUFS, {peak:.2f} dBTP"
    if kind == "multi":
        moved = multi_dimensions(song, before, after, version)
        return len(moved) >= spec[1], f"moved {len(moved)}: {', '.join(moved) or 'nothing'}"
    if kind == "unsure":
        mix_a, mix_b = before["mix"], after["mix"]
        c = _pct(mix_a["spectral_centroid_hz"], mix_b["spectral_centroid_hz"])
        loud = mix_b["integrated_lufs"] - mix_a["integrated_lufs"]
        width = mix_b["side_mid_ratio_db"] - mix_a["side_mid_ratio_db"]
        ok = abs(c) < 5.0 and abs(loud) < 1.0 and abs(width) < 1.0
        return ok, f"small move? centroid {c:+.1f}%, loudness {loud:+.1f} LU, width {width:+.1f} dB"
    raise ValueError(f"unknown check kind {kind!r}")


# --- the reply -----------------------------------------------------------------------------
QUOTED_LABELS = {
    "centroid": ("spectral centroid",),
    "band_hz": ("share",),
    "band": ("share",),
    "low_end": ("share", "low"),
    "level": ("vs the rest",),
    "track_band": ("level",),
    "pan": ("pan",),
    "width": ("side/mid",),
    "reverb": ("reverb",),
    "crest": ("crest",),
    "mix_crest": ("crest",),
    "contrast": ("vs the rest of the song",),
    "section_last": ("LUFS", "vs the rest"),
    "section": ("LUFS", "vs the rest"),
    "section_level": ("vs the rest",),
    "overlap": ("overlap",),
    "master": ("true peak", "loudness"),
    "multi": ("→",),
}


def quotes_measures(reply: str, kinds: tuple[str, ...]) -> bool:
    """True when the reply's measured line quotes a before → after of each kind of check."""
    measured = [line for line in reply.splitlines() if "→" in line and "before → after" in line]
    if not measured:
        return False
    text = measured[-1]
    return all(
        any(word in text for word in QUOTED_LABELS.get(kind, ("→",)))
        for kind in kinds
        if kind not in ("unsure", "nothing")
    )


# --- one brief ------------------------------------------------------------------------------
@dataclass
class Outcome:
    passed: bool
    detail: str
    judged: list[Judged] = field(default_factory=list)
    drift_lu: float | None = None
    changed: bool = False
    quoted: bool | None = None  # None: nothing changed, so nothing to quote
    skipped: bool = False
    tools: tuple[str, ...] = ()  # the tools the brief's version called, in order


def run_case(song: Song, case: Case) -> Outcome:
    """The brief as one fresh version from the song's base, judged on its render."""
    reasons = {i: skip_reason(song, spec) for i, spec in enumerate(case.checks)}
    live = [spec for i, spec in enumerate(case.checks) if not reasons[i]]
    if not live:
        return Outcome(True, "skipped: " + "; ".join(reasons.values()), skipped=True)
    result = handle_brief(song.session, case.brief, parent=song.base)
    base = song.base_version()
    kinds = tuple(
        "track_band" if spec[0] == "level" and cymbals_in_kit(song, spec[1]) else str(spec[0])
        for spec in live
    )
    if result.version is None:  # a question back, or "it is that way already"
        judged = []
        for spec in live:
            kind = str(spec[0])
            held = (
                kind in ABSOLUTE and check(song, spec, base.metrics, base.metrics, song.base)[0]
            ) or at_floor(song, spec, base)
            judged.append(Judged(kind, kind in ("nothing", "unsure") or held, "no version"))
        ok = all(j.passed for j in judged)
        return Outcome(ok, "no version: " + result.reply[:160].replace("\n", " "), judged)
    made = song.session.load(result.version)
    changed = made.state != base.state
    after = made.metrics
    judged = []
    for spec in live:
        if spec[0] == "nothing":
            judged.append(
                Judged("nothing", not changed, "same state" if not changed else "changed")
            )
            continue
        if not changed:
            judged.append(Judged(str(spec[0]), spec[0] == "unsure", "same state"))
            continue
        passed, note = check(song, spec, base.metrics, after, result.version)
        if not passed and at_floor(song, spec, base) and at_floor(song, spec, made):
            passed, note = True, f"{note} (off before and after: nothing to take down)"
        judged.append(Judged(str(spec[0]), passed, note))
    drift = after["mix"]["integrated_lufs"] - base.metrics["mix"]["integrated_lufs"]
    notes = [j.note + ("" if j.passed else " FAIL") for j in judged]
    ok = all(j.passed for j in judged)
    if not case.level and abs(drift) > LOUDNESS_DRIFT_LU:
        ok = False
        notes.append(f"loudness moved {drift:+.1f} LU FAIL")
    quoted = quotes_measures(result.reply, kinds) if changed else None
    tools = tuple(c.tool for c in result.tool_calls)
    return Outcome(
        ok, "; ".join(notes), judged, drift_lu=drift, changed=changed, quoted=quoted, tools=tools
    )


# --- follow-ups: halfway back and undo after every kind of move ---------------------------------
def scalar(song: Song, spec: tuple, version: int) -> float:
    """The number a check reads, on one version (for the follow-up harness)."""
    kind = spec[0]
    metrics = version_of(song, version).metrics
    state = version_of(song, version).state
    if kind == "centroid":
        return float(metrics["mix"]["spectral_centroid_hz"])
    if kind == "band_hz":
        return mix_band_share_db(song, version, spec[1], spec[2])
    if kind in ("band", "low_end"):
        return band_share(metrics, (spec[1],) if kind == "band" else ("sub", "low"))
    if kind == "level":
        return group_vs_rest(metrics, tracks_for(song, spec[1]))
    if kind == "track_band":
        return track_range_db(song, version, tracks_for(song, spec[1]), spec[2], spec[3])
    if kind == "pan":
        return mean_pan(state, tracks_for(song, spec[1]))
    if kind == "width":
        return float(metrics["mix"]["side_mid_ratio_db"])
    if kind == "reverb":
        if spec[1] is None:
            return 10 ** (return_db(song, metrics) / 20)  # linear: a send from silence halves
        return 10 ** (send_db(state, tracks_for(song, spec[1])) / 20)
    if kind == "crest":
        names = tracks_for(song, spec[1])
        return float(np.mean([metrics["tracks"][n]["crest_factor_db"] for n in names]))
    if kind == "mix_crest":
        return float(metrics["mix"]["crest_factor_db"])
    if kind == "contrast":
        return contrast(metrics, spec[1])
    if kind == "overlap":
        a, b = tracks_for(song, spec[1])[0], tracks_for(song, spec[2])[0]
        return overlap(song, version, a, b)
    if kind == "room":
        return float(state.reverb.room_size)
    raise ValueError(f"no scalar for check kind {kind!r}")


@dataclass
class FollowUp:
    brief: str
    kind: str
    start: float
    moved: float
    half: float
    undo_exact: bool
    halfway_ok: bool
    labels_kept: bool

    @property
    def error(self) -> float:
        """How far halfway landed from the midpoint, as a share of the move."""
        span = self.moved - self.start
        return abs(self.half - (self.start + self.moved) / 2) / abs(span) if span else 0.0


def run_followups(song: Song, brief: str, spec: tuple) -> FollowUp | None:
    """The brief from the base, then "too much, go halfway back" and, from the brief's
    version, "undo that": halfway must land within 15 % of the midpoint of the measure, the
    undo on the base's exact state, and section labels must survive the halfway."""
    first = handle_brief(song.session, brief, parent=song.base)
    if first.version is None:
        return None
    half = handle_brief(song.session, "too much, go halfway back", parent=first.version)
    undo = handle_brief(song.session, "undo that", parent=first.version)
    start, moved = scalar(song, spec, song.base), scalar(song, spec, first.version)
    middle = scalar(song, spec, half.version) if half.version is not None else moved
    undone = version_of(song, undo.version).state if undo.version is not None else None
    labels = {(a.track, a.label) for a in version_of(song, first.version).state.automation}
    kept = half.version is None or labels <= {
        (a.track, a.label) for a in version_of(song, half.version).state.automation
    }
    result = FollowUp(
        brief=brief,
        kind=str(spec[0]),
        start=start,
        moved=moved,
        half=middle,
        undo_exact=undone == song.base_version().state,
        halfway_ok=False,
        labels_kept=kept,
    )
    result.halfway_ok = half.version is not None and result.error <= 0.15
    return result


FOLLOWUP_BRIEFS: tuple[tuple[str, tuple], ...] = (
    ("make it darker", ("centroid", -1)),
    ("way too muddy", ("band_hz", 200, 500, -1)),
    ("the bass is too boomy", ("track_band", "bass", 40, 200, -1)),
    ("high pass the guitar at 150 Hz", ("track_band", "guitar", 20, 120, -1)),
    ("bring the vocal up 3 dB", ("level", "vocal", 1, 3.0)),
    ("pan the keys to the left", ("pan", "keys", "left", 0.45)),
    ("make it wider", ("width", 1)),
    ("more reverb on the vocal", ("reverb", "vocal", 1)),
    ("longer reverb", ("room",)),
    ("the drums need more punch", ("crest", "drums", 1)),
    ("compress the bass harder", ("crest", "bass", -1)),
    ("saturate the bass", ("crest", "bass", -1)),
    ("glue the mix together", ("mix_crest", -1)),
    ("make the choruses louder", ("contrast", "chorus", 1)),
    ("the kick and bass are fighting", ("overlap", "kick", "bass")),
    ("make it dreamy", ("reverb", None, 1)),
    ("the esses are killing me", ("track_band", "vocal", 5000, 9000, -1)),
)
