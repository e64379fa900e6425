"""A cache folder that never outgrows its limit: room is made before a file is written.

Every writer asks ``reserve(nbytes, rank=...)`` before it starts. Room is made by deleting
files no running render needs (``pin``) whose rank is not above the writer's, least valuable
first and least recently used first within a rank; when even that is not enough the answer
is no and the writer carries on without caching (the render is the same; it is only slower
next time). The ranks, by what a file costs to make again per byte it takes:

* ``TRACK`` (0): a track's output after its inserts: one track's chain makes it again;
* ``MIX`` (1): the newest version's exact mix, its buses' send sums and returns (for a send
  sum it did not keep, the one it is rebuilt from and that one's manifest), a master's
  output, a decoded stem: a whole render (or decode) makes them again. The mix sets of
  older versions rank as track outputs: a render makes one of them again from a newer set
  and the outputs of the tracks that differ, so keeping the track outputs (the next brief
  reads the changed tracks' ones) is worth more than keeping every older set;
* ``ANALYSIS`` (2): facts, loudness blocks, masking bands: small, but a pass over the audio
  each.

A writer may also ask with ``SPARE`` (-1, no file's rank): then nothing is evicted, it takes
free room only (a changed track's old output, run again to take it out of the mix, serves
only a way back). So a track output never pushes out a mix or an analysis, and the mix a
brief just made stays for the next one. Files left by killed processes are cleared first.
Sizes are counted over the whole folder tree: stems, track outputs, mixes and analyses share
one limit.
"""

from __future__ import annotations

import json
import os
import threading
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from mixchat.dsp.audio_io import TEMP_NPY, remove_orphaned_temps

DEFAULT_LIMIT_MB = 3000
TRACK, MIX, ANALYSIS = 0, 1, 2
SPARE = -1  # a writer's rank that evicts nothing: it takes free room only
MIX_SET_PREFIXES = ("mix-", "send-", "bus-")
ANALYSIS_FOLDERS = ("facts", "bands")


def rank_of(path: Path | str, *, newest_set: set[str] | None = None) -> int:
    """How much a cache file is worth keeping (see the module's doc); ``newest_set``: the
    files of the newest mix set (``newest_mix_set``), when the others are to be demoted."""
    folder, name = os.path.split(os.fspath(path))
    if os.path.basename(folder) in ANALYSIS_FOLDERS:
        return ANALYSIS
    if name.startswith("track-"):
        return TRACK
    if newest_set is not None and name.startswith(MIX_SET_PREFIXES):
        return MIX if os.fspath(path) in newest_set else TRACK
    return MIX


def newest_mix_set(files: Iterable[tuple[float, int, str]]) -> set[str] | None:
    """The paths of the mix set the newest manifest (``mix-<key>.json``, see
    ``render_plan``) names: its exact mix, its buses' send sums and returns, and for a send
    sum it did not keep, the one it is rebuilt from and that one's manifest; None when there
    is no readable manifest."""
    manifests = [
        (stamp, path)
        for stamp, _, path in files
        if os.path.basename(path).startswith("mix-") and path.endswith(".json")
    ]
    if not manifests:
        return None
    _, path = max(manifests)
    try:
        with open(path) as handle:
            data = json.load(handle)
        names = {f"mix-{data['key']}.npy", f"mix-{data['key']}.json"}
        for bus, entry in data["buses"].items():
            names |= {f"send-{bus}-{entry['send']}.npy", f"bus-{bus}-{entry['return']}.npy"}
            if "from" in entry:  # a send sum rebuilt from another version's: keep that one
                names |= {f"send-{bus}-{entry['from_send']}.npy", f"mix-{entry['from']}.json"}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    folder = os.path.dirname(path)
    return {os.path.join(folder, name) for name in names}


class CacheBudget:
    """The size limit of one cache folder, shared by everything one process writes there."""

    def __init__(self, root: Path, *, limit_bytes: int) -> None:
        self.root = Path(root)
        self.limit_bytes = int(limit_bytes)
        self._lock = threading.Lock()
        self._pinned: Counter[str] = Counter()  # renders in one process may pin one file
        self._reserved = 0

    def pin(self, paths: Iterable[Path]) -> None:
        """Keep these files (the ones a render reads) from being evicted."""
        with self._lock:
            self._pinned.update(str(Path(p)) for p in paths)

    def unpin(self, paths: Iterable[Path]) -> None:
        with self._lock:
            self._pinned.subtract(str(Path(p)) for p in paths)
            self._pinned = +self._pinned

    def _files(self) -> list[tuple[float, int, str]]:
        """(modified, size, path) of every file under the root, in one pass of
        ``os.scandir`` (a render asks before each file it writes: no Path per file)."""
        found = []
        folders = [str(self.root)]
        while folders:
            try:
                entries = list(os.scandir(folders.pop()))
            except OSError:
                continue
            for entry in entries:
                try:
                    if entry.is_dir(follow_symlinks=False):
                        folders.append(entry.path)
                        continue
                    stat = entry.stat(follow_symlinks=False)
                except OSError:
                    continue
                found.append((stat.st_mtime, stat.st_size, entry.path))
        return found

    def used_bytes(self) -> int:
        return sum(size for _, size, _ in self._files())

    def reserve(self, nbytes: int, *, rank: int = MIX) -> bool:
        """Make room for ``nbytes`` more, by evicting unpinned files of ``rank`` or below
        (lowest rank first, oldest use first); False when the limit cannot hold them. A True
        must be followed by ``release(nbytes)`` once the file is written (or abandoned)."""
        with self._lock:
            files = self._files()
            temps = {p for _, _, p in files if TEMP_NPY.match(os.path.basename(p))}
            if temps:  # files left by killed processes go first
                for folder in {os.path.dirname(p) for p in temps}:
                    remove_orphaned_temps(Path(folder))
                files = [f for f in files if f[2] not in temps or os.path.exists(f[2])]
            used = sum(size for _, size, _ in files) + self._reserved
            wanted = nbytes
            if wanted > self.limit_bytes:
                return False
            newest = newest_mix_set(files)
            ranked = (
                (rank_of(path, newest_set=newest), stamp, size, path)
                for stamp, size, path in files
                if path not in self._pinned and path not in temps
            )
            candidates = sorted((f for f in ranked if f[0] <= rank), key=lambda f: (f[0], f[1]))
            for _, _, size, path in candidates:
                if used + wanted <= self.limit_bytes:
                    break
                try:
                    os.unlink(path)
                except OSError:
                    continue
                used -= size
            if used + wanted > self.limit_bytes:
                return False
            self._reserved += nbytes
            return True

    def release(self, nbytes: int) -> None:
        with self._lock:
            self._reserved = max(0, self._reserved - nbytes)

    def trim(self) -> None:
        """Evict unpinned files until the folder is within the limit (after a limit change)."""
        if self.reserve(0, rank=ANALYSIS):
            self.release(0)


def touch(path: Path) -> None:
    """Mark a cache file as just used (least-recently-used order)."""
    try:
        os.utime(path)
    except OSError:
        pass
