"""Render benchmark: an 8-stem, 4-minute session at 44.1 kHz.

Prints the bare pedalboard chain time (the same plugins on whole arrays + a numpy sum, no
cache, no blocks), our first render and its ratio to that (aim <= 1.5x), re-renders after a
one-track EQ change (aim <= 25% of the first render) and after a fader-only change, and the
peak memory (aim < 2 GB). Stems are song_1 looped to 4 minutes plus a second drum stem, or
synthetic noise bursts when ../shared/data is absent.

The default session gives every track the same chain (HPF, three EQ bands, compressor) and
five tracks sends. ``--session automix`` renders instead what mixchat itself makes of those
stems: bench_brief's 4-minute song_1 session after ``automix`` (lighter chains, section
automation, sends on seven of eight tracks). The bare chain leaves out what pedalboard has no
plugin for (transient shaper, automation), so its ratio is the harder one for us.

Run: .venv/bin/python bench/bench_render.py [--minutes 4] [--repeats 3] [--session automix]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pedalboard as pb

ROOT = Path(__file__).resolve().parents[1]

from mixchat.dsp.allocator import keep_block_buffers  # noqa: E402
from mixchat.dsp.audio_io import file_sha256, load_stems  # noqa: E402
from mixchat.dsp.panning import pan_gains, stereo_width  # noqa: E402
from mixchat.dsp.processors import (  # noqa: E402
    PEDALBOARD_BUFFER_FRAMES,
    delay_effect,
    pre_delay_frames,
    reverb_effect,
    track_insert_board,
)
from mixchat.dsp.render import StemSource, render_mix  # noqa: E402
from mixchat.dsp.state import Compressor, EqBand, MixState, TrackState  # noqa: E402

SAMPLE_RATE = 44100
SONG = ROOT.parent / "shared" / "data" / "songs" / "song_1"
SEND_ROLES = {
    "vocal": (-12.0, -18.0),
    "keys": (-16.0, None),
    "guitar": (-18.0, -22.0),
    "pad": (-14.0, None),
    "lead": (-14.0, -20.0),
}
PANS = {"guitar": -0.4, "keys": 0.35, "pad": 0.0, "lead": 0.2, "drums_room": 0.0}


def _looped(audio: np.ndarray, frames: int) -> np.ndarray:
    reps = -(-frames // audio.shape[1])
    return np.tile(audio, (1, reps))[:, :frames]


def _source_audio(frames: int) -> list[tuple[str, str, np.ndarray]]:
    if SONG.is_dir():
        paths = sorted(SONG.glob("*.flac"))
        stems, _, _ = load_stems(paths, sample_rate=SAMPLE_RATE)
        truth = json.loads((SONG / "truth.json").read_text())["stems"]
        roles = [truth.get(f"{p.stem}.wav", "other") for p in paths]
        named = [(p.stem, r, s.audio) for p, r, s in zip(paths, roles, stems, strict=True)]
        drums = next(a for n, r, a in named if r == "drums")
        named.append(("Drums_Room", "drums_room", drums * np.float32(0.5)))
        return [(n, r, _looped(a, frames)) for n, r, a in named]
    rng = np.random.default_rng(7)
    roles = ["bass", "drums", "guitar", "keys", "lead", "vocal", "pad", "drums_room"]
    out = []
    for i, role in enumerate(roles):
        channels = 1 if role in ("bass", "lead", "vocal") else 2
        burst = rng.standard_normal((channels, frames)).astype(np.float32) * 0.1
        gate = np.sin(np.arange(frames) * 2 * np.pi * (1.5 + i) / SAMPLE_RATE) > 0
        out.append((f"synthetic_{role}", role, burst * gate.astype(np.float32)))
    return out


def write_stems(workdir: Path, minutes: float) -> None:
    """Write the looped stems as .npy files plus roles.json (run in a child process, so the
    memory used to decode and loop them does not count in the renders' peak)."""
    frames = int(minutes * 60 * SAMPLE_RATE)
    roles = {}
    for name, role, audio in _source_audio(frames):
        np.save(workdir / f"{name}.npy", np.ascontiguousarray(audio, dtype=np.float32))
        roles[name] = role
    (workdir / "roles.json").write_text(json.dumps(roles))


def build_session(workdir: Path, minutes: float) -> tuple[dict[str, StemSource], MixState]:
    child = multiprocessing.get_context("spawn").Process(
        target=write_stems, args=(workdir, minutes)
    )
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"building the stems failed (exit code {child.exitcode})")
    stems: dict[str, StemSource] = {}
    tracks = []
    for name, role in json.loads((workdir / "roles.json").read_text()).items():
        path = workdir / f"{name}.npy"
        key = f"{file_sha256(path)}@{SAMPLE_RATE}"
        stems[name] = StemSource(name=name, key=key, audio=np.load(path, mmap_mode="r"))
        reverb_db, delay_db = SEND_ROLES.get(role, (None, None))
        tracks.append(
            TrackState(
                name=name,
                role=role,
                gain_db=-3.0,
                pan=PANS.get(role, 0.0),
                hpf_hz=40.0 if role in ("bass", "drums") else 90.0,
                eq=(
                    EqBand(kind="low_shelf", freq_hz=120.0, gain_db=-2.0, q=0.7),
                    EqBand(kind="bell", freq_hz=400.0, gain_db=-3.0, q=1.4),
                    EqBand(kind="high_shelf", freq_hz=8000.0, gain_db=2.0, q=0.7),
                ),
                compressor=Compressor(
                    threshold_db=-20.0, ratio=3.0, attack_ms=10.0, release_ms=120.0, makeup_db=2.0
                ),
                reverb_send_db=reverb_db,
                delay_send_db=delay_db,
            )
        )
    return stems, MixState(tracks=tuple(tracks))


