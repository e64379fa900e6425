"""The MCP prompts: the common flows, as text kept in ``prompts/`` (``mcp_*.md``)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import PurePath
from string import Template
from typing import Annotated, Any

from mcp import MCPError
from mcp.server.mcpserver import MCPServer
from mcp.types import INVALID_PARAMS
from pydantic import Field

from mixchat.dsp.errors import MixError
from mixchat.dsp.master import PLATFORM_TARGETS_LUFS, parse_target


def _template(name: str) -> Template:
    return Template(files("mixchat.prompts").joinpath(name).read_text(encoding="utf-8"))


def register_prompts(server: MCPServer[Any]) -> None:
    @server.prompt(name="mix_these_stems", title="Mix these stems")
    def mix_these_stems(
        stems_dir: Annotated[str, Field(description="Folder of stems")],
        session: Annotated[
            str, Field(description="Session folder (default: STEMS_DIR.mix beside the stems)")
        ] = "",
        genre: Annotated[str, Field(description="Genre (pop, rock, ...), optional")] = "",
        goal: Annotated[str, Field(description="What the mix should feel like, optional")] = "",
    ) -> str:
        """Create a session from a folder of stems, automix it, work on it with briefs, A/B
        and render it."""
        stems = stems_dir.rstrip("/\\") or stems_dir
        return _template("mcp_mix_these_stems.md").substitute(
            stems_dir=stems,
            session=session or str(PurePath(stems).with_name(PurePath(stems).name + ".mix")),
            genre_arg=f' and genre="{genre}"' if genre else "",
            goal_line=f"The goal: {goal}." if goal else "",
        )

    @server.prompt(name="master_for_platform", title="Master for a platform")
    def master_for_platform(
        input: Annotated[str, Field(description="The stereo mix to master")],
        platform: Annotated[
            str, Field(description="spotify, apple, youtube, club, or a LUFS number")
        ] = "spotify",
        output: Annotated[str, Field(description="Mastered file (default: beside the input)")] = "",
        ceiling_dbtp: Annotated[str, Field(description="True-peak ceiling, dBTP")] = "-1.0",
    ) -> str:
        """Master a mix to a platform's loudness under a true-peak ceiling, and report it."""
        source = PurePath(input)
        name = platform.strip().lower()
        try:
            target_lufs = parse_target(name)
        except MixError as error:  # the request fails with the reason, not "internal error"
            raise MCPError(code=INVALID_PARAMS, message=str(error)) from None
        known = ", ".join(f"{k} {v:g} LUFS" for k, v in PLATFORM_TARGETS_LUFS.items())
        return _template("mcp_master_for_platform.md").substitute(
            input=input,
            platform=name,
            output=output or str(source.with_name(f"{source.stem}_{name}_master.wav")),
            target=name,
            ceiling=ceiling_dbtp,
            platform_line=f"The target is {target_lufs:g} LUFS integrated (targets: {known}).",
        )
