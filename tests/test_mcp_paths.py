"""The MCP server's path policy and session resources, in process: what a call may reach."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from mixchat.assistant.mcp.errors import AccessError
from mixchat.assistant.mcp.paths import PathPolicy
from mixchat.assistant.mcp.sessions import SessionRegistry
from mixchat.tools.session import Session
from mixchat.tools.workspace import create_session


@pytest.fixture(scope="module")
def place(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    top = tmp_path_factory.mktemp("paths")
    root, outside = top / "root", top / "outside"
    stems = root / "stems"
    stems.mkdir(parents=True)
    outside.mkdir()
    rate = 44100
    t = np.arange(4 * rate) / rate
    tone = (0.2 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    sf.write(stems / "Keys.wav", tone, rate)
    sf.write(stems / "Bass.wav", 0.5 * tone, rate)
    sf.write(outside / "other.wav", tone, rate)
    session, _ = create_session(stems, root / "s.mix")
    return {"top": top, "root": root, "outside": outside, "stems": stems, "session": session.path}


def test_roots_confine_every_path_after_links_and_dots(place: dict[str, Path]) -> None:
    policy = PathPolicy.from_roots([place["root"]])
    assert policy.resolve("stems", name="p") == place["stems"].resolve()  # from the first root
    for raw in (
        place["outside"] / "other.wav",
        f"{place['root']}/../outside/other.wav",
        place["top"],
    ):
        with pytest.raises(AccessError, match="outside the folders"):
            policy.resolve(str(raw), name="path")
    link = place["root"] / "to_outside"
    link.symlink_to(place["outside"])
    try:
        with pytest.raises(AccessError, match="outside the folders"):
            policy.resolve(str(link / "other.wav"), name="path")
        with pytest.raises(AccessError, match="outside the folders"):
            policy.check_paths_in(f"make it sound like {link}/other.wav", name="brief")
    finally:
        link.unlink()
    policy.check_paths_in("make it sound like /nonexistent/ref.wav, please", name="brief")
    with pytest.raises(AccessError, match="NUL"):
        policy.resolve("a\x00b", name="path")


def test_without_roots_named_paths_are_allowed_but_links_still_may_not_escape(
    place: dict[str, Path],
) -> None:
    policy = PathPolicy.from_roots([], base=place["top"])
    assert policy.resolve("outside/other.wav", name="p") == place["outside"] / "other.wav"
    folder = place["root"] / "linked_stems"
    folder.mkdir()
    (folder / "Keys.wav").write_bytes((place["stems"] / "Keys.wav").read_bytes())
    (folder / "Other.wav").symlink_to(place["outside"] / "other.wav")
    with pytest.raises(AccessError, match="is a link to"):
        policy.check_stem_folder(folder)
    policy.check_stem_folder(place["stems"])


def test_outputs_never_overwrite_a_session(place: dict[str, Path]) -> None:
    policy = PathPolicy.from_roots([place["root"]])
    session = place["session"]
    for raw in (session, session / "versions" / "x.wav", session / "cache", place["root"]):
        with pytest.raises(AccessError, match="session"):
            policy.output(str(raw), name="output")
    assert policy.output(str(session / "mix.wav"), name="output") == session / "mix.wav"
    opened = Session.open(session)
    with pytest.raises(AccessError, match="is the stem"):
        policy.refuse_stem_overwrite(place["stems"] / "Bass.wav", opened, name="output")


def test_a_session_with_a_link_out_is_refused(place: dict[str, Path]) -> None:
    policy = PathPolicy.from_roots([])
    registry = SessionRegistry(policy)
    opened, entry = registry.open(str(place["session"]))
    assert entry.id == "s.mix" and registry.get("s.mix")[1] == entry
    link = place["session"] / "reports"
    link.symlink_to(place["outside"])
    try:
        with pytest.raises(AccessError, match="outside the session"):
            registry.open(str(place["session"]))
        with pytest.raises(AccessError):
            registry.report_names(entry)
    finally:
        link.unlink()
    uri = registry.save_report(entry, "analysis_v0000", {"lufs": -20.0})
    assert uri == "mixchat://sessions/s.mix/reports/analysis_v0000"
    assert '"lufs"' in registry.report_text(entry, "analysis_v0000")
    for bad in ("../session", "..", ".hidden", "a/b"):
        with pytest.raises(AccessError):
            registry.report_text(entry, bad)
    with pytest.raises(AccessError, match="not open"):
        registry.get("elsewhere")
