"""Every row checked before anything is uploaded or paid for: parameters, then the song.

:func:`check_rows` builds each row's request (command-line defaults, then the row's own
values, then its ``lyrics_file``), validates it against the spec exactly as a single cover
does (:func:`~..spec.validation.validate_params`), and checks the song against the
reference-audio limits (:func:`~..jobs.local_audio.check_local_audio`). Problems are collected
for every row at once, each naming the row, the field, the rule and the value.

A song used by several rows is read once: its limits check and content fingerprint are cached
by path, size and modification time.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import AudioError, SpecValidationError, Violation, short_repr
from ..jobs.local_audio import check_local_audio, fingerprint
from ..jobs.silence import check_silence
from ..spec.aliases import request_from_keywords
from ..spec.model import ModelSpec
from ..spec.predicates import staged_reference
from ..spec.validation import validate_params
from .manifest import LYRICS_FILE, SONG, ManifestRow

__all__ = ["BatchValidationError", "CheckedRow", "RowProblem", "SongCache", "check_rows"]

_INTERNAL = ("taskUUID", "taskType")


@dataclass(frozen=True)
class RowProblem:
    """One broken rule of one row: where, which field, which rule, what value."""

    row: int
    field: str
    rule: str
    value: Any = None
    has_value: bool = True
    line: int | None = None
    song: str | None = None

    def __str__(self) -> str:
        where = f"row {self.row}" + (f" (line {self.line})" if self.line else "")
        song = f" [{self.song}]" if self.song else ""
        got = f" (got {short_repr(self.value)})" if self.has_value else ""
        return f"{where}{song}: {self.field}: {self.rule}{got}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"row": self.row, "line": self.line, "song": self.song, "field": self.field,
                "rule": self.rule, "value": self.value if self.has_value else None}


class BatchValidationError(SpecValidationError):
    """Rows of a batch break the spec or the reference-audio limits; nothing was sent.

    ``problems`` lists every :class:`RowProblem` (row number, field, rule, value);
    ``violations`` the same as :class:`Violation` objects whose path starts with the row.
    """

    def __init__(self, problems: list[RowProblem], total_rows: int) -> None:
        self.problems = list(problems)
        super().__init__([Violation(f"row {p.row}: {p.field}", p.rule, p.value,
                                    has_value=p.has_value) for p in problems])
        rows = len({p.row for p in problems})
        lines = "\n".join(f"  - {p}" for p in problems)
        self.args = (f"invalid manifest: {rows} of {total_rows} row(s) cannot run, nothing was "
                     f"sent (--skip-invalid runs the others):\n{lines}",)


@dataclass
class CheckedRow:
    """A row that passed every check: its normalized request and its song's fingerprint."""

    row: ManifestRow
    request: dict[str, Any]
    source: Any
    fingerprint: str
    problems: list[RowProblem] = field(default_factory=list)

    @property
    def valid(self) -> bool:
        """True when the row may run."""
        return not self.problems


class SongCache:
    """Limits, silence checks and fingerprints of local songs, once per file version.

    :param allow_silent: a (near-)silent song is a warning, not an invalid row.
    """

    def __init__(self, *, allow_silent: bool = False) -> None:
        self._seen: dict[Any, tuple[str, BaseException | None]] = {}
        self.allow_silent = allow_silent
        self.warnings: dict[str, str] = {}

    def _key(self, source: Any) -> Any:
        if isinstance(source, str) and staged_reference(source) is None:
            try:
                st = os.stat(source)
            except OSError:
                return None
            return (os.path.abspath(source), st.st_size, st.st_mtime_ns)
        return None

    def check(self, source: Any) -> str:
        """The song's fingerprint after its limits check (raises what the check raises)."""
        key = self._key(source)
        if key is not None and key in self._seen:
            digest, error = self._seen[key]
            if error is not None:
                raise error
            return digest
        try:
            check_local_audio(source)
            silent = check_silence(source, allow=self.allow_silent, what=str(source))
            if silent:
                self.warnings[str(source)] = silent
        except (AudioError, SpecValidationError) as exc:
            if key is not None:
                self._seen[key] = ("", exc)
            raise
        digest = fingerprint(source)
        if key is not None:
            self._seen[key] = (digest, None)
        return digest


