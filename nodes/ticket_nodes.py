"""*MiniMax Cover Submit* and *MiniMax Cover Collect*: several covers running at the same time.

The one-node cover submits and waits, so a workflow with three covers runs them one after the
other. Split in two, each *Submit* node returns a ticket (``MINIMAX_COVER_TICKET``) as soon as
the journal holds its job as sent (:mod:`~..plugin.jobs.tickets`; the job runs on), and one
*Collect* node takes one or many tickets and returns every take as one AUDIO batch: three
Submit nodes on one song run their covers together. A ticket whose job is not running in this
process (ComfyUI restarted) is collected from the journal by ``taskUUID``, never paid again; an
identical job saved before is reused at no cost unless ``again`` is on, as with the cover node.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ..plugin.errors import Interrupted, SpecValidationError
from . import widgets as W
from .cover_node import (
    AGAIN_INPUT,
    COVER_CATEGORY,
    PREPROCESS_INPUT,
    NodeInputError,
    _fingerprint,
    _output_dir,
    _to_violations,
    check_inputs,
    node_job,
    price_text,
    takes_of,
)
from .definition import DefinedNode, InputDef, NodeDef, OutputDef
from .host import make_reporter

if TYPE_CHECKING:
    from ..plugin.jobs.tickets import CoverTicket
    from ..plugin.spec.model import ModelSpec

__all__ = ["COLLECT_NODE_ID", "MAX_TICKETS", "SUBMIT_NODE_ID", "TICKET_TYPE",
           "MiniMaxCoverCollect", "make_submit_node", "ticket_nodes"]

TICKET_TYPE = "MINIMAX_COVER_TICKET"
SUBMIT_NODE_ID = "MiniMaxCoverSubmit"
COLLECT_NODE_ID = "MiniMaxCoverCollect"
#: How many tickets one Collect node takes (``ticket``, ``ticket_2`` ... ``ticket_8``).
MAX_TICKETS = 8


def submit_definition(spec: ModelSpec) -> NodeDef:
    """The Submit node: the cover node's inputs, a ticket out."""
    widgets = W.input_defs(spec)
    required = tuple(i for i in widgets if not i.optional)
    optional = tuple(i for i in widgets if i.optional)
    return NodeDef(
        SUBMIT_NODE_ID, "MiniMax Cover Submit", COVER_CATEGORY,
        description=(f"Submit one {spec.name} job and return its ticket at once (the job "
                     "runs on); wire tickets into MiniMax Cover Collect. Several Submit nodes "
                     "run their covers at the same time."),
        inputs=(*required, PREPROCESS_INPUT, *optional, AGAIN_INPUT),
        outputs=(OutputDef(TICKET_TYPE, "ticket", "The submitted job (its taskUUID)."),),
        hidden={"unique_id": "UNIQUE_ID"}, is_api_node=False)


def collect_definition() -> NodeDef:
    """The Collect node: one required ticket, more optional ones; the takes out."""
    tickets = tuple(InputDef("ticket" if i == 1 else f"ticket_{i}", TICKET_TYPE,
                             tooltip="A ticket from MiniMax Cover Submit.", optional=i > 1)
                    for i in range(1, MAX_TICKETS + 1))
    return NodeDef(
        COLLECT_NODE_ID, "MiniMax Cover Collect", COVER_CATEGORY,
        description=("Wait for the tickets' covers and return every take, in ticket order, as "
                     "one AUDIO batch; a ticket of an earlier ComfyUI session is collected from "
                     "the journal (never paid again)."),
        inputs=tickets,
        outputs=(OutputDef("AUDIO", "audio", "Every take of every ticket, as one batch."),
                 OutputDef("FLOAT", "cost", "Total cost in USD of the collected jobs."),
                 OutputDef("STRING", "task_uuids", "The tickets' taskUUIDs as a JSON list.")),
        hidden={"unique_id": "UNIQUE_ID"}, is_api_node=False)


def _journal_path() -> str:
    from ..plugin.journal.store import default_journal_path

    return str(default_journal_path())


def make_submit_node(spec: ModelSpec) -> type:
    """The Submit node class of ``spec`` (the built-in model's is registered)."""

    class MiniMaxCoverSubmit(DefinedNode):
        SPEC = spec
        FUNCTION = "submit"

        @classmethod
        def node_definition(cls) -> NodeDef:
            return submit_definition(cls.SPEC)

        @classmethod
        def VALIDATE_INPUTS(cls, **kwargs: Any) -> bool | str:  # noqa: N802
            problems = check_inputs(cls.SPEC, kwargs)
            return True if not problems else "; ".join(str(v) for v in problems)

        @classmethod
        def IS_CHANGED(cls, **kwargs: Any) -> str:  # noqa: N802
            return _fingerprint(cls.SPEC, kwargs)

        def submit(self, audio: Any = None, preprocess: Any = None, unique_id: Any = None,
                   **kwargs: Any) -> tuple[Any]:
            """Start the job; return its ticket once the journal holds it."""
            return (_submit(type(self).SPEC, audio=audio, preprocess=preprocess,
                            unique_id=unique_id, values=kwargs),)

    return MiniMaxCoverSubmit


