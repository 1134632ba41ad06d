"""A job's identity: its song's content and its normalized parameters, on one service.

The digest the journal knows a job by, shared by :class:`~.job.CoverJob` (resume an identical
unsaved job, claim it atomically) and batches (skip a saved job, whatever manifest it came
from). Two requests that differ only in ``taskUUID``, key order, the song's path or spelling
(the same bytes) are the same job. The service is the backend's endpoint; every local sandbox
counts as one service (``"sandbox"``: an in-process one gets a new port on every run), so a
saved sandbox job is recognized on the next run, while a task is only ever *resumed* on the
endpoint it was sent to (the journal row keeps it). An external sandbox on a fixed port
(``minimax-cover sandbox``) is known by its endpoint, like any other service.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from ..journal.store import request_digest

__all__ = ["SANDBOX_SERVICE", "job_identity", "service_of"]

SANDBOX_SERVICE = "sandbox"
_LOOPBACK = ("127.0.0.1", "localhost", "::1")
_services: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_services_lock = threading.Lock()


def service_of(backend: Any) -> str:
    """``"sandbox"`` for a backend on a local sandbox, else the backend's endpoint.

    Read once per backend, the first time (before it sent anything, a backend calls itself a
    sandbox only when it started one in-process), so every job of a batch sharing the backend
    gets the same identity whatever the backend learns from its answers later.
    """
    with _services_lock:
        try:
            known = _services.get(backend)
        except TypeError:  # not weak-referenceable: no memory
            known = None
        if known is not None:
            return known
        endpoint = str(getattr(backend, "endpoint", "") or "")
        host = urlsplit(endpoint).hostname or ""
        local = host in _LOOPBACK or host.startswith("127.")
        service = SANDBOX_SERVICE if local and getattr(backend, "sandbox", False) else endpoint
        try:
            _services[backend] = service
        except TypeError:
            pass
        return service


def same_service(backend: Any, like: Any) -> str:
    """Give ``backend`` the service ``like`` was read as (a batch row's own failover over the
    batch's shared backends: every row gets the batch's identity)."""
    service = service_of(like)
    with _services_lock:
        try:
            _services[backend] = service
        except TypeError:
            pass
    return service


def job_identity(request: Mapping[str, Any], fingerprint: str, service: str) -> str:
    """The digest of ``request`` without ``taskUUID``, the song's content ``fingerprint`` in
    place of ``inputs.audio``, on ``service`` (see :func:`service_of`)."""
    inputs = request.get("inputs")
    basis = {**request, "inputs": {**(inputs if isinstance(inputs, Mapping) else {}),
                                   "audio": fingerprint}}
    basis.pop("taskUUID", None)
    return request_digest({**basis, "_backend": service})
