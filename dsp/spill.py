"""Arrays a stream's meters keep for the end of its stem, parked in one temporary file meanwhile.

A new session feeds every stem's meters and detectors side by side and finishes them once
the song has gone by (the detectors one at a time, once the roles are known): what each keeps
until then (the hum's decimated stream, the per-block measures) waits on disk, so memory
does not grow with the number of stems or the song's length. One file per stem, whatever
the number of arrays (a session of many stems keeps few files open).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

import numpy as np

PARK_FROM_BYTES = 8192  # Parts given a spill park what they hold once it reaches this


@dataclass(frozen=True)
class Parked:
    offset: int
    dtype: str
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        return int(np.dtype(self.dtype).itemsize * np.prod(self.shape, dtype=np.int64))


class Spill:
    """``put`` an array, ``get`` it back (the same values, read-only) until ``close``."""

    def __init__(self) -> None:
        self._file = tempfile.TemporaryFile()
        self._end = 0

    def put(self, array: np.ndarray) -> Parked:
        data = np.ascontiguousarray(array)
        self._file.seek(self._end)
        self._file.write(data.tobytes())
        parked = Parked(self._end, data.dtype.str, data.shape)
        self._end += data.nbytes
        return parked

    def get(self, parked: Parked) -> np.ndarray:
        self._file.seek(parked.offset)
        data = self._file.read(parked.nbytes)
        return np.frombuffer(data, np.dtype(parked.dtype)).reshape(parked.shape)

    def close(self) -> None:
        self._file.close()


class Parts:
    """Per-block measures: appended as they come, joined on the way out. Given a ``spill``,
    what they hold is parked there (joined) each time it reaches PARK_FROM_BYTES, so a
    stream's measures stay on disk while the song goes by; ``park`` moves the rest there
    (or, without a spill, joins it into one array) once the stream has ended."""

    def __init__(self, axis: int = 0, *, spill: Spill | None = None) -> None:
        self.axis = axis
        self._spill = spill
        self._parts: list[np.ndarray] = []
        self._held_bytes = 0
        self._parked: list[tuple[Spill, Parked]] = []

    def append(self, part: np.ndarray) -> None:
        self._parts.append(part)
        self._held_bytes += part.nbytes
        if self._spill is not None and self._held_bytes >= PARK_FROM_BYTES:
            self._park_held(self._spill)

    def __bool__(self) -> bool:
        return bool(self._parts) or bool(self._parked)

    def count(self) -> int:
        """The entries the parts hold along their axis."""
        return int(sum(part.shape[self.axis] for part in self._held()))

    def joined(self) -> np.ndarray:
        return np.concatenate(self._held(), axis=self.axis)

    def park(self, spill: Spill | None) -> None:
        """Join the parts (and, given a spill, move them there until ``joined``)."""
        if not self._parts:
            return
        if spill is None:
            self._parts, self._parked = [self.joined()], []
            self._held_bytes = self._parts[0].nbytes
        else:
            self._park_held(spill)

    def _park_held(self, spill: Spill) -> None:
        joined = np.concatenate(self._parts, axis=self.axis)
        self._parked.append((spill, spill.put(joined)))
        self._parts, self._held_bytes = [], 0

    def _held(self) -> list[np.ndarray]:
        return [spill.get(parked) for spill, parked in self._parked] + self._parts
