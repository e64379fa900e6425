"""The MCP resources: the sessions this server opened, their versions, reports and plots.

URIs are ``mixchat://sessions`` (the open sessions), ``mixchat://sessions/{id}`` (one session
and the URIs of its resources), ``…/{id}/versions`` (the version list), ``…/{id}/versions/{n}``
(one version: settings, tool calls, reply, metrics), ``…/{id}/reports/{name}`` (a JSON report
the server kept: analysis, feedback, A/B) and ``…/{id}/plots/{group}/{name}`` (a PNG plot).
Nothing else on disk has a URI.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, TypeVar

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.types import Resource

from mixchat.assistant.mcp.redact import clean
from mixchat.assistant.mcp.sessions import URI_ROOT, SessionRegistry
from mixchat.assistant.turn.jsonable import json_ready
from mixchat.assistant.turn.summaries import session_summary, version_rows
from mixchat.dsp.errors import MixError

JSON = "application/json"
T = TypeVar("T")


def _text(data: Any) -> str:
    return clean(json.dumps(json_ready(data), ensure_ascii=False, indent=1, allow_nan=False))


def _found(read: Callable[[], T]) -> T:
    """A resource read whose refusals (unknown session, missing version) are "not found"."""
    try:
        return read()
    except MixError as error:
        raise ResourceNotFoundError(str(error)) from None


def register_resources(server: MCPServer[Any], registry: SessionRegistry) -> None:
    @server.resource(URI_ROOT, name="sessions", title="Open sessions", mime_type=JSON)
    def sessions() -> str:
        """The sessions this server has created or opened, with their resource URIs."""
        return _text([{"id": e.id, "path": str(e.path), "uri": e.uri} for e in registry.known()])

    @server.resource(f"{URI_ROOT}/{{session_id}}", name="session", mime_type=JSON)
    def session(session_id: str) -> str:
        """A session: stems, roles, sections, latest version, and its resources' URIs."""

        def read() -> str:
            opened, entry = registry.get(session_id)
            return _text(
                {**session_summary(opened), "id": entry.id, "resources": registry.uris(entry)}
            )

        return _found(read)

    @server.resource(f"{URI_ROOT}/{{session_id}}/versions", name="versions", mime_type=JSON)
    def versions(session_id: str) -> str:
        """A session's versions: number, parent, brief, summary, time."""
        return _found(lambda: _text(version_rows(registry.get(session_id)[0])))

    @server.resource(
        f"{URI_ROOT}/{{session_id}}/versions/{{number}}", name="version", mime_type=JSON
    )
    def version(session_id: str, number: int) -> str:
        """One version: its mix settings, tool calls, reply and measured metrics."""
        return _found(
            lambda: _text(registry.get(session_id)[0].load(number).model_dump(mode="json"))
        )

    @server.resource(f"{URI_ROOT}/{{session_id}}/reports/{{name}}", name="report", mime_type=JSON)
    def report(session_id: str, name: str) -> str:
        """A report the server kept in the session (analysis, feedback, A/B), as JSON."""
        return _found(lambda: clean(registry.report_text(registry.get(session_id)[1], name)))

    @server.resource(
        f"{URI_ROOT}/{{session_id}}/plots/{{group}}/{{name}}", name="plot", mime_type="image/png"
    )
    def plot(session_id: str, group: str, name: str) -> bytes:
        """A PNG plot the server kept in the session (spectrum, loudness, masking)."""
        return _found(lambda: registry.plot_bytes(registry.get(session_id)[1], group, name))


def listed_resources(registry: SessionRegistry) -> list[Resource]:
    """The concrete resources of every open session, for ``resources/list``."""
    listed = []
    for entry in registry.known():
        uris = registry.uris(entry)
        listed.append(Resource(uri=uris["session"], name=f"{entry.id}", mime_type=JSON))
        listed.append(Resource(uri=uris["versions"], name=f"{entry.id} versions", mime_type=JSON))
        listed += [
            Resource(uri=u, name=f"{entry.id} {u.rsplit('/', 1)[1]}", mime_type=JSON)
            for u in uris["reports"]
        ]
        listed += [
            Resource(uri=u, name=f"{entry.id} {u.split('/plots/', 1)[1]}", mime_type="image/png")
            for u in uris["plots"]
        ]
    return listed
