"""``mixchat mcp``: the server, its error messages, and its transports.

Every failure of a call comes back as an MCP tool error (``isError: true``) with the same one
line the command line prints, and the server keeps serving: bad arguments, refused paths,
missing versions and even bugs end that call only. No configured API key ever leaves the
server: every result and error text is scrubbed of it.
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, Resource, TextContent
from pydantic import ValidationError

from mixchat.assistant.mcp.paths import PathPolicy
from mixchat.assistant.mcp.prompts import register_prompts
from mixchat.assistant.mcp.redact import clean, clean_data
from mixchat.assistant.mcp.resources import listed_resources, register_resources
from mixchat.assistant.mcp.sessions import SessionRegistry
from mixchat.assistant.mcp.tools import register_tools
from mixchat.dsp.errors import MixError
from mixchat.dsp.state import validation_message
from mixchat.tools.config import load_settings
from mixchat.tools.errors import ConfigError, os_error_message

logger = logging.getLogger("mixchat.mcp")

INSTRUCTIONS = """\
mixchat mixes multitrack stems. Start with new_session (a folder of stems -> a session folder),
then automix. Change the mix with say (a brief in plain words: "make it darker", "the vocal gets
buried in the chorus", "a bit more", "undo that") or apply_tools (exact typed moves). Every
change is a new version: versions lists them, diff and ab compare two (ab level-matches them),
revert returns to one; nothing is ever deleted. render writes a version to an audio file;
analyze and feedback measure stems, sessions or mixes; master masters a stereo file for a
platform; export writes a DAW project or processed stems; ask answers plugin questions;
screenshot comments on a plugin screenshot. Paths should be absolute.
"""


def error_line(tool: str, error: ToolError) -> str:
    """The one line a failed call answers with (the command line's message for the same
    failure)."""
    cause = error.__cause__
    if isinstance(cause, ValidationError):
        text = f"{tool}: {validation_message(cause)}"
    elif isinstance(cause, MixError | ToolError):
        text = str(cause)
    elif isinstance(cause, OSError):
        text = os_error_message(cause)
    elif cause is None:
        text = str(error)
    else:
        logger.error("%s failed", tool, exc_info=cause)
        text = (
            f"internal error in {tool} ({type(cause).__name__}: {cause}); nothing already saved "
            "is lost and the server keeps running; its log (stderr) has the details"
        )
    return clean(" ".join(text.split()))


class MixchatServer(MCPServer[Any]):
    """MCPServer whose tool calls fail with one clear line and never leak a key."""

    def __init__(self, registry: SessionRegistry, **settings: Any) -> None:
        super().__init__(**settings)
        self.registry = registry
        self._arguments: dict[str, set[str]] = {}

    async def call_tool(
        self, name: str, arguments: dict[str, Any], context: Context[Any, Any] | None = None
    ) -> Any:
        try:
            await self._check_names(name, arguments)
            result = await super().call_tool(name, arguments, context)
        except ToolError as error:
            raise ToolError(error_line(name, error)) from None
        if isinstance(result, CallToolResult):
            result = result.model_copy(
                update={
                    "content": [
                        c.model_copy(update={"text": clean(c.text)})
                        if isinstance(c, TextContent)
                        else c
                        for c in result.content
                    ],
                    "structured_content": clean_data(result.structured_content),
                }
            )
        return result

    async def _check_names(self, name: str, arguments: dict[str, Any]) -> None:
        """Refuse arguments the tool does not have (a typo must not be silently ignored)."""
        if not self._arguments:
            for tool in await self.list_tools():
                self._arguments[tool.name] = set(tool.input_schema.get("properties", {}))
        if name not in self._arguments:
            known = ", ".join(sorted(self._arguments))
            raise ToolError(f"there is no tool {name!r}; the tools are {known}")
        unknown = sorted(set(arguments) - self._arguments[name])
        if unknown:
            allowed = ", ".join(sorted(self._arguments[name])) or "none"
            raise ToolError(f"{name}: unknown argument(s) {unknown}; its arguments are {allowed}")

    async def list_resources(self) -> list[Resource]:
        return [*await super().list_resources(), *listed_resources(self.registry)]


def build_server(roots: Sequence[Path | str] = ()) -> MixchatServer:
    policy = PathPolicy.from_roots(roots)
    registry = SessionRegistry(policy)
    server = MixchatServer(
        registry,
        name="mixchat",
        title="mixchat: a conversational mixing assistant",
        instructions=INSTRUCTIONS + f"Paths this server may use: {policy.describe()}.",
        version=_version(),
        log_level="DEBUG" if _debugging() else "WARNING",
    )
    register_tools(server, policy, registry)
    register_resources(server, registry)
    register_prompts(server)
    return server


def _debugging() -> bool:
    """MIXCHAT_DEBUG=1: the SDK's and mixchat's debug log on stderr."""
    try:
        return load_settings().debug
    except ConfigError:
        return False


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mixchat")
    except PackageNotFoundError:
        return "0"


def serve(
    *, http_port: int | None = None, host: str = "127.0.0.1", roots: Sequence[Path] = ()
) -> None:
    """Serve over stdio (the default) or streamable HTTP on ``host:http_port``/mcp."""
    server = build_server(roots)
    if http_port is None:
        server.run("stdio")
        return
    _check_port(host, http_port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"mixchat mcp: serving on {host}:{http_port} without authentication: anyone who can "
            "reach this address can use the tools",
            file=sys.stderr,
        )
    print(f"mixchat mcp: http://{host}:{http_port}/mcp", file=sys.stderr)
    server.run("streamable-http", host=host, port=http_port)


def _check_port(host: str, port: int) -> None:
    """Fail with one line when the port is taken (uvicorn would only log it)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise MixError(
                f"--http {port}: cannot listen on {host}:{port} ({error.strerror}); choose "
                "another port or stop what is using it"
            ) from None
