"""What the tools answer: a short text for the model to read, the same facts as structured
content, and resource links to the takes and the audition page.

Every text passes through :func:`~..redaction.redact`: no key reaches an answer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mcp_types import CallToolResult, ResourceLink, TextContent

from ..errors import MinimaxCoverError, SpecValidationError
from ..money.pricing import format_usd
from ..redaction import redact
from ..spec.flat import flat_violations
from ..spec.task import CoverTask

if TYPE_CHECKING:
    from ..hooks.types import CoverResult
    from ..spec.model import ModelSpec

__all__ = ["TAKE_URI", "PAGE_URI", "cover_answer", "error_answer", "json_answer",
           "price_answer", "sandbox_note"]

#: Resource URIs of a saved take (``n`` from 1) and of a job's audition page.
TAKE_URI = "minimax-cover://takes/{task_uuid}/{n}"
PAGE_URI = "minimax-cover://pages/{task_uuid}"
SANDBOX_NOTE = ("SANDBOX: no API key is set, so this ran against the local sandbox (synthetic "
                "audio, not MiniMax; nothing was charged). Set RUNWARE_API_KEY for real covers.")


def sandbox_note(sandbox: bool) -> str:
    """The sandbox sentence for an answer ('' for the real service)."""
    return SANDBOX_NOTE if sandbox else ""


def _answer(text: str, structured: dict[str, Any], *, error: bool = False,
            links: list[ResourceLink] | None = None) -> CallToolResult:
    clean = json.loads(redact(json.dumps(structured)))
    return CallToolResult(content=[TextContent(type="text", text=redact(text)), *(links or [])],
                          structured_content=clean, is_error=error)


def json_answer(doc: dict[str, Any], text: str | None = None) -> CallToolResult:
    """A plain answer: ``text`` (default: the document as JSON) and ``doc`` as structured."""
    return _answer(text if text is not None else json.dumps(doc, indent=2), doc)


def cover_answer(result: CoverResult, spec: ModelSpec, page: Path | None) -> CallToolResult:
    """The answer of a finished cover: each saved file (absolute path), seed and cost, the
    total, the audition page and the sandbox note; links to the takes and the page."""
    takes = []
    links = []
    for n, out in enumerate(result.outputs, start=1):
        path = str(Path(out.path).resolve()) if out.path else None
        uri = TAKE_URI.format(task_uuid=result.task_uuid, n=n)
        takes.append({"n": n, "path": path, "seed": out.seed, "cost": out.cost,
                      "format": out.format, "uri": uri})
        if path:
            links.append(ResourceLink(name=Path(path).name, uri=uri,
                                      mimeType=_mime(out.format),
                                      description=f"take {n} of task {result.task_uuid}"))
    seed = _request_seed(result, spec)
    doc: dict[str, Any] = {
        "taskUUID": result.task_uuid, "sandbox": result.sandbox, "backend": result.backend_label,
        "resumed": result.resumed, "files": [t["path"] for t in takes if t["path"]],
        "seeds": [t["seed"] for t in takes], "seed": seed, "takes": takes,
        "costTotal": result.cost_total, "page": str(page) if page else None,
        "pageUri": PAGE_URI.format(task_uuid=result.task_uuid) if page else None,
        "warnings": list(result.warnings),
    }
    if page:
        links.append(ResourceLink(name=page.name, uri=doc["pageUri"], mimeType="text/html",
                                  description="audition page: the song and its takes, A/B"))
    lines = [f"Saved {len(doc['files'])} take(s) of task {result.task_uuid}"
             + (" (resumed, not paid again)" if result.resumed else "") + ":"]
    for t in takes:
        lines.append(f"  {t['path']}  seed {t['seed']}  cost {format_usd(t['cost'])}")
    lines.append(f"total cost: {format_usd(result.cost_total)}")
    if seed is not None:
        lines.append(f"seed: {seed} (the same song, prompt and seed make these takes again)")
    if page:
        lines.append(f"audition page: {page}")
    lines.extend(f"warning: {w}" for w in result.warnings)
    if result.sandbox:
        lines.append(SANDBOX_NOTE)
    return _answer("\n".join(lines), doc, links=links)


def price_answer(result: CoverResult, spec: ModelSpec) -> CallToolResult:
    """The answer of a dry run: the price in dollars, where it came from, nothing sent."""
    count = CoverTask(spec, result.request).number_results
    doc = {"priceUsd": result.estimated_cost, "price": format_usd(result.estimated_cost),
           "numberResults": count, "priceSource": result.price_source,
           "sandbox": result.sandbox, "dryRun": True, "warnings": list(result.warnings)}
    text = (f"Price: {format_usd(result.estimated_cost)} for {count} take(s) (from the "
            f"{result.price_source}). Dry run: nothing was uploaded, run or charged.")
    if result.sandbox:
        text += "\n" + SANDBOX_NOTE
    return _answer(text, doc)


def error_answer(exc: BaseException, spec: ModelSpec | None = None) -> CallToolResult:
    """A tool error (``isError``): the message, and for invalid arguments each field, rule and
    value; for a job that may have run, its taskUUID and how to resume it."""
    doc: dict[str, Any] = {"error": redact(str(exc)), "type": type(exc).__name__}
    if isinstance(exc, SpecValidationError):
        from ..spec.model import MINIMAX_MUSIC_COVER

        doc["violations"] = flat_violations(exc, spec or MINIMAX_MUSIC_COVER)
        doc["sent"] = False
        text = "Invalid arguments, nothing was sent:\n" + "\n".join(
            f"  - {v['field']}: {v['rule']}" + (f" (got {v['value']})" if v["value"] else "")
            for v in doc["violations"])
        return _answer(text, doc, error=True)
    task = getattr(exc, "task_uuid", None) if isinstance(exc, MinimaxCoverError) else None
    text = doc["error"]
    if task:
        doc["taskUUID"] = task
        text += f"\ntaskUUID {task}: call the resume tool with it to collect what was paid for."
    return _answer(text, doc, error=True)


def _request_seed(result: CoverResult, spec: ModelSpec) -> Any:
    return CoverTask(spec, result.request).seed


def _mime(fmt: str) -> str:
    from ..audio.formats import mime_type

    return mime_type(fmt)
