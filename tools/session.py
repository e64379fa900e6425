"""The session folder: session.json, append-only versions/NNNN.json, chat.jsonl and cache/.

Every write is atomic (see mixchat.tools.atomic), versions are never rewritten, and a reader skips
anything a crash could have left half-made (temp files, a torn last chat line).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from mixchat.dsp.state import MixState, Section
from mixchat.tools.atomic import append_line, write_json_atomic
from mixchat.tools.errors import SessionError

SESSION_FORMAT = 1
SESSION_INTERNALS = frozenset({"session.json", "chat.jsonl", "versions", "cache"})
VERSION_GLOB = "[0-9][0-9][0-9][0-9].json"


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class StemInfo(BaseModel):
    model_config = ConfigDict(frozen=True)

    name: str
    file: str
    sha256: str
    role: str = "other"
    role_confidence: float = 0.0
    role_source: str = "name"
    channels: int = 1
    source_rate: int = 44100
    subtype: str = ""
    size: int = 0  # bytes and modification time of the file when the session was made:
    mtime_ns: int = 0  # a file that still matches them is not hashed again


class SessionMeta(BaseModel):
    model_config = ConfigDict(frozen=True)

    format: int = SESSION_FORMAT
    created: str = Field(default_factory=now_iso)
    stems_dir: str = ""
    sample_rate: int
    frames: int
    stems: tuple[StemInfo, ...]
    sections: tuple[Section, ...] = ()
    genre: str | None = None
    tempo_bpm: float | None = None
    warnings: tuple[str, ...] = ()

    @property
    def duration_s(self) -> float:
        return self.frames / self.sample_rate

    def stem(self, name: str) -> StemInfo:
        for stem in self.stems:
            if stem.name == name:
                return stem
        raise SessionError(
            f"stem={name!r} is not in this session; stems are {[s.name for s in self.stems]}"
        )


class ToolCallRecord(BaseModel):
    model_config = ConfigDict(frozen=True)

    tool: str
    args: dict[str, Any] = {}


class Version(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: int
    parent: int | None
    kind: str = "brief"
    brief: str = ""
    summary: str = ""
    reply: str = ""
    planner: str = ""
    tool_calls: tuple[ToolCallRecord, ...] = ()
    state: MixState
    metrics: dict[str, Any] = {}
    created: str = Field(default_factory=now_iso)


class Session:
    """A session folder. Construct with :meth:`create` or :meth:`open`."""

    def __init__(self, path: Path, meta: SessionMeta) -> None:
        self.path = Path(path)
        self.meta = meta

    # --- locations -------------------------------------------------------------------
    @property
    def versions_dir(self) -> Path:
        return self.path / "versions"

    @property
    def cache_dir(self) -> Path:
        return self.path / "cache"

    @property
    def chat_path(self) -> Path:
        return self.path / "chat.jsonl"

    # --- creation and opening --------------------------------------------------------
    @classmethod
    def create(
        cls,
        path: Path,
        meta: SessionMeta,
        initial_state: MixState,
        *,
        metrics: dict[str, Any] | None = None,
    ) -> Session:
        path = Path(path)
        if (path / "session.json").exists():
            raise SessionError(
                f"{path} already holds a session; open it with -s {path} or pick a new folder"
            )
        if path.exists() and not path.is_dir():
            raise SessionError(f"{path} is a file; give a folder for the session")
        try:
            (path / "versions").mkdir(parents=True, exist_ok=True)
            (path / "cache").mkdir(exist_ok=True)
        except OSError as error:
            raise SessionError(f"cannot create session folder {path}: {error.strerror}") from None
        session = cls(path, meta)
        session.commit(
            initial_state,
            parent=None,
            kind="new",
            summary="unity sum of the stems",
            reply="Version 0: every stem at unity gain, centred, no processing.",
            metrics=metrics,
        )
        write_json_atomic(path / "session.json", meta.model_dump(mode="json"))
        return session

    @classmethod
    def open(cls, path: Path) -> Session:
        path = Path(path)
        meta_path = path / "session.json"
        if not meta_path.exists():
            raise SessionError(
                f"{path} is not a mixchat session (no session.json); create one with `mixchat new STEMS_DIR -s {path}`"
            )
        try:
            meta = SessionMeta.model_validate_json(meta_path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError, OSError) as error:
            raise SessionError(
                f"{meta_path} is unreadable ({type(error).__name__}); restore it from a backup"
            ) from None
        return cls(path, meta)

    def update_meta(self, **changes: Any) -> None:
        """Replace session-level facts (roles, sections, genre) atomically."""
        data = {**self.meta.model_dump(mode="json"), **changes}
        self.meta = SessionMeta.model_validate(data)
        write_json_atomic(self.path / "session.json", self.meta.model_dump(mode="json"))

    # --- versions --------------------------------------------------------------------
    def version_numbers(self) -> list[int]:
        return sorted(int(p.stem) for p in self.versions_dir.glob(VERSION_GLOB))

    def latest_number(self) -> int:
        numbers = self.version_numbers()
        if not numbers:
            raise SessionError(f"{self.path} has no versions; recreate it with `mixchat new`")
        return numbers[-1]

    def load(self, number: int | None = None) -> Version:
        """Version ``number`` (the latest when None)."""
        if number is None:
            number = self.latest_number()
        path = self.versions_dir / f"{number:04d}.json"
        if number < 0 or not path.exists():
            numbers = self.version_numbers()
            span = f"0..{numbers[-1]}" if numbers else "none"
            raise SessionError(f"version {number} does not exist in {self.path} (versions: {span})")
        try:
            return Version.model_validate_json(path.read_text(encoding="utf-8"))
        except (ValidationError, ValueError, OSError) as error:
            raise SessionError(
                f"version {number} is damaged: {path} {_why_unreadable(error)}; the other "
                f"versions are intact, so pick one of them (or `mixchat revert N` to one)"
            ) from None

    def versions(self) -> list[Version]:
        """Every readable version, oldest first (a damaged one is left out: its number is in
        ``version_numbers`` and missing here)."""
        return [v for n in self.version_numbers() if (v := self._readable(n)) is not None]

    def _readable(self, number: int) -> Version | None:
        try:
            return self.load(number)
        except SessionError:
            return None

    def commit(
        self,
        state: MixState,
        *,
        parent: int | None,
        kind: str = "brief",
        brief: str = "",
        summary: str = "",
        reply: str = "",
        planner: str = "",
        tool_calls: list[dict[str, Any]] | tuple[ToolCallRecord, ...] = (),
        metrics: dict[str, Any] | None = None,
    ) -> Version:
        """Append a new version. Numbers only grow; an existing file is never replaced."""
        numbers = self.version_numbers()
        for attempt in range(5):
            number = (numbers[-1] + 1 if numbers else 0) + attempt
            version = Version(
                version=number,
                parent=parent,
                kind=kind,
                brief=brief,
                summary=summary,
                reply=reply,
                planner=planner,
                tool_calls=tuple(ToolCallRecord.model_validate(c) for c in tool_calls),
                state=state,
                metrics=metrics or {},
            )
            try:
                write_json_atomic(
                    self.versions_dir / f"{number:04d}.json",
                    version.model_dump(mode="json"),
                    exclusive=True,
                )
            except SessionError:
                continue
            return version
        raise SessionError(f"could not allocate a new version number in {self.versions_dir}")

    # --- chat ------------------------------------------------------------------------
    def log_chat(self, *, role: str, text: str, version: int | None = None) -> None:
        record = {"time": now_iso(), "role": role, "text": text, "version": version}
        append_line(self.chat_path, json.dumps(record, ensure_ascii=False))

    def chat(self) -> list[dict[str, Any]]:
        if not self.chat_path.exists():
            return []
        records = []
        for line in self.chat_path.read_text(encoding="utf-8").splitlines():
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return records


def refuse_session_overwrite(path: Path, *, name: str = "output") -> None:
    """Refuse an output at a session's own files, or at a folder that holds a session, so a
    render, an export or a report never replaces what a session has saved."""
    path = Path(path).expanduser().resolve()
    for folder in (path, *path.parents):
        if (folder / "session.json").is_file():
            inside = path.relative_to(folder).parts
            if not inside or inside[0] in SESSION_INTERNALS:
                raise SessionError(
                    f"{name}={path} would overwrite the session at {folder}; write beside it "
                    "or into a new subfolder of it"
                )
            break
    if path.is_dir():
        for child in path.iterdir():
            if child.is_dir() and (child / "session.json").is_file():
                raise SessionError(
                    f"{name}={path} holds the session {child}; choose another folder"
                )


def _why_unreadable(error: Exception) -> str:
    if isinstance(error, ValidationError):
        if any(e["type"] == "json_invalid" for e in error.errors()):
            return "is not complete JSON (cut short or overwritten)"
        return "does not hold a mixchat version"
    if isinstance(error, OSError):
        return f"cannot be read ({error.strerror or error})"
    return "is not valid"
