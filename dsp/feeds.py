"""Blocks of several sources computed on a thread pool a bounded number of blocks ahead.

Each source has ``block(start, stop)``, which must see its blocks in order (filters, meters
and writers keep state); blocks are handed out span by span in source order. At most
``ahead`` blocks are in flight or waiting, so memory does not grow with the number of
sources, and a source's next block is not started before its previous one is done.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np


class BlockFeeds:
    """Every source's blocks, computed on a pool a bounded number of blocks ahead, handed
    out span by span in source order (each source's blocks still one after another)."""

    def __init__(
        self,
        sources: list[Any],
        spans: list[tuple[int, int]],
        pool: ThreadPoolExecutor,
        ahead: int,
    ):
        self.sources, self.spans, self.pool, self.ahead = sources, spans, pool, ahead
        self._order = deque((s, i) for s in range(len(spans)) for i in range(len(sources)))
        self._futures: dict[tuple[int, int], Future[np.ndarray]] = {}
        self._fill()

    def _fill(self) -> None:
        while self._order and len(self._futures) < self.ahead:
            span, index = self._order[0]
            if span > 0 and (span - 1, index) in self._futures:
                return  # that source's previous block is still being made
            self._order.popleft()
            self._futures[(span, index)] = self.pool.submit(
                self.sources[index].block, *self.spans[span]
            )

    def blocks(self, span: int) -> Iterator[tuple[Any, np.ndarray]]:
        for index, source in enumerate(self.sources):
            out = self._futures.pop((span, index)).result()
            self._fill()
            yield source, out

    def cancel(self) -> None:
        for future in self._futures.values():
            future.cancel()
        for future in self._futures.values():
            if not future.cancelled():
                try:
                    future.result()
                except BaseException:  # noqa: BLE001 - the render is failing already
                    pass
