"""The MCP server: the tools of :mod:`.tools`, the takes and audition pages as resources.

``cover`` and ``price`` take the spec's fields flat, with an ``inputSchema`` generated from
the spec (:func:`.arguments.cover_input_schema`): the SDK builds a tool's schema from a typed
function, so these two are registered as :class:`~mcp.server.mcpserver.tools.Tool` objects
whose schema is the spec's and whose arguments reach the coroutine as one dict (the spec, not
pydantic, judges them: a tool error names each field, rule and value).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError
from mcp.server.mcpserver.tools import Tool
from mcp.server.mcpserver.utilities.func_metadata import ArgModelBase
from mcp_types import CallToolResult, ToolAnnotations
from pydantic import ConfigDict

from ..spec.model import MINIMAX_MUSIC_COVER, ModelSpec
from .arguments import cost_note, cover_input_schema
from .tools import CoverTools

__all__ = ["SERVER_NAME", "build_server"]

SERVER_NAME = "minimax-cover"
INSTRUCTIONS = (
    "Covers of songs with MiniMax Music Cover (Runware minimax:music@cover): keep a song's "
    "vocal melody, change its voice, instruments and genre with a prompt. Call price first to "
    "see what a job costs; cover saves the takes and answers their absolute paths, seeds, cost "
    "and an audition page. A job that was paid for but not saved (cancelled, network lost) is "
    "collected by resume with its taskUUID, never paid twice.")


class _FlatArguments(ArgModelBase):
    """Every argument, unchecked here, handed to the tool as ``arguments`` (the spec checks)."""

    model_config = ConfigDict(extra="allow")

    def model_dump_one_level(self) -> dict[str, Any]:
        return {"arguments": dict(self.model_extra or {})}


def _spec_tool(fn: Any, name: str, description: str, schema: dict[str, Any],
               annotations: ToolAnnotations) -> Tool:
    """A tool whose ``inputSchema`` is ``schema`` and whose arguments arrive as one dict."""
    tool = Tool.from_function(fn, name=name, description=description, annotations=annotations,
                              structured_output=False)
    tool.parameters = schema
    tool.fn_metadata.arg_model = _FlatArguments
    return tool


def build_server(output_root: str | Path, spec: ModelSpec = MINIMAX_MUSIC_COVER) -> MCPServer:
    """The MCP server with every tool and resource; run it with ``.run("stdio")``.

    :param output_root: where takes are saved when a call gives no ``output``.
    """
    from ... import __version__

    tools = CoverTools(Path(output_root).expanduser().resolve(), spec)
    schema = cover_input_schema(spec)
    price = cost_note(spec)

    async def cover(arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        return await tools.cover(arguments, ctx)

    async def price_tool(arguments: dict[str, Any], ctx: Context) -> CallToolResult:
        return await tools.price(arguments, ctx)

    spec_tools = [
        _spec_tool(cover, "cover", (
            f"Cover a song with {spec.name}: the song (path, http(s) URL or media UUID), a "
            "positivePrompt (10-300 characters) and optional lyrics, numberResults, seed, "
            f"outputFormat... Saves the takes and answers their absolute paths, seeds and cost. "
            f"PAID: {price} Use price first. Progress is reported while it runs; a cancelled "
            "call leaves the job resumable (resume tool)."),
            schema, ToolAnnotations(title="Cover a song", read_only_hint=False,
                                    destructive_hint=False, idempotent_hint=False,
                                    open_world_hint=True)),
        _spec_tool(price_tool, "price", (
            "What the same cover would cost, in dollars, without running it: a dry run, "
            "nothing is uploaded, run or charged. Same arguments as cover. FREE."),
            schema, ToolAnnotations(title="Price a cover", read_only_hint=True,
                                    open_world_hint=True)),
    ]
    server: MCPServer = MCPServer(SERVER_NAME, version=__version__, instructions=INSTRUCTIONS,
                                  tools=spec_tools)
    server.add_tool(tools.batch, name="batch", description=(
        "Cover every row of a manifest (a .csv or .jsonl path, or a folder of songs). PAID: "
        f"each row costs what its cover costs ({price}); max_cost caps the batch in USD and "
        "dry_run prices it for free. Rows already saved are skipped, none paid twice."),
        annotations=ToolAnnotations(title="Batch of covers", read_only_hint=False,
                                    open_world_hint=True), structured_output=False)
    server.add_tool(tools.job_status, name="job_status", description=(
        "A job's status in the journal by taskUUID: files, cost, error, resumable. FREE."),
        annotations=ToolAnnotations(read_only_hint=True), structured_output=False)
    server.add_tool(tools.resume, name="resume", description=(
        "Collect a job that was paid for but not saved, by taskUUID: never submits it again, "
        "costs nothing more."), annotations=ToolAnnotations(read_only_hint=False,
                                                            idempotent_hint=True),
        structured_output=False)
    server.add_tool(tools.account, name="account", description=(
        "The account's balance, today's spending (journal) and the spending caps. FREE."),
        annotations=ToolAnnotations(read_only_hint=True), structured_output=False)
    server.add_tool(tools.spend, name="spend", description=(
        "What was spent, from the journal: every job sent (seeds, cost, files) and totals by "
        "day; since: YYYY-MM-DD, today, yesterday or Nd. FREE."),
        annotations=ToolAnnotations(read_only_hint=True), structured_output=False)
    _add_resources(server)
    return server


def _add_resources(server: MCPServer) -> None:
    """Saved takes (``minimax-cover://takes/{task_uuid}/{n}``) and audition pages
    (``minimax-cover://pages/{task_uuid}``), read from the journal's record of the job."""

    @server.resource("minimax-cover://takes/{task_uuid}/{n}", name="take",
                     description="A saved take of a job (n from 1), as audio bytes.")
    def take(task_uuid: str, n: str) -> bytes:
        files = _files(task_uuid)
        try:
            index = int(n) - 1
            if index < 0:
                raise IndexError
            return Path(files[index]).read_bytes()
        except (ValueError, IndexError):
            raise ResourceError(f"task {task_uuid} has {len(files)} saved take(s), "
                                f"no take {n}") from None
        except OSError as exc:
            raise ResourceError(f"take {n} of task {task_uuid}: {exc.strerror}") from None

    @server.resource("minimax-cover://pages/{task_uuid}", name="audition page",
                     mime_type="text/html",
                     description="The audition page of a job: the song and its takes, A/B.")
    def page(task_uuid: str) -> str:
        from ..audition import page_path_for_files

        files = _files(task_uuid)
        if not files:
            raise ResourceError(f"task {task_uuid} saved no take")
        path = page_path_for_files(files)
        try:
            return path.read_text(encoding="utf-8")
        except OSError:
            raise ResourceError(f"task {task_uuid} has no audition page ({path})") from None


def _files(task_uuid: str) -> list[str]:
    from ..journal.store import Journal

    with Journal() as journal:
        record = journal.get(task_uuid)
    if record is None:
        raise ResourceError(f"no job {task_uuid} in the journal")
    return list(record.files)
