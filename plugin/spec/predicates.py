"""The one set of predicates on request values: http(s) URL, UUID, absolute URI.

Each predicate agrees with the JSON Schema rule of the same name (the patterns below are the
schema's), so "is this already something ``inputs.audio`` takes?" gets the same answer in the
pipeline, in staging, in the MiniMax backend and in validation. Predicates never strip or
normalise: callers that accept user text strip it first (:func:`staged_reference`).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "HTTP_URL_PATTERN",
    "UUID4_PATTERN",
    "UUID_PATTERN",
    "is_absolute_uri",
    "is_media_reference",
    "is_url",
    "is_uuid",
    "is_uuid4",
    "staged_reference",
]

#: An http(s) URL: Runware POSTs webhooks, PUTs uploads and fetches audio over HTTP(S) only.
HTTP_URL_PATTERN = "^https?://[^\\s/?#]+[^\\s]*$"
#: A UUID in its canonical 8-4-4-4-12 hexadecimal form (any version), e.g. a media UUID.
UUID_PATTERN = "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
#: A version-4 UUID (the spec requires "UUID v4" for taskUUID).
UUID4_PATTERN = (
    "^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-4[0-9a-fA-F]{3}-[89abAB][0-9a-fA-F]{3}-[0-9a-fA-F]{12}$"
)

_HTTP_URL = re.compile(HTTP_URL_PATTERN)
_UUID = re.compile(UUID_PATTERN)
_UUID4 = re.compile(UUID4_PATTERN)


def is_url(value: Any) -> bool:
    """True for an ``http://`` or ``https://`` URL string with a host and no whitespace."""
    return isinstance(value, str) and _HTTP_URL.match(value) is not None


def is_uuid(value: Any) -> bool:
    """True for a canonical 36-character UUID string (any version)."""
    return isinstance(value, str) and _UUID.match(value) is not None


def is_uuid4(value: Any) -> bool:
    """True for a canonical version-4 UUID string."""
    return isinstance(value, str) and _UUID4.match(value) is not None


def is_absolute_uri(value: Any) -> bool:
    """True for a string with a scheme and a host (``data:`` and ``urn:`` need no host)."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return bool(parts.scheme and (parts.netloc or parts.scheme in ("data", "urn")))


def is_media_reference(value: Any) -> bool:
    """True for what ``inputs.audio`` takes as it is: an http(s) URL or a media UUID."""
    return is_url(value) or is_uuid(value)


def staged_reference(value: Any) -> str | None:
    """``value`` stripped when it is a URL or a media UUID (nothing to upload), else ``None``."""
    if not isinstance(value, str):
        return None
    text = value.strip()
    return text if is_media_reference(text) else None
