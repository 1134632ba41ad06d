"""A row's identity, and the file names its outputs get.

**Identity.** A job is known by its song's content and its normalized parameters (defaults
filled, ``taskUUID`` left out) on one service, whatever manifest, path or spelling it came
from: :func:`~..jobs.identity.job_identity`, the digest :class:`~..jobs.job.CoverJob` claims
and journals every job under. A CSV row with ``seed`` ``"42"`` and a JSONL row with ``42`` are
the same job; so is a ``cover`` run of the same song with the same options.

**Names.** Outputs are named after the row's song (``chorus.wav`` -> ``chorus.mp3``, numbered
``chorus_1.mp3``... with ``numberResults`` > 1). When that name is taken, by another row of the
batch or by a file on disk the journal does not know as this job's, the stem gets the first
characters of the identity (``chorus-3fa2b1c9``): a row never overwrites another row's files,
and the same row gets the same name on every run.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from ..jobs.identity import job_identity, service_of
from ..jobs.job import output_path
from ..spec.predicates import is_url, is_uuid

__all__ = ["job_identity", "output_files", "service_of", "song_stem", "unique_stem"]

_UNSAFE = re.compile(r"[^\w.\- ]+")
_MAX_STEM = 96


def song_stem(song: Any) -> str:
    """A file-name stem from a song: a file's stem, a URL's last segment, ``media-<uuid>``."""
    text = os.fspath(song) if isinstance(song, (str, os.PathLike)) else str(song)
    text = text if isinstance(text, str) else os.fsdecode(text)
    if is_url(text):
        name = unquote(urlsplit(text).path.rstrip("/").rsplit("/", 1)[-1])
        stem = Path(name).stem or (urlsplit(text).hostname or "song")
    elif is_uuid(text.strip()):
        stem = f"media-{text.strip()[:8]}"
    else:
        stem = Path(text).stem
    stem = _UNSAFE.sub("_", stem).strip(" ._")[:_MAX_STEM]
    return stem or "song"


def output_files(out_dir: Path, stem: str, total: int, fmt: str) -> list[Path]:
    """The paths a job with ``total`` results in ``fmt`` writes under ``stem``."""
    return [output_path(out_dir, stem, i, total, fmt) for i in range(total)]


def unique_stem(stem: str, identity: str, out_dir: Path, total: int, fmt: str,
                taken: set[str], own_files: Collection[str]) -> str:
    """``stem``, or ``stem-<identity prefix>`` when another row or file holds that name.

    :param taken: stems (lower case) already given to other rows of this batch; updated.
    :param own_files: paths the journal records for this identity (its own partial results).
    """
    own = {os.path.abspath(f) for f in own_files}
    for candidate in (stem, f"{stem}-{identity[:8]}", f"{stem}-{identity[:16]}", identity):
        if candidate.lower() in taken:
            continue
        paths = output_files(out_dir, candidate, total, fmt)
        if any(p.exists() and os.path.abspath(p) not in own for p in paths):
            continue
        taken.add(candidate.lower())
        return candidate
    raise FileExistsError(f"no free output name for {stem!r} in {out_dir}")  # pragma: no cover
