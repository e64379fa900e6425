"""Where `mixchat new` spends its CPU: every part of its pass over the stems, timed on its own.

Each part of what ``create_session`` runs on every stem is fed the same blocks here, one part
at a time on one thread, and its CPU time (``time.process_time``) is summed over the stems:
hashing the files, decoding them, the stem meter's parts (loudness, masking bands, the facts'
and the automix's spectra, block powers, energies), the section features, the unity mix
(placing it and measuring it) and the clean-up detectors (fed, then finished for the role the
name gives). The start-up of a process that imports what ``new`` imports is timed apart (best
of 5). The parts run side by side in ``new`` (two stems at a time on a pool, the hash on its
own thread), so its CPU is about their sum and its wall about half of it on two cores.

    .venv/bin/python bench/bench_new_parts.py [--stems DIR]   (default: 8 stems x 240 s)
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from mixchat.tools.config import use_one_blas_thread

use_one_blas_thread()  # before numpy is imported: BLAS threads would spin against the meters

import numpy as np  # noqa: E402

from mixchat.dsp.analysis import MixMeter  # noqa: E402
from mixchat.dsp.audio_io import file_sha256, plan_stems  # noqa: E402
from mixchat.dsp.cleanup.detect import FaultMeter  # noqa: E402
from mixchat.dsp.ingest import BLOCK_FRAMES  # noqa: E402
from mixchat.dsp.meters import (  # noqa: E402
    BandMeter,
    BlockPowers,
    EnergyMeter,
    LoudnessMeter,
    SpectrumMeter,
)
from mixchat.dsp.render import MixJob, MixPlacer, to_float  # noqa: E402
from mixchat.dsp.roles import role_from_name  # noqa: E402
from mixchat.dsp.section_features import SpectralFeatureMeter  # noqa: E402
from mixchat.dsp.state import TrackState  # noqa: E402
from mixchat.dsp.stems import FileStem  # noqa: E402
from mixchat.dsp.track_meter import AUTOMIX_N_FFT, RMS_BLOCK_S, SECTION_HOP_S  # noqa: E402
from mixchat.tools.workspace import find_stem_files, track_names  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_session import write_stems  # noqa: E402

STARTUP = "import mixchat.assistant.cli.main, mixchat.tools.workspace"


def startup_cpu() -> float:
    code = f"{STARTUP}\nimport resource\nr = resource.getrusage(resource.RUSAGE_SELF)\n"
    code += "print(r.ru_utime + r.ru_stime)"
    runs = [
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        for _ in range(5)
    ]
    return min(float(run.stdout.split()[-1]) for run in runs)


def stem_parts(channels: int, rate: int, frames: int) -> dict[str, list[Any]]:
    """The stem meter's parts (``StemMeter``), each a list of meters fed the block."""
    return {
        "stem meter: loudness": [LoudnessMeter(channels=channels, sample_rate=rate)],
        "stem meter: masking bands": [BandMeter(sample_rate=rate, total=frames)],
        "stem meter: facts' spectrum": [
            SpectrumMeter(channels=channels, sample_rate=rate, total=frames, rows="mono")
        ],
        "stem meter: automix's spectrum": [
            SpectrumMeter(
                channels=channels, sample_rate=rate, total=frames, rows="mono", n_fft=AUTOMIX_N_FFT
            )
        ],
        "stem meter: block powers": [
            BlockPowers(size=round(RMS_BLOCK_S * rate), mono=True),
            BlockPowers(size=max(1, rate // 10)),
            BlockPowers(size=max(1, int(round(rate * SECTION_HOP_S)))),
        ],
        "stem meter: energies": [EnergyMeter()],
    }


def feed(meters: list[Any], audio: np.ndarray) -> None:
    for meter in meters:
        meter.feed(audio)


def finish(meters: list[Any]) -> None:
    for meter in meters:
        if isinstance(meter, LoudnessMeter):
            meter.momentary()
        elif isinstance(meter, (BandMeter,)):
            meter.finish()
        elif not isinstance(meter, EnergyMeter):
            meter.result()


def mono_of(audio: np.ndarray) -> np.ndarray:
    return audio[0] if audio.shape[0] == 1 else (audio[0] + audio[1]) * 0.5


def timed(cpu: dict[str, float], part: str, work: Callable[..., Any], *args: Any, **kw: Any) -> Any:
    start = time.process_time()
    result = work(*args, **kw)
    cpu[part] += time.process_time() - start
    return result


def measure(stems_dir: Path) -> dict[str, float]:
    files = find_stem_files(stems_dir)
    infos, rate, frames, _ = plan_stems(files)
    cpu: dict[str, float] = defaultdict(float)
    spans = [(lo, min(lo + BLOCK_FRAMES, frames)) for lo in range(0, frames, BLOCK_FRAMES)]
    mixes = [np.zeros((2, hi - lo)) for lo, hi in spans]
    placer = MixPlacer(rate)
    for name, info in zip(track_names(files), infos):
        timed(cpu, "hashing the files (sha256)", file_sha256, info.path)
        reader = FileStem(info.path, frames=frames)
        parts = stem_parts(reader.channels, rate, frames)
        features = SpectralFeatureMeter(sample_rate=rate, spill=True)
        role = (role_from_name(name) or ("other",))[0]
        faults = FaultMeter(sample_rate=rate, frames=frames, role=None, expected_role=role)
        source = SimpleNamespace(name=name, insert_key=name)
        job = MixJob(source, TrackState(name=name), (), +1, True, ())  # type: ignore[arg-type]
        for (lo, hi), mix in zip(spans, mixes):
            audio = timed(cpu, "decoding", reader.read, lo, hi)
            for part, meters in parts.items():
                timed(cpu, part, feed, meters, audio)
            mono = mono_of(audio)
            timed(cpu, "section features", features.feed, mono)
            timed(cpu, "unity mix: placing", placer.add, job, audio, lo, mix, {})
            timed(cpu, "clean-up detectors: fed", faults.feed, audio, mono)
        for part, meters in parts.items():
            timed(cpu, part, finish, meters)
        timed(cpu, "section features", features.result)
        timed(cpu, "clean-up detectors: settled and finished", faults.settle)
        finished = "clean-up detectors: settled and finished"
        timed(cpu, finished, faults.finish, reader.read, role=role)
    unity = MixMeter(channels=2, sample_rate=rate, total=frames)
    for mix in mixes:
        timed(cpu, "unity mix: measuring", lambda exact: unity.feed(to_float(exact)), mix)
    timed(cpu, "unity mix: measuring", unity.result)
    return cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stems", type=Path, help="a folder of stems (default: 8 x 240 s)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="mixchat-bench-new-parts-"))
    try:
        stems = args.stems or write_stems(work / "stems", 8, 240.0)
        cpu = {"start-up (imports, best of 5)": startup_cpu(), **measure(stems)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    total = sum(cpu.values())
    print(f"CPU of each part of `mixchat new` on {stems} (one thread):")
    for part, seconds in cpu.items():
        print(f"  {part:<44} {seconds:6.2f} s  {100 * seconds / total:5.1f} %")
    print(f"  {'sum':<44} {total:6.2f} s")


if __name__ == "__main__":
    main()
