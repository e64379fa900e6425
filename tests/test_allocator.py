"""The malloc tuning of block-wise audio work, as threads side by side use it."""

from __future__ import annotations

import threading

import pytest

from mixchat.dsp import allocator


class _RecordingLibc:
    def __init__(self) -> None:
        self.calls: list[tuple[int, int]] = []

    def mallopt(self, option: int, value: int) -> int:
        self.calls.append((option, value))
        return 1


def test_large_buffers_stay_mapped_until_the_last_thread_within_leaves(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    libc = _RecordingLibc()
    monkeypatch.setattr(allocator, "_tuned", True)
    monkeypatch.setattr(allocator.ctypes, "CDLL", lambda name: libc)
    first_inside, second_left = threading.Event(), threading.Event()
    seen_after_second_left: list[tuple[int, int]] = []

    def first() -> None:
        with allocator.large_buffers_mapped():
            first_inside.set()
            second_left.wait(5.0)
            seen_after_second_left.extend(libc.calls)

    thread = threading.Thread(target=first)
    thread.start()
    first_inside.wait(5.0)
    with allocator.large_buffers_mapped():
        pass
    second_left.set()
    thread.join(5.0)
    mapped = (allocator.M_MMAP_THRESHOLD, allocator.MAPPED_FROM_BYTES)
    assert seen_after_second_left == [mapped]  # set once, still set while one is within
    assert libc.calls == [
        (allocator.M_MMAP_THRESHOLD, allocator.MAPPED_FROM_BYTES),
        (allocator.M_MMAP_THRESHOLD, allocator.MMAP_THRESHOLD_BYTES),
    ]
