"""What the service answers about a job (``GET /v1/covers/{id}``, the callback's body).

Files are links (``/v1/covers/{id}/files/{n}``), never server paths; every text is redacted.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ..hooks.types import CoverResult
    from ..spec.model import ModelSpec
    from .store import ServiceJob

__all__ = ["RESUMABLE", "job_view", "summary_of"]

#: Statuses a ``POST /v1/covers/{id}/resume`` may continue (paid or possibly paid, not saved).
RESUMABLE = ("canceled", "unknown", "paid-not-saved")


def summary_of(result: CoverResult, spec: ModelSpec) -> dict[str, Any]:
    """The stored outcome of a finished job: files, seeds, costs, where it ran."""
    takes = [{"n": n, "path": str(o.path) if o.path else None, "seed": o.seed, "cost": o.cost,
              "format": o.format} for n, o in enumerate(result.outputs, start=1)]
    from ..spec.task import CoverTask

    seed = CoverTask(spec, result.request).seed
    return {"taskUUID": result.task_uuid, "takes": takes, "seed": seed,
            "costTotal": result.cost_total, "sandbox": result.sandbox,
            "backend": result.backend_label, "resumed": result.resumed,
            "warnings": list(result.warnings)}


def job_view(job: ServiceJob) -> dict[str, Any]:
    """The JSON document of ``job``: top-level ``id`` and ``status``, then the outcome."""
    summary = job.summary or {}
    takes = summary.get("takes") or []
    files = [{"n": t["n"], "url": f"/v1/covers/{job.id}/files/{t['n']}", "seed": t.get("seed"),
              "cost": t.get("cost"), "format": t.get("format")} for t in takes if t.get("path")]
    return {
        "id": job.id, "status": job.status,
        "taskUUID": summary.get("taskUUID") or job.task_uuid,
        "files": files, "seeds": [t.get("seed") for t in takes],
        "seed": summary.get("seed", job.request.get("seed")),
        "costTotal": summary.get("costTotal"), "sandbox": summary.get("sandbox"),
        "resumable": job.status in RESUMABLE, "error": job.error,
        "warnings": summary.get("warnings", []),
        "createdAt": job.created_at, "updatedAt": job.updated_at,
    }
