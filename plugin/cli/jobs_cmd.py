"""``minimax-cover jobs`` and ``minimax-cover resume``: the task journal from the command line.

``jobs`` lists recent jobs (song, prompt, status, cost, files); ``jobs forget TASK`` and
``jobs prune --saved --before DATE`` remove rows. ``resume`` collects unfinished jobs by their
taskUUID and saves their files where each job was meant to go (``-o`` overrides). JSON output
uses the API's camelCase keys, like ``cover --json``.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import MinimaxCoverError, UsageError
from ..journal.records import STATUSES

if TYPE_CHECKING:
    from ..journal.records import JobRecord

#: JobRecord attribute -> ``jobs --json`` key, where camelCase alone would not give the API's.
_KEYS = {"task_uuid": "taskUUID", "host_pid": "hostPID"}
_PROMPT_WIDTH = 72


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``jobs`` (with ``forget`` and ``prune``) and ``resume`` commands."""
    j = sub.add_parser("jobs", help="list recent jobs from the task journal; forget or prune them",
                       description="List recent jobs: song, prompt, status, cost, files (newest "
                       "first). `jobs forget TASK` and `jobs prune --saved --before DATE` remove "
                       "rows from the journal (files are kept).")
    j.add_argument("-n", "--limit", type=int, default=20, help="how many (default 20)")
    j.add_argument("--status", type=str.lower, choices=STATUSES, metavar="STATUS",
                   help=f"only jobs with this status: {', '.join(STATUSES)}")
    j.add_argument("--unfinished", action="store_true",
                   help="only jobs that may have been paid for but are not saved")
    j.add_argument("--json", action="store_true", help="JSON on stdout (camelCase keys)")
    j.set_defaults(func=cmd_jobs)
    actions = j.add_subparsers(dest="jobs_action", metavar="ACTION")
    f = actions.add_parser("forget", help="remove one job from the journal",
                           description="Remove one job from the journal (its files are kept). "
                           "A job that may have been paid for but is not saved is kept unless "
                           "--force: once forgotten it cannot be resumed.")
    f.add_argument("task_uuid", metavar="TASK", help="the job's taskUUID")
    f.add_argument("--force", action="store_true", help="also forget an unfinished job")
    f.add_argument("--json", action="store_true", help="JSON on stdout")
    f.set_defaults(func=cmd_forget)
    p = actions.add_parser("prune", help="remove old saved (or failed) jobs from the journal",
                           description="Remove jobs last updated before DATE with the chosen "
                           "statuses (files are kept). Unfinished jobs are never pruned.")
    p.add_argument("--saved", action="store_true", help="saved jobs")
    p.add_argument("--failed", action="store_true", help="failed jobs")
    p.add_argument("--pending", action="store_true", help="jobs recorded but never sent")
    p.add_argument("--before", required=True, type=_utc_time, metavar="DATE",
                   help="ISO date or time (2026-01-31, 2026-01-31T12:00); UTC unless it "
                   "names a zone")
    p.add_argument("--json", action="store_true", help="JSON on stdout")
    p.set_defaults(func=cmd_prune)

    r = sub.add_parser(
        "resume",
        help="finish jobs whose results were paid for but not saved (getResponse, no resubmit)",
        description="Collect the results of unfinished jobs by their taskUUID and save them "
        "where each job was meant to go (the -o it was started with). Never submits a task "
        "again. A job already saved is named with its files (exit 0); a job of a local "
        "sandbox that has ended (no API key: the sandbox lived in the command that started "
        "it) is closed as failed, nothing having been charged.",
    )
    r.add_argument("task_uuid", nargs="?", help="one job (default: every unfinished job)")
    r.add_argument("-o", "--output", type=Path, default=None,
                   help="save here instead (a folder, or a file name for one job)")
    r.add_argument("--json", action="store_true", help="JSON on stdout")
    r.set_defaults(func=cmd_resume)


def _utc_time(text: str) -> str:
    """An ISO date/time as the journal's UTC text (``argparse`` type: bad input exits 2)."""
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO date or time: {text!r}") from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _camel(name: str) -> str:
    if name in _KEYS:
        return _KEYS[name]
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def job_view(job: JobRecord) -> dict[str, Any]:
    """A journal row as ``jobs --json`` shows it: camelCase keys, plus prompt and seed."""
    view = {_camel(key): value for key, value in job.to_dict().items()}
    view["prompt"] = job.request.get("positivePrompt")
    view["seed"] = job.request.get("seed")
    return view


