"""The MCP tools: the command line's actions, typed, with every path checked first.

Each tool checks its paths with the server's ``PathPolicy``, opens sessions through the
``SessionRegistry`` (so their resources become readable), runs the same function the command
line runs in a worker thread with progress, and returns that function's JSON result plus the
session's id. Errors are raised as they are; the server turns them into one-line tool errors.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import Context, MCPServer
from mcp.types import ToolAnnotations
from pydantic import Field, WithJsonSchema

from mixchat.assistant.inspection.analyze import analyze_path
from mixchat.assistant.inspection.feedback import feedback_for_path
from mixchat.assistant.mcp.calls import ClientPlanner, calls_brief, calls_schema, parse_calls
from mixchat.assistant.mcp.paths import PathPolicy
from mixchat.assistant.mcp.sessions import OpenSession, SessionRegistry
from mixchat.assistant.mcp.work import Progress, run_work
from mixchat.assistant.turn.actions import answer, revert_to, run_automix, screenshot_feedback
from mixchat.assistant.turn.comparison import (
    ab_compare,
    export_session,
    master_file,
    render_version,
)
from mixchat.assistant.turn.conversation import handle_brief
from mixchat.assistant.turn.jsonable import json_ready
from mixchat.assistant.turn.summaries import (
    damaged_versions,
    session_summary,
    version_diff,
    version_rows,
)
from mixchat.tools.genres import resolve_genre
from mixchat.tools.session import Session, refuse_session_overwrite
from mixchat.tools.workspace import create_session

Ctx = Context[Any, Any]
Result = dict[str, Any]
SessionArg = Annotated[str, Field(description="Session folder (made by new_session)")]
VersionArg = Annotated[int, Field(ge=0, description="Version number")]
GenreArg = Annotated[
    str | None, Field(description="Genre for targets: pop, rock, hiphop, edm, ... (optional)")
]
PlotsArg = Annotated[
    str | None,
    Field(
        description="Folder for PNG plots (spectrum, loudness, masking). For a session they "
        "are kept in the session (as resources) when this is left out"
    ),
]

READS = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITES = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=False, open_world_hint=False
)
WRITES_AGAIN = ToolAnnotations(
    read_only_hint=False, destructive_hint=False, idempotent_hint=True, open_world_hint=False
)


def register_tools(server: MCPServer[Any], policy: PathPolicy, registry: SessionRegistry) -> None:
    def with_id(data: Any, entry: OpenSession) -> Result:
        return {**json_ready(data), "session_id": entry.id}

    async def in_session(
        ctx: Ctx | None, raw: str, fn: Callable[[Session, Progress], Any]
    ) -> tuple[Any, OpenSession]:
        """``fn(session, progress)`` in a worker, holding the session's lock, on the session
        as it is on disk once the lock is held."""
        _, entry = registry.open(raw)
        data = await run_work(ctx, lambda p: fn(Session.open(entry.path), p), lock=entry.lock)
        return data, entry

    @server.tool(title="New session", annotations=WRITES)
    async def new_session(
        ctx: Ctx,
        stems_dir: Annotated[
            str, Field(description="Folder of stems (WAV/FLAC/AIFF/MP3), one file per track")
        ],
        session: Annotated[
            str, Field(description="New folder for the session (must not hold one already)")
        ],
        genre: GenreArg = None,
    ) -> Result:
        """Create a session from a folder of stems. Version 0 is the unity sum: every stem at
        unity gain, centred, unprocessed. Roles, tempo and sections are detected."""
        stems = policy.resolve(stems_dir, name="stems_dir")
        policy.check_stem_folder(stems)
        target = policy.resolve(session, name="session")
        if not (target / "session.json").exists():  # else create_session says it is taken
            refuse_session_overwrite(target, name="session")
        chosen = resolve_genre(genre) if genre else None

        def work(progress: Any) -> Any:
            return create_session(stems, target, genre=chosen, progress=progress)

        created, warnings = await run_work(ctx, work)
        entry = registry.register(created.path)
        data = with_id(session_summary(created), entry)
        return {**data, "warnings": warnings, "resources": registry.uris(entry)}

    @server.tool(title="Open a session", annotations=READS)
    async def open_session(session: SessionArg) -> Result:
        """Open an existing session (made here or by `mixchat new`): its stems, roles,
        sections and latest version, and the URIs of its resources."""
        opened, entry = registry.open(session)
        return {**with_id(session_summary(opened), entry), "resources": registry.uris(entry)}

    @server.tool(title="Automix", annotations=WRITES)
    async def automix(ctx: Ctx, session: SessionArg, genre: GenreArg = None) -> Result:
        """The technical mix as a new version: gain staging, balance, EQ clean-up, masking
        resolved on the source, compression, panning and space, each move explained."""
        data, entry = await in_session(
            ctx, session, lambda opened, p: run_automix(opened, genre=genre, progress=p)
        )
        return with_id(data, entry)

    @server.tool(title="Say a brief", annotations=WRITES)
    async def say(
        ctx: Ctx,
        session: SessionArg,
        brief: Annotated[
            str,
            Field(
                description='A brief in plain words: "make it darker", "the vocal gets buried '
                'in the chorus", "a bit more", "undo that", "go back to version 3"'
            ),
        ],
        from_version: Annotated[
            int | None, Field(ge=0, description="Parent version (default: the latest)")
        ] = None,
    ) -> Result:
        """One brief → tool calls on the mix → a new version, with the reply: what changed,
        why, and what was measured on the render before and after. A question or a brief
        that needs no change makes no version (version is null)."""
        policy.check_paths_in(brief, name="brief")
        data, entry = await in_session(
            ctx,
            session,
            lambda opened, p: handle_brief(
                opened, brief, parent=from_version, progress=p, base=policy.base
            ),
        )
        return with_id(data, entry)

    @server.tool(title="Apply mix tools", annotations=WRITES)
    async def apply_tools(
        ctx: Ctx,
        session: SessionArg,
        calls: Annotated[
            list[dict[str, Any]],
            WithJsonSchema(calls_schema()),
            Field(
                description="Mix tool calls, applied in order as one new version. Each is "
                "{tool, args, reason?}; args follow that tool's schema (units in the names)"
            ),
        ],
        from_version: Annotated[
            int | None, Field(ge=0, description="Parent version (default: the latest)")
        ] = None,
        message: Annotated[str, Field(description="A line for the reply (optional)")] = "",
    ) -> Result:
        """Apply typed mix tool calls directly (the same tools and schemas the LLM planner
        uses): gains, EQ, filters, dynamics, pan and width, sends, buses, section automation,
        master. All calls are checked before any is applied; the result is a new version,
        rendered, measured and explained like a brief."""
        parsed = parse_calls(calls)
        planner = ClientPlanner(parsed, message=message)
        data, entry = await in_session(
            ctx,
            session,
            lambda opened, p: handle_brief(
                opened, calls_brief(parsed), parent=from_version, planner=planner, progress=p
            ),
        )
        return with_id(data, entry)

    @server.tool(title="Render", annotations=WRITES_AGAIN)
    async def render(
        ctx: Ctx,
        session: SessionArg,
        output: Annotated[str, Field(description="Audio file to write (.wav or .flac)")],
        version: Annotated[
            int | None, Field(ge=0, description="Version (default: the latest)")
        ] = None,
        stems_dir: Annotated[
            str | None,
            Field(description="Also write every track post-fader and each bus return here"),
        ] = None,
        master: Annotated[bool, Field(description="Apply the master chain")] = True,
    ) -> Result:
        """Render a version to an audio file (24-bit; 32-bit float WAV when the mix goes
        over full scale). Returns its integrated loudness and true peak."""
        out = policy.output(output, name="output")
        stems_out = policy.output(stems_dir, name="stems_dir") if stems_dir else None
        policy.refuse_stem_overwrite(out, registry.open(session)[0], name="output")
        data, entry = await in_session(
            ctx,
            session,
            lambda opened, p: render_version(
                opened, output=out, version=version, stems_dir=stems_out, master=master, progress=p
            ),
        )
        return with_id(data, entry)

    @server.tool(title="A/B two versions", annotations=WRITES_AGAIN)
    async def ab(
        ctx: Ctx,
        session: SessionArg,
        a: VersionArg,
        b: VersionArg,
        output_dir: Annotated[
            str | None,
            Field(description="Folder for the two level-matched WAVs (default: the session's ab/)"),
        ] = None,
    ) -> Result:
        """Level-matched A/B of two versions: both rendered and matched to the quieter one,
        written as a pair of WAVs, with the settings that differ and a metric table."""
        folder = policy.output(output_dir, name="output_dir") if output_dir else None
        data, entry = await in_session(
            ctx,
            session,
            lambda opened, p: ab_compare(
                opened, a, b, output=folder or opened.path / "ab", progress=p
            ),
        )
        report = registry.save_report(entry, f"ab_v{a:04d}_v{b:04d}", json_ready(data))
        return {**with_id(data, entry), "report": report}

    @server.tool(title="List versions", annotations=READS)
    async def versions(session: SessionArg) -> Result:
        """Every version of a session: number, parent, brief, summary, time (oldest first)."""
        opened, entry = registry.open(session)
        rows = version_rows(opened)
        return with_id({"versions": rows, "damaged": damaged_versions(opened, rows)}, entry)

    @server.tool(title="Diff two versions", annotations=READS)
    async def diff(session: SessionArg, a: VersionArg, b: VersionArg) -> Result:
        """The settings and the measured metrics that differ between versions A and B."""
        opened, entry = registry.open(session)
        return with_id(version_diff(opened, a, b), entry)

    @server.tool(title="Revert", annotations=WRITES)
    async def revert(session: SessionArg, version: VersionArg) -> Result:
        """A new version with the settings of VERSION. Nothing is deleted: versions are
        append-only."""
        data, entry = await in_session(None, session, lambda opened, p: revert_to(opened, version))
        return with_id(data, entry)

    async def inspect_path(
        ctx: Ctx, path: str, plots_dir: str | None, kind: str, fn: Any
    ) -> Result:
        """Analyze or feedback on a path; for a session, the report (and, unless plots_dir
        says otherwise, the plots) are kept in it as resources."""
        source = policy.resolve(path, name="path")
        plots = policy.output(plots_dir, name="plots_dir") if plots_dir else None
        if not (source / "session.json").is_file():
            if source.is_dir():
                policy.check_stem_folder(source)
            return json_ready(await run_work(ctx, lambda p: fn(source, plots, p)))
        opened, entry = registry.open(str(source), name="path")
        name = f"{kind}_v{opened.latest_number():04d}"
        plots = plots or registry.plots_folder(entry, name)
        data = await run_work(ctx, lambda p: fn(source, plots, p), lock=entry.lock)
        report = registry.save_report(entry, name, json_ready(data))
        return {**with_id(data, entry), "report": report, "resources": registry.uris(entry)}

    @server.tool(title="Analyze", annotations=WRITES_AGAIN)
    async def analyze(
        ctx: Ctx,
        path: Annotated[
            str, Field(description="A stems folder, a session folder or an audio file")
        ],
        plots_dir: PlotsArg = None,
    ) -> Result:
        """Measure loudness (LUFS, LRA, true peak), tone (bands, centroid, tilt), dynamics
        (crest, PLR), stereo (width, correlation), sections and masking between stems."""
        return await inspect_path(
            ctx,
            path,
            plots_dir,
            "analysis",
            lambda source, plots, p: analyze_path(source, plots_dir=plots, progress=p),
        )

    @server.tool(title="Feedback", annotations=WRITES_AGAIN)
    async def feedback(
        ctx: Ctx,
        path: Annotated[
            str, Field(description="A stems folder, a session folder or a finished mix")
        ],
        plots_dir: PlotsArg = None,
        genre: GenreArg = None,
    ) -> Result:
        """A Mix-Check-style report: what holds the mix back, each item with a severity, the
        numbers measured and an action."""
        return await inspect_path(
            ctx,
            path,
            plots_dir,
            "feedback",
            lambda source, plots, p: feedback_for_path(
                source, plots_dir=plots, genre=genre, progress=p
            ),
        )

    @server.tool(title="Ask", annotations=READS)
    async def ask(
        ctx: Ctx,
        question: Annotated[
            str, Field(description='e.g. "what attack on a CL1B for a ballad vocal?"')
        ],
        session: Annotated[
            str | None, Field(description="A session whose measurements to use (optional)")
        ] = None,
    ) -> Result:
        """Plugin and parameter questions, answered with numbers and sources."""
        opened = registry.open(session)[0] if session else None
        return json_ready(await run_work(ctx, lambda p: answer(question, session=opened)))

    @server.tool(title="Screenshot feedback", annotations=READS)
    async def screenshot(
        ctx: Ctx,
        image: Annotated[str, Field(description="PNG or JPEG screenshot of a plugin")],
        session: Annotated[
            str | None, Field(description="A session whose measurements to use (optional)")
        ] = None,
        role: Annotated[
            str | None, Field(description="Role of the track the plugin is on (vocal, ...)")
        ] = None,
    ) -> Result:
        """Read a plugin screenshot (its type, name and settings) and comment on them."""
        picture = policy.resolve(image, name="image")
        opened = registry.open(session)[0] if session else None
        return json_ready(
            await run_work(ctx, lambda p: screenshot_feedback(picture, session=opened, role=role))
        )

    @server.tool(title="Master", annotations=WRITES_AGAIN)
    async def master(
        ctx: Ctx,
        input: Annotated[str, Field(description="The stereo mix to master (an audio file)")],
        output: Annotated[str, Field(description="The mastered file to write (.wav or .flac)")],
        target: Annotated[
            str, Field(description="spotify, apple, youtube, club, or a LUFS number such as -12")
        ] = "spotify",
        ceiling_dbtp: Annotated[
            float, Field(ge=-12.0, le=0.0, description="True-peak ceiling, dBTP")
        ] = -1.0,
        reference: Annotated[
            str | None, Field(description="A reference track whose loudness to match")
        ] = None,
    ) -> Result:
        """Master a stereo mix to a platform's loudness under a true-peak ceiling."""
        source = policy.resolve(input, name="input")
        out = policy.output(output, name="output")
        ref = policy.resolve(reference, name="reference") if reference else None
        data = await run_work(
            ctx,
            lambda p: master_file(
                source,
                output=out,
                target=target,
                ceiling_dbtp=ceiling_dbtp,
                reference=ref,
                progress=p,
            ),
        )
        return json_ready(data)

    @server.tool(title="Export", annotations=WRITES)
    async def export(
        ctx: Ctx,
        session: SessionArg,
        format: Annotated[
            Literal["dawproject", "reaper", "stems"],
            Field(description="dawproject (Bitwig, Studio One, Cubase), reaper, or stems"),
        ],
        output: Annotated[str, Field(description="File (.dawproject, .rpp) or folder to write")],
        version: Annotated[
            int | None, Field(ge=0, description="Version (default: the latest)")
        ] = None,
        force: Annotated[bool, Field(description="Overwrite an existing destination")] = False,
    ) -> Result:
        """Export a version to a DAW project or as processed stems."""
        out = policy.output(output, name="output")
        data, entry = await in_session(
            ctx,
            session,
            lambda opened, p: export_session(
                opened, fmt=format, output=out, version=version, force=force, progress=p
            ),
        )
        return with_id(data, entry)
