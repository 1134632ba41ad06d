"""``minimax-cover account`` (the balance) and ``minimax-cover spend`` (receipts, by day)."""

from __future__ import annotations

import argparse
import json
import sys

__all__ = ["add_parser", "cmd_account", "cmd_spend"]


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``account`` and ``spend`` commands."""
    a = sub.add_parser(
        "account", help="the Runware account's balance, today's spending and the caps",
        description="Ask Runware for the account's balance (accountManagement getDetails) "
        "with RUNWARE_API_KEY, and show what the journal says was spent today and the "
        "spending caps in force. Without a key (and without RUNWARE_API_URL) it asks the "
        "local SANDBOX, like every other command, and says so.")
    a.add_argument("--json", action="store_true", help="JSON on stdout")
    a.set_defaults(func=cmd_account)

    s = sub.add_parser(
        "spend", help="what was spent, from the journal: every job sent, totals by day",
        description="List every job that was sent (date, song, prompt, taskUUID, seeds, cost, "
        "files, status) with totals by day, from the task journal: what you need to reconcile "
        "the Runware dashboard or ask for a refund. Costs are the ones Runware reported "
        "(includeCost); where none was, the estimate is shown and marked '~'. Sandbox jobs "
        "are listed but not totalled.")
    s.add_argument("--since", metavar="DATE",
                   help="only jobs since this local day: YYYY-MM-DD, today, yesterday or Nd")
    form = s.add_mutually_exclusive_group()
    form.add_argument("--csv", action="store_true", help="CSV on stdout (one line per job)")
    form.add_argument("--json", action="store_true", help="JSON on stdout")
    s.set_defaults(func=cmd_spend)


def cmd_account(args: argparse.Namespace) -> int:
    from ..money.caps import load_caps
    from ..money.pricing import format_usd
    from ..runware.summary import account_summary

    doc = account_summary()  # no key and no URL: the local sandbox, as for `cover`
    if args.json:
        print(json.dumps(doc, indent=2))
        return 0
    sandbox = bool(doc.get("sandbox"))
    print(f"{'SANDBOX ' if sandbox else ''}account: {doc.get('organization') or '?'} "
          f"({doc['endpoint']})")
    if sandbox:
        print("  (no RUNWARE_API_KEY: the local sandbox answered; set the key for your "
              "Runware account)")
    balance = doc.get("balanceUsd")
    shown = format_usd(balance) if balance is not None else (
        "unlimited" if sandbox else "not reported")
    print(f"balance: {shown}")
    estimated = (f" (of which {format_usd(doc['estimatedTodayUsd'])} estimated)"
                 if doc.get("estimatedTodayUsd") else "")
    print(f"spent today: {format_usd(doc['spentTodayUsd'])}{estimated}, from the journal")
    print(f"caps: {load_caps().describe()}")
    return 0


def _short(text: str | None, width: int) -> str:
    if not text:
        return "-"
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def cmd_spend(args: argparse.Namespace) -> int:
    from ..money.pricing import format_usd
    from ..money.receipts import local_time, spend_report

    report = spend_report(args.since)
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
        return 0
    if args.csv:
        sys.stdout.write(report.to_csv())
        return 0
    if not report.entries:
        print("no jobs" + (f" since {report.since}" if report.since else ""), file=sys.stderr)
        return 0
    for e in report.entries:
        mark = "~" if e.cost_kind == "estimated" else " "
        tag = (f"  on {e.provider}" if e.provider else "") + ("  [sandbox]" if e.sandbox else "")
        seeds = ",".join("?" if s is None else str(s) for s in e.seeds) or "-"
        print(f"{e.day} {local_time(e.created_at)}  {e.status:<9} "
              f"{mark}{format_usd(e.cost_usd):>8}  {e.task_uuid}  seeds {seeds}{tag}")
        print(f"    song: {_short(e.song, 70)}   prompt: {_short(e.prompt, 50)}")
        for path in e.files:
            print(f"    {path}" + ("  [picked]" if path == e.picked else ""))
    print("totals by day:")
    for d in report.days:
        estimated = f" (~{format_usd(d.estimated_usd)} estimated)" if d.estimated_usd else ""
        sandbox = f"  [sandbox {format_usd(d.sandbox_usd)}, not charged]" if d.sandbox_usd else ""
        print(f"  {d.day}  {d.jobs:>3} job(s)  {format_usd(d.usd)}{estimated}{sandbox}")
    estimated = (f" (~{format_usd(report.estimated_usd)} estimated)"
                 if report.estimated_usd else "")
    print(f"total: {format_usd(report.total_usd)}{estimated}")
    return 0
