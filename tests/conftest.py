"""Shared test fixtures: the real material in ../shared/data (skipped with a reason if absent),
and no user config file."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from mixchat.tools.config import use_one_blas_thread

use_one_blas_thread()  # before numpy loads, as the mixchat command does

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


# Each song session the end-to-end suites keep would hold up to the 3000 MB default of render
# cache on disk; several suites side by side filled the disk. Users may set it; so do we.
TEST_CACHE_MB = "800"


@pytest.fixture(scope="session", autouse=True)
def modest_render_cache():
    """The render cache budget for tests and the commands they run (MIXCHAT_CACHE_MB)."""
    saved = os.environ.get("MIXCHAT_CACHE_MB")
    os.environ.setdefault("MIXCHAT_CACHE_MB", TEST_CACHE_MB)
    yield
    if saved is None:
        os.environ.pop("MIXCHAT_CACHE_MB", None)


@pytest.fixture(scope="session", autouse=True)
def no_user_config(tmp_path_factory: pytest.TempPathFactory):
    """Tests never read the developer's ~/.config/mixchat/config.toml (subprocesses included)."""
    saved = {name: os.environ.get(name) for name in ("XDG_CONFIG_HOME", "MIXCHAT_CONFIG")}
    os.environ["XDG_CONFIG_HOME"] = str(tmp_path_factory.mktemp("xdg-config"))
    os.environ.pop("MIXCHAT_CONFIG", None)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
