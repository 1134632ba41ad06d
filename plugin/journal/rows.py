"""Values as a journal row stores them: canonical JSON, redacted, without inline audio.

Every text written passes through :func:`~..redaction.redact`, so no key or header reaches a
row; result items lose their inline audio (``"inline": true`` instead), endpoints their user
info, query and fragment.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ..redaction import redact

__all__ = [
    "canonical_json",
    "clean_endpoint",
    "clean_result",
    "clean_song",
    "dump_json",
    "load_json",
    "merge_results",
    "now_iso",
    "request_digest",
    "sum_costs",
]

# Result fields that carry the audio itself; the journal keeps a note, never the data.
_INLINE_KEYS = frozenset({"audiobase64data", "audiodatauri", "base64data", "datauri"})
_MAX_TEXT_FIELD = 4096


def canonical_json(value: Any) -> str:
    """``value`` as compact JSON with sorted keys (equal values give equal text)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def request_digest(request: dict[str, Any]) -> str:
    """The sha256 (hex) of ``request`` as canonical JSON (sorted keys), ``taskUUID`` left out.

    Two requests that differ only in ``taskUUID`` or in key order have the same digest, so a
    repeated request can find the unsaved job it duplicates.
    """
    body = {key: value for key, value in request.items() if key != "taskUUID"}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


def now_iso() -> str:
    """The current UTC time, ISO 8601 with microseconds (sorts as text)."""
    return datetime.now(timezone.utc).isoformat(timespec="microseconds")


def dump_json(value: Any) -> str:
    """``value`` as canonical JSON, redacted: the form every JSON column is written in."""
    return redact(canonical_json(value))


def load_json(text: str | None, default: Any) -> Any:
    """A JSON column decoded, or ``default`` when it is empty or unreadable."""
    if not text:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def clean_endpoint(endpoint: str) -> str:
    """The base URL without user info, query or fragment, redacted."""
    try:
        parts = urlsplit(endpoint)
    except ValueError:
        return redact(endpoint)
    if not parts.scheme or not parts.netloc:
        return redact(endpoint)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port is not None:
        netloc += f":{parts.port}"
    return redact(urlunsplit((parts.scheme, netloc, parts.path, "", "")))


def clean_song(song: str | None) -> str | None:
    """A song as the journal keeps it: a URL without user info, query or fragment (a presigned
    URL's signature is a credential), anything else redacted."""
    if song is None:
        return None
    if song.startswith(("http://", "https://")):
        return clean_endpoint(song)
    return redact(song)


def _looks_inline(value: str) -> bool:
    return value.startswith("data:") or len(value) > _MAX_TEXT_FIELD


def clean_result(value: Any) -> Any:
    """A result item without inline audio: such fields become ``"inline": true``."""
    if isinstance(value, list):
        return [clean_result(item) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    inline = False
    for key, item in value.items():
        if isinstance(item, str) and (key.lower() in _INLINE_KEYS or _looks_inline(item)):
            inline = inline or bool(item)
            continue
        out[key] = clean_result(item)
    if inline:
        out["inline"] = True
    return out


def merge_results(old: list[Any], new: list[Any]) -> list[Any]:
    """``old`` plus ``new``: items with the same ``audioUUID`` are merged (non-null fields of
    the newer item win); items without one are added unless an identical item is present."""
    merged = [dict(item) if isinstance(item, dict) else item for item in old]
    index = {
        item.get("audioUUID"): i
        for i, item in enumerate(merged)
        if isinstance(item, dict) and item.get("audioUUID")
    }
    seen = {canonical_json(item) for item in merged}
    for item in new:
        uuid = item.get("audioUUID") if isinstance(item, dict) else None
        if uuid and uuid in index:
            target = merged[index[uuid]]
            target.update({k: v for k, v in item.items() if v is not None})
        elif canonical_json(item) not in seen:
            if uuid:
                index[uuid] = len(merged)
            merged.append(item)
            seen.add(canonical_json(item))
    return merged


def sum_costs(results: list[Any]) -> float | None:
    """The summed ``cost`` of result items, or ``None`` when none has one."""
    costs = [item.get("cost") for item in results if isinstance(item, dict)]
    known = [float(c) for c in costs if isinstance(c, (int, float)) and not isinstance(c, bool)]
    return sum(known) if known else None
