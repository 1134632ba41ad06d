"""One sandbox for a long-running host process (``minimax-cover mcp``, ``minimax-cover serve``).

A one-shot command with no key starts a sandbox per job (the Runware backend does). A server
keeps jobs across requests and restarts, so it starts one sandbox for its whole life and
points the documented variables (``RUNWARE_API_URL``, ``RUNWARE_API_KEY``) at it: every job,
resume, account and spend call of the process then meets the same sandbox, and answers say
``sandbox`` (its ``X-Sandbox`` header). A configured key or URL is left alone.
"""

from __future__ import annotations

import os
import secrets

from ..config import resolve_api_key
from ..constants import API_KEY_ENV, API_URL_ENV
from .server import Sandbox

__all__ = ["process_sandbox"]


def process_sandbox() -> Sandbox | None:
    """Start a sandbox for this process when no key and no URL are configured; return it.

    :returns: the started sandbox (stop it at exit), or ``None`` when a key or a URL is set.
    """
    if resolve_api_key() or os.environ.get(API_URL_ENV):
        return None
    key = "sandbox-" + secrets.token_hex(8)
    sandbox = Sandbox(api_key=key, banner=False, log=False).start()
    os.environ[API_URL_ENV] = sandbox.url
    os.environ[API_KEY_ENV] = key
    return sandbox
