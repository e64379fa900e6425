"""A cache folder that never outgrows its limit: room is made before a file is written.

Every writer asks ``reserve(nbytes)`` before it starts; the least recently used files that
no running render needs (``pin``) are deleted to make room (audio before analyses), and when even that is not enough
the answer is no and the writer carries on without caching (the render is the same; it is
only slower next time). Files left by killed processes are cleared first. Sizes are counted
over the whole folder tree, so stems, track renders, mixes and analyses share one limit.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable
from pathlib import Path

from mixchat.dsp.audio_io import TEMP_NPY, remove_orphaned_temps

DEFAULT_LIMIT_MB = 3000
# Analyses are small and cost a pass over the audio to make again: audio files go first.
KEEP_LAST = ("facts", "bands")


class CacheBudget:
    """The size limit of one cache folder, shared by everything one process writes there."""

    def __init__(
        self, root: Path, *, limit_bytes: int, keep_last: tuple[str, ...] = KEEP_LAST
    ) -> None:
        self.root = Path(root)
        self.limit_bytes = int(limit_bytes)
        self.keep_last = keep_last
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

    def reserve(self, nbytes: int, *, keep_free: int = 0) -> bool:
        """Make room for ``nbytes`` more (evicting unpinned files, oldest use first); False
        when the limit cannot hold them with ``keep_free`` bytes to spare. A True must be
        followed by ``release(nbytes)`` once the file is written (or abandoned)."""
        with self._lock:
            for folder in {self.root, *(p for p in self.root.glob("*") if p.is_dir())}:
                remove_orphaned_temps(folder)
            files = self._files()
            used = sum(size for _, size, _ in files) + self._reserved
            if nbytes + keep_free > self.limit_bytes:
                return False
            if used + nbytes + keep_free > self.limit_bytes:
                candidates = sorted(
                    (
                        f
                        for f in files
                        if f[2] not in self._pinned and not TEMP_NPY.match(f[2].name)
                    ),
                    key=lambda f: (f[2].parent.name in self.keep_last, f[0]),
                )
                for _, size, path in candidates:
                    if used + nbytes + keep_free <= self.limit_bytes:
                        break
                    try:
                        path.unlink()
                    except OSError:
                        continue
                    used -= size
            if used + nbytes + keep_free > self.limit_bytes:
                return False
            self._reserved += nbytes
            return True

    def release(self, nbytes: int) -> None:
        with self._lock:
            self._reserved = max(0, self._reserved - nbytes)

    def trim(self) -> None:
        """Evict unpinned files until the folder is within the limit (after a limit change)."""
        if self.reserve(0):
            self.release(0)


def touch(path: Path) -> None:
    """Mark a cache file as just used (least-recently-used order)."""
    try:
        os.utime(path)
    except OSError:
        pass
