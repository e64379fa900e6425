"""The sessions this server has created or opened, each with a short id for resource URIs.

Resources reach only these sessions, and inside each only its versions and what the server
keeps in ``reports/`` (JSON) and ``plots/`` (PNG). Names from a URI are checked against a plain
pattern and resolved inside the session, so no URI reaches another file. One lock per session
keeps two calls from writing one session at the same time.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mixchat.assistant.mcp.errors import AccessError
from mixchat.assistant.mcp.paths import PathPolicy
from mixchat.tools.atomic import write_json_atomic
from mixchat.tools.session import Session

URI_ROOT = "mixchat://sessions"
NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")
REPORTS, PLOTS = "reports", "plots"


@dataclass(frozen=True)
class OpenSession:
    id: str
    path: Path
    lock: threading.Lock = field(default_factory=threading.Lock, compare=False)

    @property
    def uri(self) -> str:
        return f"{URI_ROOT}/{self.id}"


class SessionRegistry:
    def __init__(self, policy: PathPolicy) -> None:
        self.policy = policy
        self._by_path: dict[Path, OpenSession] = {}
        self._by_id: dict[str, OpenSession] = {}
        self._guard = threading.Lock()

    # --- opening -----------------------------------------------------------------------
    def open(self, raw: str, *, name: str = "session") -> tuple[Session, OpenSession]:
        """The session at ``raw`` (a path a call names), checked and registered."""
        session = Session.open(self.policy.resolve(raw, name=name))
        self.policy.check_session(session)
        return session, self.register(session.path)

    def register(self, path: Path) -> OpenSession:
        real = Path(path).resolve()
        with self._guard:
            if real in self._by_path:
                return self._by_path[real]
            base = re.sub(r"[^A-Za-z0-9_.-]+", "_", real.name).strip("._-") or "session"
            sid, n = base, 2
            while sid in self._by_id:
                sid, n = f"{base}-{n}", n + 1
            entry = OpenSession(id=sid, path=real)
            self._by_path[real] = entry
            self._by_id[sid] = entry
            return entry

    def known(self) -> list[OpenSession]:
        with self._guard:
            return list(self._by_id.values())

    def get(self, sid: str) -> tuple[Session, OpenSession]:
        with self._guard:
            entry = self._by_id.get(sid)
        if entry is None:
            raise AccessError(
                f"session id {sid!r} is not open in this server; open it with a tool first "
                f"(known: {', '.join(self._by_id) or 'none'})"
            )
        return Session.open(entry.path), entry

    # --- what the server keeps in a session --------------------------------------------
    def save_report(self, entry: OpenSession, name: str, data: Any) -> str:
        """Write ``reports/NAME.json`` in the session; returns its resource URI."""
        folder = self._inner(entry, REPORTS, create=True)
        write_json_atomic(folder / f"{_checked(name)}.json", data)
        return f"{entry.uri}/{REPORTS}/{name}"

    def plots_folder(self, entry: OpenSession, name: str) -> Path:
        return self._inner(entry, PLOTS, create=True) / _checked(name)

    def report_names(self, entry: OpenSession) -> list[str]:
        folder = self._inner(entry, REPORTS)
        return sorted(p.stem for p in folder.glob("*.json") if _plain_file(p, folder))

    def plot_names(self, entry: OpenSession) -> list[str]:
        folder = self._inner(entry, PLOTS)
        return sorted(
            f"{p.parent.name}/{p.name}" for p in folder.glob("*/*.png") if _plain_file(p, folder)
        )

    def report_text(self, entry: OpenSession, name: str) -> str:
        folder = self._inner(entry, REPORTS)
        path = folder / f"{_checked(name)}.json"
        if not _plain_file(path, folder):
            raise AccessError(f"report {name!r} does not exist in session {entry.id!r}")
        return path.read_text(encoding="utf-8")

    def plot_bytes(self, entry: OpenSession, group: str, name: str) -> bytes:
        folder = self._inner(entry, PLOTS)
        path = folder / _checked(group) / _checked(name)
        if path.suffix != ".png" or not _plain_file(path, folder):
            raise AccessError(f"plot {group}/{name} does not exist in session {entry.id!r}")
        return path.read_bytes()

    def uris(self, entry: OpenSession) -> dict[str, Any]:
        return {
            "session": entry.uri,
            "versions": f"{entry.uri}/versions",
            "reports": [f"{entry.uri}/{REPORTS}/{n}" for n in self.report_names(entry)],
            "plots": [f"{entry.uri}/{PLOTS}/{n}" for n in self.plot_names(entry)],
        }

    def _inner(self, entry: OpenSession, name: str, *, create: bool = False) -> Path:
        folder = entry.path / name
        if create:
            folder.mkdir(exist_ok=True)
        if folder.exists() and not folder.resolve().is_relative_to(entry.path):
            raise AccessError(f"{folder} leads out of the session; remove the link")
        return folder


def _checked(name: str) -> str:
    if not NAME.match(name) or ".." in name:
        raise AccessError(f"name={name!r} is not a plain file name (letters, digits, _ . -)")
    return name


def _plain_file(path: Path, folder: Path) -> bool:
    """A regular file that really lies in ``folder`` (no link out of it)."""
    return path.is_file() and path.resolve().is_relative_to(folder.resolve())