def _submit(spec: ModelSpec, *, audio: Any, preprocess: Any, unique_id: Any,
            values: dict[str, Any]) -> CoverTicket:
    from ..plugin.jobs.tickets import submit

    source, request = node_job(spec, SUBMIT_NODE_ID, audio=audio, preprocess=preprocess,
                               values=values)
    reporter = make_reporter(None if unique_id is None else str(unique_id),
                             sandbox=bool(getattr(preprocess, "sandbox", False)))
    shown = price_text(spec, values)
    reporter.send_text("Status: submitting" + (f"\n{shown}" if shown else ""))
    output_dir = _output_dir()

    def start(on_journaled: Any) -> Any:  # the job cover() runs, told when it is journaled
        from ..plugin.hooks.registry import get_registry
        from ..plugin.jobs.job import CoverJob, RunOptions
        from ..plugin.jobs.pipeline import build_request

        job = CoverJob.create(source, build_request(request, spec=spec), spec=spec,
                              registry=get_registry(), output_dir=output_dir,
                              options=RunOptions(decode=True, again=bool(values.get("again")),
                                                 on_journaled=on_journaled))
        return job.run()

    try:
        ticket = submit(start, journal=_journal_path(), should_cancel=reporter.should_cancel)
    except Interrupted as exc:
        reporter.raise_interrupt(exc)
    except SpecValidationError as exc:
        if isinstance(exc, NodeInputError):
            raise
        raise NodeInputError(_to_violations(spec, exc), SUBMIT_NODE_ID) from exc
    reporter.send_text(f"Status: {'reused' if ticket.reused else 'submitted'}\n"
                       f"taskUUID: {ticket.task_uuid}")
    return ticket


class MiniMaxCoverCollect(DefinedNode):
    """Wait for one or many tickets and return their takes."""

    FUNCTION = "collect"

    @classmethod
    def node_definition(cls) -> NodeDef:
        return collect_definition()

    def collect(self, ticket: Any, unique_id: Any = None, **more: Any) -> tuple[Any, ...]:
        """Every take of the tickets, in order, as one AUDIO batch; their cost and taskUUIDs."""
        from ..plugin.hooks.registry import get_registry
        from ..plugin.jobs.tickets import collect
        from ..plugin.spec.model import MINIMAX_MUSIC_COVER
        from .audio_bridge import to_comfy_audio

        tickets = [ticket, *(more[k] for k in sorted(more, key=_order) if more[k] is not None)]
        reporter = make_reporter(None if unique_id is None else str(unique_id))
        reporter.send_text(f"Status: collecting {len(tickets)} cover(s)")
        try:
            results = collect(tickets, resume=_from_journal,
                              should_cancel=reporter.should_cancel)
        except Interrupted as exc:
            reporter.raise_interrupt(exc)
        spec = get_registry().model(MINIMAX_MUSIC_COVER.model_id)
        takes = takes_of(results, spec, COLLECT_NODE_ID)
        cost = sum(float(r.cost_total or 0.0) for r in results)
        reporter.send_text(f"Status: done, {len(takes)} take(s) from {len(results)} cover(s)")
        return (to_comfy_audio(takes), cost, json.dumps([r.task_uuid for r in results]))


def _order(name: str) -> int:
    return int(name.rsplit("_", 1)[1]) if name.startswith("ticket_") else 0


def _from_journal(ticket: CoverTicket) -> Any:
    """A ticket of another session: saved files read back, or its task collected by
    ``taskUUID`` (never submitted again)."""
    from ..plugin.errors import MinimaxCoverError
    from ..plugin.jobs.pipeline import resume_job
    from ..plugin.jobs.tickets import saved_result
    from ..plugin.journal.store import Journal

    with Journal(ticket.journal) if ticket.journal else Journal() as journal:
        record = journal.get(ticket.task_uuid)
        if record is None:
            raise MinimaxCoverError(f"{COLLECT_NODE_ID}: task {ticket.task_uuid} is not in the "
                                    f"journal {journal.path}")
        if record.status == "saved":
            return saved_result(record)
        return resume_job(ticket.task_uuid, journal=journal, decode=True)


def ticket_nodes() -> list[tuple[str, type, str]]:
    """``[(node_id, class, display_name)]`` of the Submit and Collect nodes."""
    from ..plugin.spec.model import MINIMAX_MUSIC_COVER

    return [(SUBMIT_NODE_ID, make_submit_node(MINIMAX_MUSIC_COVER), "MiniMax Cover Submit"),
            (COLLECT_NODE_ID, MiniMaxCoverCollect, "MiniMax Cover Collect")]