def _song(job: JobRecord) -> str:
    if job.song:
        return job.song
    audio = (job.request.get("inputs") or {}).get("audio")
    return f"(uploaded media {audio})" if audio else "?"


def _short(text: str, width: int = _PROMPT_WIDTH) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_jobs(args: argparse.Namespace) -> int:
    from ..journal.store import Journal

    with Journal() as journal:
        jobs = journal.unfinished() if args.unfinished else journal.list_jobs(
            limit=args.limit, status=args.status)
    if args.json:
        print(json.dumps([job_view(job) for job in jobs], indent=2))
        return 0
    if not jobs:
        print("no jobs", file=sys.stderr)
        return 0
    for job in jobs:
        cost = f"${job.cost:.4f}" if job.cost is not None else "-"
        print(f"{job.task_uuid}  {job.status:<9}  {cost:>9}  {job.updated_at[:19]}  {job.backend}")
        print(f"    song:   {_song(job)}")
        prompt = job.request.get("positivePrompt")
        if prompt:
            print(f"    prompt: {_short(prompt)}")
        seed = job.request.get("seed")
        if seed is not None:
            print(f"    seed:   {seed}")
        for path in job.files:
            print(f"    file:   {path}")
        if not job.files and job.output_dir and not job.final:
            print(f"    to:     {job.output_dir}")
        if job.error:
            print(f"    error:  {job.error}")
    return 0


def cmd_forget(args: argparse.Namespace) -> int:
    from ..errors import JournalError
    from ..journal.store import Journal

    with Journal() as journal:
        if journal.get(args.task_uuid) is None:
            raise UsageError(f"TASK: no job {args.task_uuid} in the journal ({journal.path})")
        try:
            record = journal.forget(args.task_uuid, force=args.force)
        except JournalError as exc:
            raise UsageError(f"{exc} (--force)") from None
    if args.json:
        print(json.dumps({"forgotten": [record.task_uuid]}, indent=2))
    else:
        print(f"forgot {record.task_uuid} ({record.status}; files kept)")
    return 0


def cmd_prune(args: argparse.Namespace) -> int:
    from ..journal.store import Journal

    statuses = [s for s in ("saved", "failed", "pending") if getattr(args, s)]
    if not statuses:
        raise UsageError("jobs prune: choose what to prune: --saved, --failed and/or --pending")
    with Journal() as journal:
        gone = journal.prune(statuses, before=args.before)
    if args.json:
        print(json.dumps({"forgotten": gone}, indent=2))
    else:
        print(f"forgot {len(gone)} job(s) ({', '.join(statuses)}, updated before "
              f"{args.before[:19]} UTC; files kept)")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from ..jobs.pipeline import resume_job
    from ..jobs.saved import SandboxEndedError
    from ..journal.store import Journal
    from .common import split_output

    with Journal() as journal:
        targets = [args.task_uuid] if args.task_uuid else [j.task_uuid for j in
                                                           journal.unfinished()]
        if not targets:
            print("nothing to resume", file=sys.stderr)
            if args.json:
                print("[]")
            return 0
        out_dir, stem = split_output(args.output) if args.output else (None, None)
        if stem and len(targets) > 1:
            raise UsageError(f"-o: a file name ({args.output}) is for one job; give a folder "
                             f"to resume {len(targets)} jobs")
        results, failures = [], 0
        for task_uuid in targets:
            try:  # idempotent: a saved job answers with its files (exit 0), like batch's skip
                result = resume_job(task_uuid, output_dir=out_dir, output_stem=stem,
                                    journal=journal)
            except SandboxEndedError as exc:  # closed (failed), nothing was charged
                results.append({"taskUUID": task_uuid, "status": "failed", "resumed": False,
                                "files": [], "error": f"not collected: {exc.reason}"})
                print(exc, file=sys.stderr)
                continue
            except MinimaxCoverError as exc:
                if len(targets) == 1:
                    raise  # one line and its exit code, like every other command
                failures += 1
                print(f"{task_uuid}: {exc}", file=sys.stderr)
                continue
            if not result.resumed:  # already saved: its files from the journal
                results.append({"taskUUID": task_uuid, "status": "saved", "resumed": False,
                                "files": [str(p) for p in result.files]})
                if not args.json:
                    print(result.warnings[0])
                continue
            results.append({**result.to_dict(), "status": "saved",
                            "files": [str(p) for p in result.files]})
            if not args.json:
                for path in result.files:
                    print(f"{task_uuid}: saved {path}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failures else 0