def _problem(row: ManifestRow, name: str, rule: str, value: Any = None,
             has_value: bool = True) -> RowProblem:
    return RowProblem(row.number, name, rule, value, has_value, row.line,
                      row.label if row.song is not None else None)


def _lyrics(row: ManifestRow) -> tuple[str | None, RowProblem | None]:
    if row.lyrics_file is None:
        return None, None
    path = Path(os.path.expanduser(row.lyrics_file))
    path = path if path.is_absolute() else row.base_dir / path
    try:
        return path.read_text(encoding="utf-8").strip(), None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        return None, _problem(row, LYRICS_FILE, f"cannot read: {reason}", row.lyrics_file)


def _names_lyrics(key: str, spec: ModelSpec) -> bool:
    from ..spec.aliases import keyword_table

    f = keyword_table(spec).get(key)
    return f is not None and f.path == "settings.lyrics"


def build_row_request(row: ManifestRow, defaults: dict[str, Any], spec: ModelSpec
                      ) -> tuple[dict[str, Any], list[RowProblem]]:
    """The row's request (defaults, then its values, then its lyrics file) and its problems."""
    problems: list[RowProblem] = []
    params = dict(row.params)
    for name in _INTERNAL:
        if name in params:
            problems.append(_problem(row, name, "is set by the batch, one per job",
                                     params.pop(name)))
    try:
        request = request_from_keywords(defaults, spec, **params)
    except SpecValidationError as exc:
        problems.extend(_problem(row, v.path, v.rule, v.value, v.has_value)
                        for v in exc.violations)
        bad = {v.path for v in exc.violations}  # unknown keywords: check the rest anyway
        try:
            request = request_from_keywords(
                defaults, spec, **{k: v for k, v in params.items() if k not in bad})
        except SpecValidationError:
            request = dict(defaults)
    lyrics, problem = _lyrics(row)
    if problem is not None:
        problems.append(problem)
    elif lyrics is not None:
        settings = dict(request.get("settings") or {})
        if any(_names_lyrics(key, spec) for key in params):
            problems.append(_problem(row, LYRICS_FILE, "given twice (lyrics and lyrics_file)",
                                     row.lyrics_file))
        settings["lyrics"] = lyrics
        request["settings"] = settings
    request.setdefault("includeCost", True)  # the receipt shows what each row cost
    return request, problems


def check_row(row: ManifestRow, defaults: dict[str, Any], spec: ModelSpec,
              songs: SongCache) -> CheckedRow:
    """Check one row; the result's ``problems`` is empty when it may run."""
    problems = [_problem(row, f, r, v) for f, r, v in row.problems]
    request, found = build_row_request(row, defaults, spec)
    problems.extend(found)
    source = row.source
    reference = staged_reference(source)
    task: dict[str, Any] = request
    if reference is not None:
        request = {**request, "inputs": {**(request.get("inputs") or {}), "audio": reference}}
    try:
        task = validate_params(request, spec)
    except SpecValidationError as exc:
        problems.extend(_problem(row, v.path, v.rule, v.value, v.has_value)
                        for v in exc.violations)
    digest = ""
    if row.song is not None and not any(p.field == SONG for p in problems):
        try:
            digest = songs.check(source)
        except SpecValidationError as exc:
            problems.extend(_problem(row, SONG, v.rule, row.label) for v in exc.violations)
        except AudioError as exc:
            message = str(exc).removeprefix("inputs.audio: ")
            problems.append(_problem(row, SONG, message, row.label, has_value=False))
    return CheckedRow(row=row, request=task, source=source, fingerprint=digest,
                      problems=problems)


def check_rows(rows: list[ManifestRow], defaults: dict[str, Any], spec: ModelSpec,
               *, skip_invalid: bool = False, allow_silent: bool = False) -> list[CheckedRow]:
    """Check every row; raise unless all pass (or ``skip_invalid``).

    :param defaults: request values every row starts from (the command line's options).
    :param allow_silent: a (near-)silent song is sent with a warning instead of refused.
    :raises BatchValidationError: some rows cannot run and ``skip_invalid`` is False; it lists
        every problem of every row. Nothing was uploaded or paid for.
    """
    songs = SongCache(allow_silent=allow_silent)
    checked = [check_row(row, defaults, spec, songs) for row in rows]
    problems = [p for c in checked for p in c.problems]
    if problems and not skip_invalid:
        raise BatchValidationError(problems, len(rows))
    return checked