def build_automixed(workdir: Path) -> None:
    from bench_brief import build_session as build_brief_session

    build_brief_session(workdir)


def automixed_session(workdir: Path) -> tuple[dict[str, StemSource], MixState]:
    """bench_brief's automixed session, built in a child process (so the memory used to
    decode and analyse the stems does not count in the renders' peak)."""
    child = multiprocessing.get_context("spawn").Process(target=build_automixed, args=(workdir,))
    child.start()
    child.join()
    if child.exitcode != 0:
        raise SystemExit(f"building the automixed session failed (exit code {child.exitcode})")
    from mixchat.tools.engine import Engine
    from mixchat.tools.session import Session

    session = Session.open(workdir / "bench.mix")
    return Engine.for_session(session).stem_sources(), session.load().state


def bare_chain(stems: dict[str, StemSource], state: MixState) -> np.ndarray:
    """The same plugins on whole arrays, the same gains and pan, summed with numpy; each bus
    is a plain pedalboard chain on its stereo send (effect, the filters as four first-order
    plugins, gain), as anyone would write it without our mono reverb send or scipy filters.
    It gets the same larger pedalboard buffer as our render, so the ratio is not flattered."""
    frames = max(s.audio.shape[1] for s in stems.values())
    mix = np.zeros((2, frames), dtype=np.float32)
    sends = {"reverb": np.zeros_like(mix), "delay": np.zeros_like(mix)}
    for track in state.tracks:
        audio = np.array(stems[track.name].audio)
        board = track_insert_board(track, sample_rate=SAMPLE_RATE)
        out = board.process(audio, SAMPLE_RATE, buffer_size=PEDALBOARD_BUFFER_FRAMES)
        left, right = pan_gains(pan=track.pan, channels=out.shape[0])
        out = stereo_width(out, width=track.width) if out.shape[0] == 2 else out[[0, 0]]
        gain = np.float32(10 ** (track.gain_db / 20))
        placed = out * np.array([[left], [right]], dtype=np.float32) * gain
        mix += placed
        for bus, send_db in (("reverb", track.reverb_send_db), ("delay", track.delay_send_db)):
            if send_db is not None:
                sends[bus] += placed * np.float32(10 ** (send_db / 20))
    for bus, effect in (
        ("reverb", reverb_effect(state.reverb)),
        ("delay", delay_effect(state.delay)),
    ):
        settings = getattr(state, bus)
        board = pb.Pedalboard(
            [
                effect,
                pb.HighpassFilter(settings.hpf_hz),
                pb.HighpassFilter(settings.hpf_hz),
                pb.LowpassFilter(settings.lpf_hz),
                pb.LowpassFilter(settings.lpf_hz),
                pb.Gain(settings.return_db),
            ]
        )
        wet = board.process(sends[bus], SAMPLE_RATE, buffer_size=PEDALBOARD_BUFFER_FRAMES)
        shift = pre_delay_frames(state.reverb, sample_rate=SAMPLE_RATE) if bus == "reverb" else 0
        mix[:, shift:] += wet[:, : frames - shift]
    return mix


