"""Which paths the MCP server may read and write.

A server that an AI client starts acts on the paths its calls name, so every path argument is
resolved first (``~``, ``..`` and symlinks included) and checked on what it really points to:

* With ``--root DIR`` (repeatable) every path must lie inside one of those folders, after
  resolution: a link or ``..`` that leads out is refused. Relative paths are taken from the
  first root.
* Without roots the server may use the paths the calls name (the client, and the person who
  approves its calls, decide), relative paths from the folder the server started in. The
  rules below hold either way.
* A stems folder is read only through the files in it: a link in it that leads out of the
  folder (and out of every root) is refused.
* A session is used only through its own folder: a link among its files that leads out of
  it is refused, and with roots every stem it reads must lie inside them.
* An output never overwrites a session's own files (``session.json``, ``chat.jsonl``,
  ``versions/``, ``cache/``) nor a folder that holds a session.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from mixchat.assistant.mcp.errors import AccessError
from mixchat.assistant.reading.files import file_mentions
from mixchat.tools.errors import SessionError
from mixchat.tools.session import Session, refuse_session_overwrite
from mixchat.tools.workspace import find_stem_files


@dataclass(frozen=True)
class PathPolicy:
    roots: tuple[Path, ...] = ()
    base: Path = field(default_factory=Path.cwd)

    @classmethod
    def from_roots(
        cls, roots: Sequence[Path | str] = (), *, base: Path | None = None
    ) -> PathPolicy:
        """A policy for these root folders (each must exist); none means "what calls name"."""
        resolved: list[Path] = []
        for raw in roots:
            path = Path(raw).expanduser().resolve()
            if not path.is_dir():
                raise AccessError(
                    f"--root {raw} is not an existing folder; create it or fix the path"
                )
            resolved.append(path)
        unique = tuple(dict.fromkeys(resolved))
        return cls(roots=unique, base=unique[0] if unique else (base or Path.cwd()).resolve())

    def describe(self) -> str:
        if not self.roots:
            return "the paths each call names (no --root given)"
        return "inside " + ", ".join(str(r) for r in self.roots)

    # --- one path ----------------------------------------------------------------------
    def resolve(self, raw: str | Path, *, name: str) -> Path:
        """``raw`` made absolute and real (links and ``..`` resolved), inside the roots."""
        text = str(raw)
        if not text.strip():
            raise AccessError(f"{name} is empty; give a path")
        if "\x00" in text:
            raise AccessError(f"{name}={text!r} holds a NUL character; give a plain path")
        path = Path(text).expanduser()
        real = (path if path.is_absolute() else self.base / path).resolve()
        if self.roots and not self.inside_roots(real):
            shown = text if text == str(real) else f"{text} (= {real})"
            raise AccessError(
                f"{name}={shown} is outside the folders this server may use "
                f"({', '.join(str(r) for r in self.roots)}); use a path inside them, or start "
                "`mixchat mcp` with --root for its folder"
            )
        return real

    def inside_roots(self, real: Path) -> bool:
        return any(real.is_relative_to(root) for root in self.roots)

    def output(self, raw: str | Path, *, name: str) -> Path:
        """A path to write: inside the roots, and never over a session's own files."""
        real = self.resolve(raw, name=name)
        try:
            refuse_session_overwrite(real, name=name)
        except SessionError as error:
            raise AccessError(str(error)) from None
        return real

    def refuse_stem_overwrite(self, real: Path, session: Session, *, name: str) -> None:
        """Refuse an output that is one of the session's own stem files."""
        for stem in session.meta.stems:
            if Path(stem.file).resolve() == real:
                raise AccessError(
                    f"{name}={real} is the stem {stem.name!r} of this session; choose another file"
                )

    def check_paths_in(self, text: str, *, name: str) -> None:
        """Refuse free text (a brief) that names an existing file outside the roots: a brief
        such as "make it sound like PATH" must not reach past them."""
        if not self.roots:
            return
        for mention in file_mentions(text, base=self.base):
            path = mention.path
            if path.exists() and not self.inside_roots(path.resolve()):
                raise AccessError(
                    f"{name} names {path}, outside the folders this server may use "
                    f"({', '.join(str(r) for r in self.roots)}); use a file inside them"
                )

    # --- folders and sessions ----------------------------------------------------------
    def check_stem_folder(self, folder: Path) -> None:
        """Refuse a stems folder whose audio files are links leading out of it."""
        for path in find_stem_files(folder):
            real = path.resolve()
            if not (real.is_relative_to(folder) or self.inside_roots(real)):
                raise AccessError(
                    f"{path} is a link to {real}, outside {folder}; copy the file into the "
                    "folder instead"
                )

    def check_session(self, session: Session) -> None:
        """Refuse a session whose files lead out of its folder, or (with roots) whose stems
        lie outside the roots."""
        folder = session.path.resolve()
        for child in folder.iterdir():
            if child.is_symlink() and not child.resolve().is_relative_to(folder):
                raise AccessError(
                    f"{child} is a link to {child.resolve()}, outside the session; remove the "
                    "link or copy what it points to into the session"
                )
        if not self.roots:
            return
        for stem in session.meta.stems:
            real = Path(stem.file).resolve()
            if not self.inside_roots(real):
                raise AccessError(
                    f"stem {stem.name!r} of {folder} is at {real}, outside the folders this "
                    f"server may use ({', '.join(str(r) for r in self.roots)}); start "
                    "`mixchat mcp` with --root for its folder"
                )
