"""``minimax-cover jobs`` and ``minimax-cover resume``: the task journal from the command line."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ..errors import MinimaxCoverError
from ..journal.store import STATUSES


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``jobs`` and ``resume`` commands."""
    j = sub.add_parser("jobs", help="list recent jobs from the task journal",
                       description="List recent jobs: status, cost, files (newest first).")
    j.add_argument("-n", "--limit", type=int, default=20, help="how many (default 20)")
    j.add_argument("--status", type=str.lower, choices=STATUSES, metavar="STATUS",
                   help=f"only jobs with this status: {', '.join(STATUSES)}")
    j.add_argument("--unfinished", action="store_true",
                   help="only jobs that may have been paid for but are not saved")
    j.add_argument("--json", action="store_true", help="JSON on stdout")
    j.set_defaults(func=cmd_jobs)

    r = sub.add_parser(
        "resume",
        help="finish jobs whose results were paid for but not saved (getResponse, no resubmit)",
        description="Collect the results of unfinished jobs by their taskUUID and save them. "
        "Never submits a task again.",
    )
    r.add_argument("task_uuid", nargs="?", help="one job (default: every unfinished job)")
    r.add_argument("-o", "--output", type=Path, default=Path("."), help="output folder")
    r.add_argument("--json", action="store_true", help="JSON on stdout")
    r.set_defaults(func=cmd_resume)


def cmd_jobs(args: argparse.Namespace) -> int:
    from ..journal.store import Journal

    with Journal() as journal:
        jobs = journal.unfinished() if args.unfinished else journal.list_jobs(
            limit=args.limit, status=args.status)
    if args.json:
        print(json.dumps([job.to_dict() for job in jobs], indent=2))
        return 0
    if not jobs:
        print("no jobs", file=sys.stderr)
        return 0
    for job in jobs:
        cost = f"${job.cost:.4f}" if job.cost is not None else "-"
        print(f"{job.task_uuid}  {job.status:<9}  {cost:>9}  {job.updated_at}  {job.backend}")
        for path in job.files:
            print(f"    {path}")
        if job.error:
            print(f"    error: {job.error}")
    return 0


def cmd_resume(args: argparse.Namespace) -> int:
    from ..jobs.pipeline import resume_job
    from ..journal.store import Journal

    with Journal() as journal:
        targets = [args.task_uuid] if args.task_uuid else [j.task_uuid for j in
                                                           journal.unfinished()]
        if not targets:
            print("nothing to resume", file=sys.stderr)
            return 0
        results, failures = [], 0
        for task_uuid in targets:
            try:
                result = resume_job(task_uuid, output_dir=args.output, journal=journal)
            except MinimaxCoverError as exc:
                failures += 1
                print(f"{task_uuid}: {exc}", file=sys.stderr)
                continue
            results.append(result.to_dict())
            if not args.json:
                for path in result.files:
                    print(f"{task_uuid}: saved {path}")
    if args.json:
        print(json.dumps(results, indent=2))
    return 1 if failures else 0