def best_of(label: str, runs: list[dict], *, bare: tuple | None = None) -> tuple[float, float]:
    """Time each run (its own inputs) and keep the fastest wall and CPU time: this machine
    may be shared, so the minimum is the least noisy estimate, and CPU time (user + system of
    this single-threaded process) is the figure other processes disturb least."""
    walls, cpus, note = [], [], ""
    for kwargs in runs:
        wall, cpu = time.perf_counter(), time.process_time()
        if bare is not None:
            bare_chain(*bare)
        else:
            result = render_mix(sample_rate=SAMPLE_RATE, **kwargs)
            note = (
                f"  [tracks rendered={len(result.rendered)} cached={len(result.cached)}, "
                f"buses cached={len(result.buses_cached)}]"
            )
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    print(f"  {label:<46} wall {min(walls):6.2f} s  cpu {min(cpus):6.2f} s{note}")
    return min(walls), min(cpus)


def ratio(name: str, value: tuple[float, float], base: tuple[float, float], aim: str) -> None:
    wall, cpu = value[0] / base[0], value[1] / base[1]
    print(f"  {name:<36} wall {wall:6.2f}x ({wall:4.0%})  cpu {cpu:6.2f}x ({cpu:4.0%})  {aim}")


def main() -> None:
    keep_block_buffers()  # as the mixchat command does
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=4.0)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--session", choices=("uniform", "automix"), default="uniform")
    args = parser.parse_args()
    repeats = range(max(args.repeats, 1))
    workdir = Path(tempfile.mkdtemp(prefix="mixchat-bench-"))
    try:
        if args.session == "automix":
            stems, state = automixed_session(workdir)
        else:
            stems, state = build_session(workdir, args.minutes)
            print(
                f"session: {len(stems)} stems x {args.minutes:g} min at {SAMPLE_RATE} Hz "
                f"({'song_1 looped' if SONG.is_dir() else 'synthetic'})"
            )
        cache = workdir / "cache"
        common = {"stems": stems, "cache_dir": cache}
        first = best_of(
            "first render (empty cache)",
            [{"stems": stems, "state": state, "cache_dir": workdir / f"c{i}"} for i in repeats],
        )
        best_of("warm-up of the shared cache", [{**common, "state": state}])
        vocal = next(t for t in state.tracks if t.role == "vocal")
        bass = next(t for t in state.tracks if t.reverb_send_db is t.delay_send_db is None)

        def eq_runs(name: str) -> list[dict]:
            bands = [(EqBand(freq_hz=3000.0, gain_db=2.0 + i, q=1.0),) for i in repeats]
            return [{**common, "state": state.with_track(name, eq=b)} for b in bands]

        eq_send = best_of(f"EQ change on {vocal.name} (sends)", eq_runs(vocal.name))
        eq_dry = best_of(f"EQ change on {bass.name} (no sends)", eq_runs(bass.name))
        fader = best_of(
            f"fader change on {vocal.name}",
            [
                {**common, "state": state.with_track(vocal.name, gain_db=vocal.gain_db + 1 + i)}
                for i in repeats
            ],
        )
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        bare = best_of(
            "bare pedalboard chain (whole arrays, no cache)",
            [{}] * len(repeats),
            bare=(stems, state),
        )
        print()
        ratio("first render / bare chain", first, bare, "(aim <= 1.5x)")
        ratio("EQ re-render, track with sends", eq_send, first, "(aim <= 25%)")
        ratio("EQ re-render, track without sends", eq_dry, first, "(aim <= 25%)")
        ratio("fader-only re-render (with sends)", fader, first, "")
        print(f"  peak memory (ru_maxrss) over the renders: {peak_mb:.0f} MB (aim < 2048 MB)")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
