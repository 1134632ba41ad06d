"""Manifests: the rows of a batch, read from a CSV or JSONL file, a folder of songs, or Python.

One row is one cover: a ``song`` (a path, relative to the manifest's folder, an http(s) URL or
a media UUID) plus any model parameter by its spec name, path or alias (``positivePrompt``,
``prompt``, ``seed``, ``numberResults``, ``outputFormat``, ``settings.lyrics`` or ``lyrics``),
and optionally a ``lyrics_file`` (a text file, relative to the manifest's folder)::

    song,prompt,seed                                 {"song": "a.wav", "prompt": "...", "seed": 1}
    a.wav,warm acoustic folk with brushed drums,1    {"song": "b.wav", "lyrics_file": "b.txt"}

Paths in a manifest file stay inside its folder unless ``allow_outside`` (``--allow-outside``):
a row whose ``song`` or ``lyrics_file`` reaches outside is an invalid row (:func:`confine`).

CSV cells are text; :func:`coerce_cell` turns them into the field's type (``"42"`` -> ``42``)
so a CSV row and the JSONL row with the same values are the same job. Empty cells are absent.
Nothing here validates parameters: :mod:`.checks` does, for every row, before anything runs.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..audio.formats import AUDIO_SUFFIXES
from ..errors import UsageError
from ..spec.model import ModelSpec
from ..spec.predicates import staged_reference

__all__ = [
    "LYRICS_FILE",
    "SONG",
    "ManifestRow",
    "coerce_cell",
    "read_manifest",
    "rows_from_folder",
    "rows_from_mappings",
]

SONG = "song"
LYRICS_FILE = "lyrics_file"
_TRUE = frozenset({"true", "yes", "1", "on"})
_FALSE = frozenset({"false", "no", "0", "off"})


@dataclass
class ManifestRow:
    """One row of a manifest, as read (nothing validated yet).

    :param number: 1-based row number among the data rows (the header is not a row).
    :param song: the song as written (a path, URL or media UUID), or ``None`` when missing.
    :param params: model parameters by any spec keyword, typed (CSV cells coerced).
    :param base_dir: the folder relative paths (song, ``lyrics_file``) are resolved against.
    :param line: the line in the manifest file where the row starts (``None`` from Python).
    :param lyrics_file: the ``lyrics_file`` column, if any.
    :param problems: ``(field, rule, value)`` found while reading (a line that is not JSON...).
    """

    number: int
    song: Any
    params: dict[str, Any] = field(default_factory=dict)
    base_dir: Path = field(default_factory=Path.cwd)
    line: int | None = None
    lyrics_file: str | None = None
    problems: list[tuple[str, str, Any]] = field(default_factory=list)

    @property
    def source(self) -> Any:
        """The song as the pipeline takes it: a URL/UUID as is, a path resolved to a file."""
        if not isinstance(self.song, (str, os.PathLike)):
            return self.song
        reference = staged_reference(self.song) if isinstance(self.song, str) else None
        if reference is not None:
            return reference
        path = Path(os.path.expanduser(os.fspath(self.song)))
        return str(path if path.is_absolute() else self.base_dir / path)

    @property
    def label(self) -> str:
        """The song as the user wrote it, for messages and the report."""
        return os.fspath(self.song) if isinstance(self.song, (str, os.PathLike)) else repr(
            self.song)


def coerce_cell(text: str, key: str, spec: ModelSpec) -> Any:
    """A CSV cell as the type of the field ``key`` names (unknown keys and bad values: as is).

    Integers and numbers are parsed, booleans read ``true/false/yes/no/1/0``, and an object
    placement (``audioSettings``) may hold JSON. A value that does not parse is left as text, so
    validation names the field, the rule and the value.
    """
    from ..spec.aliases import keyword_table

    value = text.strip()
    f = keyword_table(spec).get(key)
    if f is None:
        if value.startswith("{"):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value
    try:
        if f.type == "integer":
            return int(value)
        if f.type == "number":
            return float(value)
    except ValueError:
        return value
    if f.type == "boolean" and value.lower() in _TRUE | _FALSE:
        return value.lower() in _TRUE
    return value


def _split(record: Mapping[str, Any], number: int, base_dir: Path, line: int | None
           ) -> ManifestRow:
    params = {str(k).strip(): v for k, v in record.items() if k is not None}
    song = params.pop(SONG, None)
    lyrics_file = params.pop(LYRICS_FILE, None)
    row = ManifestRow(number=number, song=song, params=params, base_dir=base_dir, line=line,
                      lyrics_file=str(lyrics_file) if lyrics_file is not None else None)
    if song is None or (isinstance(song, str) and not song.strip()):
        row.problems.append((SONG, "is required (a path, an http(s) URL or a media UUID)", None))
    elif not isinstance(song, (str, os.PathLike)):
        row.problems.append((SONG, "must be a path, URL or media UUID (text)", song))
    return row


def _read_csv(path: Path, spec: ModelSpec) -> list[ManifestRow]:
    rows: list[ManifestRow] = []
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.DictReader(fh)
        if not reader.fieldnames or SONG not in [n.strip() for n in reader.fieldnames]:
            found = ", ".join(reader.fieldnames or []) or "none"
            raise UsageError(f"{path}: the header row must have a {SONG!r} column "
                             f"(columns found: {found})")
        line = reader.line_num + 1
        for number, record in enumerate(reader, start=1):
            extra = record.pop(None, None)  # type: ignore[call-overload]
            cells = {k.strip(): coerce_cell(v, k.strip(), spec) for k, v in record.items()
                     if k is not None and v is not None and v.strip() != ""}
            row = _split(cells, number, path.parent, line)
            if extra:
                row.problems.append(("(row)", f"has {len(extra)} cell(s) more than the header",
                                     extra))
            rows.append(row)
            line = reader.line_num + 1
    return rows


def _read_jsonl(path: Path) -> list[ManifestRow]:
    rows: list[ManifestRow] = []
    with open(path, encoding="utf-8-sig") as fh:
        for line_no, text in enumerate(fh, start=1):
            if not text.strip():
                continue
            number = len(rows) + 1
            try:
                record = json.loads(text)
            except (ValueError, RecursionError) as exc:
                why = exc.msg if isinstance(exc, json.JSONDecodeError) else (
                    "nested too deep" if isinstance(exc, RecursionError) else str(exc))
                row = ManifestRow(number=number, song=None, base_dir=path.parent, line=line_no)
                row.problems.append(("(row)", f"is not JSON ({why})", text.strip()[:60]))
                rows.append(row)
                continue
            if not isinstance(record, dict):
                row = ManifestRow(number=number, song=None, base_dir=path.parent, line=line_no)
                row.problems.append(("(row)", "must be a JSON object", record))
                rows.append(row)
                continue
            rows.append(_split(record, number, path.parent, line_no))
    return rows


def rows_from_folder(folder: Path, *, leave_out: Collection[str] = ()) -> list[ManifestRow]:
    """One row per audio file in ``folder`` (not recursive, so no output subfolder; sorted by
    name).

    :param leave_out: absolute paths of files to leave out: the covers this project wrote
        (``batch SONGS -o SONGS`` must not cover its own covers on the next run).
    """
    skip = {os.path.normcase(os.path.abspath(f)) for f in leave_out}
    songs = sorted(p for p in folder.iterdir()
                   if p.is_file() and p.suffix.lower() in AUDIO_SUFFIXES
                   and os.path.normcase(os.path.abspath(p)) not in skip)
    return [ManifestRow(number=i, song=p.name, base_dir=folder) for i, p in
            enumerate(songs, start=1)]


def rows_from_mappings(items: Iterable[Any], base_dir: Path | None = None) -> list[ManifestRow]:
    """Rows from Python: mappings like a JSONL line, :class:`ManifestRow` objects, or songs.

    A plain string or path is a row with only a ``song``.
    """
    base = base_dir or Path.cwd()
    rows: list[ManifestRow] = []
    for number, item in enumerate(items, start=1):
        if isinstance(item, ManifestRow):
            item.number = number
            rows.append(item)
        elif isinstance(item, Mapping):
            rows.append(_split(dict(item), number, base, None))
        else:
            rows.append(_split({SONG: item}, number, base, None))
    return rows


def _outside(path_text: str, base_dir: Path, root: Path) -> bool:
    path = Path(os.path.expanduser(path_text))
    resolved = (path if path.is_absolute() else base_dir / path).resolve()
    return not resolved.is_relative_to(root)


def confine(rows: list[ManifestRow], folder: Path) -> None:
    """Mark rows whose ``song`` or ``lyrics_file`` path reaches outside ``folder`` (``..``,
    an absolute path, a symbolic link out) as invalid; such a ``lyrics_file`` is never read.

    A manifest cannot make the tool read (and send, and write into the receipt) a file the
    user did not put beside it: the config file with the API key, ``/etc/...``.
    """
    root = folder.resolve()
    rule = f"must stay inside the manifest's folder {folder} (--allow-outside permits it)"
    for row in rows:
        if row.lyrics_file is not None and _outside(row.lyrics_file, row.base_dir, root):
            row.problems.append((LYRICS_FILE, rule, row.lyrics_file))
            row.lyrics_file = None
        song = row.song
        if isinstance(song, (str, os.PathLike)) and (
                not isinstance(song, str) or (song.strip() and staged_reference(song) is None)
        ) and _outside(os.fspath(song), row.base_dir, root):
            row.problems.append((SONG, rule, os.fspath(song)))


def read_manifest(path: str | os.PathLike[str], spec: ModelSpec, *,
                  leave_out: Collection[str] = (), allow_outside: bool = False
                  ) -> list[ManifestRow]:
    """The rows of a ``.csv`` or ``.jsonl`` manifest, or of a folder of songs (less the files
    in ``leave_out``, see :func:`rows_from_folder`).

    :param allow_outside: let ``song`` and ``lyrics_file`` paths reach outside the
        manifest's folder (else such rows are invalid, see :func:`confine`).
    :raises UsageError: the path does not exist, has another suffix, cannot be read, or a CSV
        has no ``song`` column (one line naming the file).
    """
    p = Path(path)
    if p.is_dir():
        return rows_from_folder(p, leave_out=leave_out)
    if not p.is_file():
        raise UsageError(f"MANIFEST: no such file or folder: {p}")
    rows = _read_file(p, spec)
    if not allow_outside:
        confine(rows, p.parent)
    return rows


def _read_file(p: Path, spec: ModelSpec) -> list[ManifestRow]:
    suffix = p.suffix.lower()
    try:
        if suffix == ".csv":
            return _read_csv(p, spec)
        if suffix in (".jsonl", ".ndjson"):
            return _read_jsonl(p)
    except UnicodeDecodeError as exc:
        raise UsageError(f"{p}: not UTF-8 text ({exc.reason})") from None
    except csv.Error as exc:
        raise UsageError(f"{p}: not a readable CSV ({exc})") from None
    raise UsageError(f"MANIFEST: must be a .csv or .jsonl file or a folder of songs (got {p})")
