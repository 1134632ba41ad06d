"""Where a job's files go, decided before anything is uploaded or paid for.

:func:`plan_outputs` resolves ``-o`` (a folder, or a file name whose extension is an output
format), proves the folder writable (creates it, writes and removes a probe file), and decides
the file names:

- the extension follows the format: ``-o named.wav`` asks for WAV when no format is given, and
  ``-o named.wav --format MP3`` is an error (:class:`~..errors.OutputPathError`, exit 2);
- an existing file is never overwritten unless ``overwrite``: the job writes ``<stem>-1.<ext>``
  (the first free number) and :attr:`OutputPlan.notes` says so plainly;
- ``numberResults`` > 1 numbers the files ``<stem>_1``, ``<stem>_2``...; without a stem the
  name is ``cover_<taskUUID prefix>``, decided once the ``taskUUID`` is known.

A folder that cannot be written (read-only, or a path under an existing file) fails here with
one line, before the journal records anything. ``resume`` reuses the same plan.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from ..audio.formats import extension, format_for_suffix
from ..errors import OutputPathError

__all__ = ["OutputPlan", "OutputTarget", "output_target", "plan_outputs", "prove_writable",
           "same_content"]

PROBE_PREFIX = ".minimax-cover-probe-"
#: How far a name is numbered (``-1`` ... ``-N``) before giving up.
MAX_RENAMES = 9999


@dataclass(frozen=True)
class OutputTarget:
    """What ``-o`` says: the folder, the file stem (``None``: a folder was given) and the
    output format its extension implies (``None``: no extension)."""

    folder: Path
    stem: str | None
    format: str | None


def output_target(output: str | os.PathLike[str] | None, fmt: str | None, *,
                  formats: tuple[str, ...] = ()) -> OutputTarget:
    """Read ``-o`` without touching the disk.

    A name whose suffix is an audio format (``.mp3``, ``.wav``...) is a file; anything else is
    a folder. ``fmt`` is the format asked for (``None``: not given).

    :raises OutputPathError: the extension names a format the model cannot write, or another
        format than ``fmt``.
    """
    path = Path(output) if output not in (None, "") else Path.cwd()
    suffix_format = format_for_suffix(path.suffix) if path.suffix and not path.is_dir() else None
    if suffix_format is None:
        return OutputTarget(path, None, None)
    name = suffix_format.name
    if formats and name not in formats:
        raise OutputPathError(
            f"-o {path}: the model cannot write {name} (it writes {', '.join(formats)}); name "
            f"the file .{extension(formats[0])}, or give a folder")
    if fmt is not None and str(fmt).upper() != name:
        wanted = str(fmt).upper()
        raise OutputPathError(
            f"-o {path}: the extension says {name} but the format is {wanted}; name it "
            f"{path.with_suffix('.' + extension(wanted)).name} or ask for --format {name} "
            "(nothing was sent)")
    return OutputTarget(path.parent, path.stem, name)


def _blocking_file(folder: Path) -> Path | None:
    """The existing non-folder on the way to ``folder`` (``folder`` itself included), if any."""
    for part in (folder, *folder.parents):
        if part.exists():
            return None if part.is_dir() else part
    return None


def prove_writable(folder: Path, *, create: bool = True) -> None:
    """Make sure files can be written in ``folder``: create it, write and remove a probe.

    With ``create=False`` (a dry run) nothing is written: the nearest existing folder must be
    writable.

    :raises OutputPathError: one line naming the folder and why.
    """
    blocker = _blocking_file(folder)
    if blocker is not None:
        raise OutputPathError(f"output folder {folder}: {blocker} is a file, not a folder; "
                              "nothing was sent")
    if not create:
        existing = next(p for p in (folder, *folder.parents) if p.exists())
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OutputPathError(f"output folder {folder}: {existing} is not writable; "
                                  "nothing was sent")
        return
    probe = folder / f"{PROBE_PREFIX}{secrets.token_hex(4)}"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with open(probe, "xb") as fh:
            fh.write(b"probe")
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise OutputPathError(f"output folder {folder}: cannot write there ({reason}); "
                              "nothing was sent") from None
    finally:
        try:
            probe.unlink()
        except OSError:
            pass


@dataclass
class OutputPlan:
    """The decided destination of a job's files (see the module doc).

    :param folder: where files go (exists and was proven writable).
    :param stem: the file stem; ``None``: ``cover_<taskUUID prefix>``.
    :param format: the output format (``MP3``...), which gives the extension.
    :param count: how many results (``> 1``: numbered names).
    :param overwrite: replace existing files instead of choosing new names.
    :param notes: what the plan changed (a new name), to tell the user.
    """

    folder: Path
    stem: str | None
    format: str
    count: int = 1
    overwrite: bool = False
    notes: list[str] = field(default_factory=list)
    written: set[Path] = field(default_factory=set)

    def name(self, stem: str, index: int) -> Path:
        """``<folder>/<stem>.<ext>``, numbered ``<stem>_<n>.<ext>`` when ``count`` > 1."""
        suffix = f"_{index + 1}" if self.count > 1 else ""
        return self.folder / f"{stem}{suffix}.{extension(self.format)}"

    def _taken(self, stem: str) -> bool:
        return any(self.name(stem, i).exists() and self.name(stem, i) not in self.written
                   for i in range(self.count))

    def free_stem(self, stem: str) -> str:
        """``stem``, or ``<stem>-<n>`` with the first ``n`` whose names are all free (noted)."""
        if self.overwrite or not self._taken(stem):
            return stem
        for n in range(1, MAX_RENAMES + 1):
            candidate = f"{stem}-{n}"
            if not self._taken(candidate):
                first, new = self.name(stem, 0), self.name(candidate, 0)
                self.notes.append(f"{first} exists: writing {new.name} instead "
                                  "(--overwrite replaces it)")
                return candidate
        raise OutputPathError(f"output {self.name(stem, 0)}: {MAX_RENAMES} numbered names are "
                              "taken; choose another name")

    def path_for(self, index: int, task_uuid: str) -> Path:
        """The file of result ``index``, checked again at save time (never overwrites a file
        that appeared since the plan, unless ``overwrite``)."""
        if self.stem is None:
            self.stem = self.free_stem(f"cover_{task_uuid[:8]}")
        path = self.name(self.stem, index)
        if path.exists() and path not in self.written and not self.overwrite:
            self.stem = self.free_stem(self.stem)
            path = self.name(self.stem, index)
        self.written.add(path)
        return path


def plan_outputs(output: str | os.PathLike[str] | None, fmt: str, count: int = 1,
                 stem: str | None = None, overwrite: bool = False, *,
                 formats: tuple[str, ...] = (), create: bool = True,
                 as_folder: bool = False,
                 own_files: Iterable[str | os.PathLike[str]] = ()) -> OutputPlan:
    """Resolve ``output``, prove the folder writable and decide the file names.

    :param output: a folder, or a file name whose extension is an output format (``None``:
        the current folder).
    :param fmt: the output format of the request (``MP3``...).
    :param count: ``numberResults``.
    :param stem: a file stem (``None``: from ``output``'s file name, else
        ``cover_<taskUUID prefix>``).
    :param overwrite: replace existing files.
    :param formats: the formats the model writes (checked against ``output``'s extension).
    :param create: create the folder and write a probe (``False`` for a dry run).
    :param as_folder: ``output`` is a folder whatever its name (the API's ``output_dir``).
    :param own_files: files this job already wrote (a resume): replaced, not renamed around.
    :raises OutputPathError: an unusable destination; nothing was sent.
    """
    if as_folder:
        target = OutputTarget(Path(output) if output not in (None, "") else Path.cwd(), None,
                              None)
    else:
        target = output_target(output, fmt, formats=formats)
    prove_writable(target.folder, create=create)
    plan = OutputPlan(folder=target.folder, stem=stem or target.stem, format=str(fmt).upper(),
                      count=max(1, int(count)), overwrite=overwrite,
                      written={Path(f) for f in own_files})
    if plan.stem is not None:
        plan.stem = plan.free_stem(plan.stem)
    return plan


def same_content(a: str | os.PathLike[str], b: str | os.PathLike[str]) -> bool:
    """True when two files hold the same bytes (sizes first, then their sha256)."""
    import hashlib

    try:
        if os.path.getsize(a) != os.path.getsize(b):
            return False
        digests = []
        for path in (a, b):
            h = hashlib.sha256()
            with open(path, "rb") as fh:
                for block in iter(lambda: fh.read(1 << 20), b""):
                    h.update(block)
            digests.append(h.digest())
    except OSError:
        return False
    return digests[0] == digests[1]
