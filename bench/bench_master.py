"""Master a real 4-minute mix to several targets; print time, landing error and true peak.

The mix is the unity sum of the stems of ../shared/data/songs/song_1 (and song_2, as a
second track), looped to 4 minutes. Side by side with Matchering (``pip install matchering``
into .venv; it is not a dependency of mixchat): both master song_1 against a louder master
of song_2 as the reference; times, their ratio, landing error and true peak (measured with
our meter) are printed.

    .venv/bin/python bench/bench_master.py [--seconds 240]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr

ROOT = Path(__file__).resolve().parents[1]

from mixchat.dsp.allocator import keep_block_buffers  # noqa: E402
from mixchat.dsp.loudness import integrated_lufs, true_peak_dbtp  # noqa: E402
from mixchat.dsp.master import PLATFORM_TARGETS_LUFS, master_audio  # noqa: E402

SONGS = ROOT.parent / "shared" / "data" / "songs"
TARGETS = ("spotify", "apple", "club")


def stem_sum(folder: Path, *, sample_rate: int, seconds: float) -> np.ndarray:
    """Unity sum of every stem (mono stems on both sides), resampled and looped."""
    parts = []
    for path in sorted(folder.glob("*.flac")):
        audio, rate = sf.read(path, dtype="float32", always_2d=True)
        if rate != sample_rate:
            audio = soxr.resample(audio, rate, sample_rate)
        parts.append(np.repeat(audio.T, 2, axis=0) if audio.shape[1] == 1 else audio.T)
    length = min(p.shape[1] for p in parts)
    mix = np.sum([p[:, :length] for p in parts], axis=0, dtype=np.float32)
    frames = int(seconds * sample_rate)
    mix = np.tile(mix, (1, frames // length + 1))[:, :frames]
    return (mix * (0.5 / np.max(np.abs(mix)))).astype(np.float32)


def bench_track(name: str, mix: np.ndarray, sample_rate: int) -> float:
    lufs = integrated_lufs(mix, sample_rate=sample_rate)
    peak = true_peak_dbtp(mix, sample_rate=sample_rate)
    print(f"\n{name}: {mix.shape[1] / sample_rate:.0f} s, {lufs:.2f} LUFS, {peak:.2f} dBTP")
    header = f"{'target':>8} {'LUFS':>6} {'wall s':>7} {'cpu s':>6} {'error LU':>9} {'TP dBTP':>8}"
    print(header + f" {'GR dB':>6}")
    times = []
    for target in TARGETS:
        target_lufs = PLATFORM_TARGETS_LUFS[target]
        start, cpu = time.perf_counter(), time.process_time()
        result = master_audio(mix, sample_rate=sample_rate, target_lufs=target_lufs)
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        times.append(elapsed)
        error = integrated_lufs(result.audio, sample_rate=sample_rate) - target_lufs
        peak = true_peak_dbtp(result.audio, sample_rate=sample_rate)
        print(
            f"{target:>8} {target_lufs:6.1f} {elapsed:7.2f} {cpu:6.2f} {error:+9.3f} {peak:8.3f} "
            f"{result.limiter_reduction_db:6.2f}"
        )
    return float(np.mean(times))


def report(name: str, audio: np.ndarray, target_lufs: float, sample_rate: int, cpu, wall):
    """One comparison row, measured with our meter (not the tool's own report)."""
    lufs = integrated_lufs(audio, sample_rate=sample_rate)
    peak = true_peak_dbtp(audio, sample_rate=sample_rate)
    print(f"{name:>11} {wall:7.2f} {cpu:6.2f} {lufs:7.2f} {lufs - target_lufs:+9.3f} {peak:8.3f}")


def bench_reference(mix: np.ndarray, reference: np.ndarray, sample_rate: int) -> float:
    """Our ``--reference`` path: match the reference's loudness and broad tone."""
    start, cpu = time.perf_counter(), time.process_time()
    result = master_audio(mix, sample_rate=sample_rate, reference=reference)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    ref_lufs = integrated_lufs(reference, sample_rate=sample_rate)
    print(f"\nreference match to {ref_lufs:.2f} LUFS (song_2 mastered louder), same track:")
    print(f"{'':>11} {'wall s':>7} {'cpu s':>6} {'LUFS':>7} {'error LU':>9} {'TP dBTP':>8}")
    report("mixchat", result.audio, ref_lufs, sample_rate, cpu, elapsed)
    return elapsed


def bench_matchering(mix: np.ndarray, reference: np.ndarray, sample_rate: int) -> float | None:
    """Matchering on the same track and reference (it writes and reads files: its I/O is
    part of its time, ours is not, which favours it slightly)."""
    try:
        import matchering  # type: ignore[import-not-found]
    except ImportError:
        print("matchering is not importable: no side-by-side ratio (pip install matchering)")
        return None
    with tempfile.TemporaryDirectory() as folder:
        target, ref, out = (Path(folder) / n for n in ("target.wav", "ref.wav", "out.wav"))
        sf.write(target, mix.T, sample_rate, subtype="FLOAT")
        sf.write(ref, reference.T, sample_rate, subtype="FLOAT")
        start, cpu = time.perf_counter(), time.process_time()
        matchering.process(
            target=str(target), reference=str(ref), results=[matchering.pcm24(str(out))]
        )
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        mastered, _ = sf.read(out, dtype="float32", always_2d=True)
    ref_lufs = integrated_lufs(reference, sample_rate=sample_rate)
    report("matchering", mastered.T, ref_lufs, sample_rate, cpu, elapsed)
    return elapsed


def main() -> None:
    keep_block_buffers()  # as the mixchat command does
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=240.0)
    args = parser.parse_args()
    if not SONGS.exists():
        sys.exit(f"shared songs not found at {SONGS}")
    rate = 44100
    song_1 = stem_sum(SONGS / "song_1", sample_rate=rate, seconds=args.seconds)
    song_2 = stem_sum(SONGS / "song_2", sample_rate=rate, seconds=args.seconds)
    bench_track("song_1 mix", song_1, rate)
    bench_track("song_2 mix", song_2, rate)
    reference = master_audio(song_2, sample_rate=rate, target_lufs=-11.0).audio
    ours = bench_reference(song_1, reference, rate)
    theirs = bench_matchering(song_1, reference, rate)
    if theirs:
        print(f"time ratio mixchat / matchering (wall): {ours / theirs:.2f}")


if __name__ == "__main__":
    main()
