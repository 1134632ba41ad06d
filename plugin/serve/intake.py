"""Reading a cover request off HTTP: a JSON body, or multipart (``song`` file + ``request``).

Everything is checked here, before the job is accepted: the spec's rules (every problem at
once, each naming its field), the song (an http(s) URL or media UUID in JSON; an uploaded
file's format and the model's audio limits), and ``callbackURL``. A rejected request sends
nothing anywhere. Uploaded songs are kept by content (``uploads/<sha256>.<ext>``), so a
retried upload is stored once and its job has the same identity.
"""

from __future__ import annotations

import hashlib
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import AudioError, SpecValidationError, Violation
from ..spec.model import ModelSpec

__all__ = ["CoverCall", "digest_of", "prepare_request", "song_reference", "store_upload"]

#: The delivery a service job uses when the request gives none (as the CLI: cancellable).
DEFAULT_DELIVERY = "async"


@dataclass
class CoverCall:
    """A checked request: the song (reference or stored path), the task, the callback."""

    song: str
    request: dict[str, Any]
    callback_url: str | None
    digest: str


def digest_of(song_identity: str, arguments: dict[str, Any]) -> str:
    """What an Idempotency-Key is bound to: the song and the arguments, canonical."""
    text = json.dumps({"song": song_identity, "arguments": arguments}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def song_reference(song: Any) -> str:
    """``song`` of a JSON body: an http(s) URL or a media UUID, never a server path.

    :raises SpecValidationError: anything else.
    """
    from ..spec.predicates import staged_reference

    ref = staged_reference(song) if isinstance(song, str) else None
    if ref is None:
        raise SpecValidationError([Violation(
            "song", "must be an http(s) URL or a media UUID (send a file as multipart/form-data "
            "with a song part; server-side paths are not accepted)", song,
            has_value=song is not None)])
    return ref


def store_upload(data: bytes, uploads: Path) -> Path:
    """Keep an uploaded song by content; return its path.

    :raises AudioError: not an audio file this model reads, or outside its limits.
    """
    from ..audio.formats import extension
    from ..audio.sniff import sniff_format
    from ..jobs.local_audio import check_local_audio

    fmt = sniff_format(data[:64])
    if fmt is None:
        raise AudioError("song: not an audio file this model reads (WAV, FLAC, MP3, OGG)")
    uploads.mkdir(parents=True, exist_ok=True)
    path = uploads / f"{hashlib.sha256(data).hexdigest()}.{extension(fmt)}"
    if not path.exists():
        part = path.with_name(f"{path.name}.{uuid.uuid4().hex}.part")
        part.write_bytes(data)
        os.replace(part, path)
    check_local_audio(str(path))
    return path


def prepare_request(arguments: dict[str, Any], song: str, spec: ModelSpec, *,
                    callbacks_enabled: bool) -> tuple[dict[str, Any], str | None]:
    """The task object of a job (``taskUUID`` decided now) and its ``callbackURL``.

    :param arguments: the flat arguments without ``song`` (spec fields by any keyword).
    :param song: the song's reference (URL/UUID) or stored path (validated with it).
    :raises SpecValidationError: every problem at once; nothing was sent.
    """
    from ..jobs.pipeline import build_request
    from ..spec.predicates import HTTP_URL_PATTERN, staged_reference
    from ..spec.validation import validate_params

    args = dict(arguments)
    callback = args.pop("callbackURL", None)
    problems: list[Violation] = []
    if callback is not None:
        import re

        if not isinstance(callback, str) or not re.match(HTTP_URL_PATTERN, callback):
            problems.append(Violation("callbackURL", "must be an http(s) URL", callback))
        elif not callbacks_enabled:
            problems.append(Violation("callbackURL", "needs the service started with "
                                      "--callback-secret (callbacks are signed)", callback))
    try:
        request = build_request(None, spec=spec, **args)
    except SpecValidationError as exc:
        raise SpecValidationError([*problems, *exc.violations]) from None
    try:
        allowed = spec.field("deliveryMethod").enum or ()
    except KeyError:
        allowed = ()
    if DEFAULT_DELIVERY in allowed:
        request.setdefault("deliveryMethod", DEFAULT_DELIVERY)
    ref = staged_reference(song)
    check = dict(request)
    if ref is not None:
        check["inputs"] = {**(check.get("inputs") or {}), "audio": ref}
    try:
        validate_params(check, spec)
    except SpecValidationError as exc:
        problems.extend(exc.violations)
    if problems:
        raise SpecValidationError(problems)
    request["taskUUID"] = str(uuid.uuid4())
    return request, callback
