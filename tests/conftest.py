"""Shared test fixtures: the real material in ../shared/data, skipped with a reason if absent."""

from __future__ import annotations

import mixchat.dsp  # noqa: F401  (one BLAS thread: set before numpy loads)

from pathlib import Path

import pytest

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """Path under ../shared/data, or skip the test saying what is missing."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared test material not found: {path} (expected ../shared/data)")
    return path


@pytest.fixture
def song_1() -> Path:
    return shared_path("songs", "song_1")


@pytest.fixture
def song_2() -> Path:
    return shared_path("songs", "song_2")
