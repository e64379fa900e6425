"""A cache folder that never outgrows its limit: room is made before a file is written.

Every writer asks ``reserve(nbytes, rank=...)`` before it starts. Room is made by deleting
files no running render needs (``pin``) whose rank is not above the writer's, least valuable
first and least recently used first within a rank; when even that is not enough the answer
is no and the writer carries on without caching (the render is the same; it is only slower
next time). The ranks, by what a file costs to make again per byte it takes:

* ``TRACK`` (0): a track's output after its inserts: one track's chain makes it again;
* ``MIX`` (1): a version's exact mix, its buses' send sums and returns, a master's output, a
  decoded stem: a whole render (or decode) makes them again;
* ``ANALYSIS`` (2): facts, loudness blocks, masking bands: small, but a pass over the audio
  each.

So a track output never pushes out a mix or an analysis, and the mix a brief just made stays
for the next one. Files left by killed processes are cleared first. Sizes are counted over the
whole folder tree: stems, track outputs, mixes and analyses share one limit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from mixchat.dsp.audio_io import TEMP_NPY, remove_orphaned_temps

DEFAULT_LIMIT_MB = 3000
TRACK, MIX, ANALYSIS = 0, 1, 2
ANALYSIS_FOLDERS = ("facts", "bands")


def rank_of(path: Path) -> int:
    """How much a cache file is worth keeping (see the module's doc)."""
    if path.parent.name in ANALYSIS_FOLDERS:
        return ANALYSIS
    return TRACK if path.name.startswith("track-") else MIX


class CacheBudget:
    """The size limit of one cache folder, shared by everything one process writes there."""

    def __init__(self, root: Path, *, limit_bytes: int) -> None:
        self.root = Path(root)
        self.limit_bytes = int(limit_bytes)
        self._lock = threading.Lock()
        self._pinned: set[Path] = set()
        self._reserved = 0

    def pin(self, paths: Iterable[Path]) -> None:
        """Keep these files (the ones a render reads) from being evicted."""
        with self._lock:
            self._pinned.update(Path(p) for p in paths)

    def unpin(self, paths: Iterable[Path]) -> None:
        with self._lock:
            self._pinned.difference_update(Path(p) for p in paths)

    def _files(self) -> list[tuple[float, int, Path]]:
        found = []
        for folder, _, names in os.walk(self.root):
            for name in names:
                path = Path(folder) / name
                try:
                    stat = path.stat()
                except OSError:
                    continue
                found.append((stat.st_mtime, stat.st_size, path))
        return found

    def used_bytes(self) -> int:
        return sum(size for _, size, _ in self._files())

    def reserve(self, nbytes: int, *, rank: int = MIX) -> bool:
        """Make room for ``nbytes`` more, by evicting unpinned files of ``rank`` or below
        (lowest rank first, oldest use first); False when the limit cannot hold them. A True
        must be followed by ``release(nbytes)`` once the file is written (or abandoned)."""
        with self._lock:
            for folder in {self.root, *(p for p in self.root.glob("*") if p.is_dir())}:
                remove_orphaned_temps(folder)
            files = self._files()
            used = sum(size for _, size, _ in files) + self._reserved
            wanted = nbytes
            if wanted > self.limit_bytes:
                return False
            candidates = sorted(
                (
                    (rank_of(path), stamp, size, path)
                    for stamp, size, path in files
                    if path not in self._pinned
                    and not TEMP_NPY.match(path.name)
                    and rank_of(path) <= rank
                ),
                key=lambda f: (f[0], f[1]),
            )
            for _, _, size, path in candidates:
                if used + wanted <= self.limit_bytes:
                    break
                try:
                    path.unlink()
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
