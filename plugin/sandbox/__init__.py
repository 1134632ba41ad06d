"""A local, clearly labelled Runware-compatible server for tests, demos and offline use.

``with Sandbox() as sb:`` serves ``POST sb.url`` (``http://127.0.0.1:PORT/v1``) with Runware's
protocol for ``minimax:music@cover`` (``shared/reference/runware-protocol.md`` §8.6), returns
real audio that is a synthetic transformation of the input (NOT a cover), and injects the
:class:`Fault` s it is given. It never contacts a non-loopback address. CLI:
``minimax-cover sandbox``.

Choices where Runware documents nothing:

- HTTP 400 when every task of a body was rejected, else 200 with ``data`` and ``errors``
  mixed. A failed generation of an accepted task is an ``errors`` entry (``processingFailed``,
  with ``resultIndex``) in a ``sync`` answer, an item with ``status: "error"`` in polls.
- ``getResponse`` for an unknown ``taskUUID``: HTTP 200, ``errors: [{code:
  "taskFailedOrNotFound"}]``. It also answers for ``sync`` tasks and ``mediaStorage`` uploads.
- A reused ``taskUUID`` of an accepted task: ``duplicateTaskUUID`` (the task is not run twice).
  A rejected task's UUID may be sent again.
- The ``async`` ack is ``{"taskType", "taskUUID", "status": "processing", "sandbox": true}``.
- ``inputs.audio``: a mediaUUID (or a result's audioUUID), a data URI, or a URL of this
  sandbox or another loopback server; anything else is ``downloadFailed``.
- Expired result URLs answer 404 ``resultExpired``; ``ttl`` is measured with ``clock``.
- Money (:mod:`.account`): an optional balance (HTTP 402 ``insufficientCredits`` when it cannot
  pay), ``X-Runware-Dry-Run: 1`` priced without running, ``accountManagement`` and
  ``getTaskDetails``.
- Every data item carries ``"sandbox": true``, every answer ``X-Sandbox: true``, every error
  message ends in ``[sandbox]``.
"""

from __future__ import annotations

from .faults import FAULT_KINDS, Fault
from .server import Sandbox

__all__ = ["FAULT_KINDS", "Fault", "Sandbox"]
