"""Arrays a detector keeps for the end of its stem, parked in one temporary file meanwhile.

A new session feeds every stem's detectors side by side and finishes them one at a time
once the roles are known: what each keeps until then (the hum's decimated stream, the
per-block measures) waits on disk, so memory does not grow with the number of stems. One
file per stem, whatever the number of arrays (a session of many stems keeps few files open).
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass

import numpy as np


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
    """A detector's per-block measures: appended as they come, joined on the way out, and
    parked in a ``Spill`` (joined) while the detector waits for its stem's role."""

    def __init__(self, axis: int = 0) -> None:
        self.axis = axis
        self._parts: list[np.ndarray] = []
        self._parked: tuple[Spill, Parked] | None = None

    def append(self, part: np.ndarray) -> None:
        self._parts.append(part)

    def __bool__(self) -> bool:
        return bool(self._parts) or self._parked is not None

    def count(self) -> int:
        """The entries the parts hold along their axis."""
        return int(sum(part.shape[self.axis] for part in self._held()))

    def joined(self) -> np.ndarray:
        return np.concatenate(self._held(), axis=self.axis)

    def park(self, spill: Spill | None) -> None:
        """Join the parts (and, given a spill, move them there until ``joined``)."""
        if not self._parts:
            return
        joined = self.joined()
        if spill is None:
            self._parts = [joined]
        else:
            self._parked, self._parts = (spill, spill.put(joined)), []

    def _held(self) -> list[np.ndarray]:
        if self._parked is not None:
            spill, parked = self._parked
            return [spill.get(parked)]
        return self._parts
