"""Built-in plugin: the default ``stage_audio`` answer.

URLs and UUIDs pass through unchanged; files, bytes and in-memory audio are checked against the
reference-audio limits and uploaded with the backend's own media upload (Runware
``mediaStorage``), giving a media UUID.
"""

from __future__ import annotations

from typing import Any

from ..hooks.specs import hookimpl
from ..hooks.types import Backend, JobContext


@hookimpl(trylast=True)
def stage_audio(source: Any, backend: Backend, context: JobContext) -> str | None:
    """Upload local audio through the backend; pass URLs and UUIDs through."""
    from ..spec.predicates import staged_reference
    from .staging import prepare_upload

    payload = prepare_upload(source)
    if payload is None:  # a URL or a UUID: nothing to upload
        return staged_reference(source) or str(source)
    data, mime = payload
    context.log.info("uploading %.1f MB of reference audio to %s", len(data) / 1e6, backend.label)
    return backend.upload_audio(data, mime=mime)
