"""What a backend is (the object that runs a request) and the per-job context hooks receive.

A backend is registered by name through the ``register_backends`` hook. The pipeline only talks
to backends through :class:`Backend`; only backends know a wire format.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from .journal import Journal
    from .protocol import GenerationResult, ProgressEvent, TaskResult
    from .registry import Registry
    from .spec import ModelSpec

__all__ = ["Backend", "JobContext", "ProgressCallback", "ResultCallback"]

ProgressCallback = Callable[["ProgressEvent"], None]
ResultCallback = Callable[["GenerationResult"], None]


@runtime_checkable
class Backend(Protocol):
    """The interface every backend implements.

    ``name`` is the registered name; ``label`` is what users read ("Runware", "Runware SANDBOX
    at http://127.0.0.1:5123/v1"); ``sandbox`` is True when no real model runs; ``endpoint`` is
    the base URL without credentials (journaled).
    """

    name: str
    label: str
    sandbox: bool
    endpoint: str

    def upload_audio(self, data: bytes, *, mime: str | None = None) -> str:
        """Upload reference audio; return what ``inputs.audio`` takes (UUID or URL)."""
        ...

    def run(
        self,
        request: dict[str, Any],
        *,
        on_progress: ProgressCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
        on_result: ResultCallback | None = None,
    ) -> TaskResult:
        """Submit ``request`` once and wait for every generation (never resubmits)."""
        ...

    def resume(
        self,
        request: dict[str, Any],
        *,
        on_progress: ProgressCallback | None = None,
        should_cancel: Callable[[], bool] | None = None,
        on_result: ResultCallback | None = None,
    ) -> TaskResult:
        """Collect the results of an already submitted ``request`` (same ``taskUUID``)."""
        ...

    def fetch(self, result: GenerationResult, dest: Path, *, expected_format: str) -> Path:
        """Download or decode ``result`` to ``dest``, checking its format; return the path."""
        ...

    def close(self) -> None:
        """Release connections (and stop an in-process sandbox the backend owns)."""
        ...


@dataclass
class JobContext:
    """Everything a hook may need about the job in progress.

    ``extra`` is free space for plugins (namespaced keys, e.g. ``"budget.limit"``).
    """

    spec: ModelSpec
    registry: Registry
    output_dir: Path
    backend_name: str | None = None
    backend: Backend | None = None
    journal: Journal | None = None
    task_uuid: str | None = None
    log: logging.Logger = field(default_factory=lambda: logging.getLogger("minimax_cover.job"))
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def sandbox(self) -> bool:
        """True when the job runs against a sandbox, not the real model."""
        return bool(self.backend and self.backend.sandbox)
