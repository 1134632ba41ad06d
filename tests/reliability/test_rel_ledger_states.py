"""Kill or interrupt a job at every transition of its life; rerun: never paid twice (issue 20).

A hypothesis state machine runs three ``cover`` commands (one song without a seed, the same
song with ``seed=7``, another song without a seed) against a sandbox on 127.0.0.1, each run
stopped at a chosen point: before or after each ledger transition (planned, submitted,
collected, saved), inside the backend call once a result is reported, or by an interrupt
(Ctrl-C) once the task was accepted. The crash is a ``BaseException`` the job does not handle,
as a ``kill -9`` leaves the journal. After every step:

- no task was submitted twice (the sandbox's count of ``audioInference`` submits per task);
- every task the sandbox accepted is in the journal, saved or resumable;
- a command never has two paid tasks unsaved at once, and a seeded one is paid at most once
  (reused once saved);

and a clean rerun of a command collects its unsaved paid task instead of paying again.
"""

from __future__ import annotations

import shutil
import tempfile
from contextlib import ExitStack
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from minimax_cover.plugin.errors import MinimaxCoverError
from minimax_cover.plugin.jobs.ledger import JobLedger
from minimax_cover.plugin.jobs.pipeline import cover
from minimax_cover.plugin.journal.records import RESUMABLE_STATUSES
from minimax_cover.plugin.journal.store import Journal
from rel_support import PROMPT, fast_options, write_song

#: (song index, seed) of each command.
COMMANDS = ((0, None), (0, 7), (1, None))
TRANSITIONS = ("plan", "submitting", "resuming", "collected", "saved")
CRASHES = (None, "backend", "interrupt",
           *(f"{when}:{name}" for name in TRANSITIONS for when in ("before", "after")))


class Crash(BaseException):
    """A process killed at this point (nothing after it runs, nothing catches it)."""


def _crashing(name: str, when: str) -> Any:
    real = getattr(JobLedger, name)

    def wrapper(self: JobLedger, *args: Any, **kwargs: Any) -> Any:
        if when == "before":
            raise Crash(f"before {name}")
        real(self, *args, **kwargs)
        raise Crash(f"after {name}")

    return wrapper


class _CrashInside:
    """A backend that dies once its first result is reported (mid-collect)."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _die(self, result: Any) -> None:
        raise Crash("inside the backend call")

    def submit(self, request: dict[str, Any], **options: Any) -> Any:
        return self._inner.submit(request, **{**options, "on_result": self._die})

    def collect(self, tickets: Any, **callbacks: Any) -> Any:
        return self._inner.collect(tickets, **{**callbacks, "on_result": self._die})


class Lifecycle(RuleBasedStateMachine):
    """One journal and output folder per example; the sandbox is shared (tasks are new)."""

    sandbox: Any = None
    songs: list[Path] = []

    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp(prefix="ledger-states-"))
        self.journal = Journal(self.dir / "j.sqlite3")
        self.tasks: dict[int, set[str]] = {c: set() for c in range(len(COMMANDS))}

    def teardown(self) -> None:
        self.journal.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _run(self, command: int, crash: str | None) -> Any:
        song, seed = COMMANDS[command]
        sb = self.sandbox
        backend: Any = "runware"
        options = fast_options(sb)
        cancel = None
        with ExitStack() as stack:
            if crash and ":" in crash:
                when, name = crash.split(":")
                stack.enter_context(mock.patch.object(JobLedger, name, _crashing(name, when)))
            if crash == "backend":
                from minimax_cover.plugin.hooks.registry import get_registry

                backend = _CrashInside(get_registry().backend("runware", **options))
                stack.callback(backend.close)
            if crash == "interrupt":
                before = sb.submissions()

                def cancel() -> bool:
                    return sb.submissions() > before

            try:
                result = cover(self.songs[song], prompt=PROMPT, seed=seed,
                               output_dir=self.dir / "out", backend=backend,
                               backend_options=options if backend == "runware" else None,
                               journal=self.journal, delivery_method="async",
                               should_cancel=cancel)
            except (Crash, MinimaxCoverError):
                return None
        return result

    def _note_tasks(self, command: int) -> None:
        for row in self.journal.list_jobs(limit=None):
            if row.task_uuid not in {t for ts in self.tasks.values() for t in ts}:
                self.tasks[command].add(row.task_uuid)

    @rule(command=st.sampled_from(range(len(COMMANDS))), crash=st.sampled_from(CRASHES))
    def run_and_stop(self, command: int, crash: str | None) -> None:
        unsaved = self._unsaved_paid(command)
        result = self._run(command, crash)
        self._note_tasks(command)
        if result is not None and not result.reused:
            if unsaved:  # an unsaved paid task of this command is collected, not paid again
                assert result.task_uuid in unsaved and result.resumed, (unsaved, result)

    def _paid(self, command: int) -> list[str]:
        return [t for t in self.tasks[command] if self.sandbox.submissions(t)]

    def _unsaved_paid(self, command: int) -> list[str]:
        return [t for t in self._paid(command)
                if (row := self.journal.get(t)) is not None and row.status != "saved"]

    @invariant()
    def never_paid_twice(self) -> None:
        for row in self.journal.list_jobs(limit=None):
            assert self.sandbox.submissions(row.task_uuid) <= 1, row

    @invariant()
    def every_paid_task_is_saved_or_resumable(self) -> None:
        for row in self.journal.list_jobs(limit=None):
            if self.sandbox.submissions(row.task_uuid):
                assert row.status == "saved" or row.status in RESUMABLE_STATUSES, row

    @invariant()
    def one_unsaved_paid_task_per_command_and_seeded_ones_paid_once(self) -> None:
        for command, (_, seed) in enumerate(COMMANDS):
            assert len(self._unsaved_paid(command)) <= 1, self.tasks[command]
            if seed is not None:
                assert len(self._paid(command)) <= 1, self.tasks[command]
            else:  # a seedless command pays for a new take only once the last one is saved
                saved = [t for t in self._paid(command)
                         if (row := self.journal.get(t)) is not None and row.status == "saved"]
                assert len(self._paid(command)) <= len(saved) + 1


def test_crash_or_interrupt_at_any_transition_never_pays_twice(tmp_path: Path) -> None:
    from minimax_cover.plugin.sandbox import Sandbox

    Lifecycle.songs = [write_song(tmp_path / "a.wav"),
                       write_song(tmp_path / "b.wav", freq=330.0)]
    with Sandbox(api_key="rw-LEDGER-states", log=False) as sb:
        Lifecycle.sandbox = sb
        run_state_machine_as_test(Lifecycle, settings=settings(
            max_examples=10, stateful_step_count=7, deadline=None,
            suppress_health_check=list(HealthCheck)))


def test_the_state_machine_fails_when_a_rerun_draws_a_new_seed(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The machine can fail: without the seedless identity (a rerun of a seedless command
    draws a new seed, as before issue 20) it finds a task paid twice."""
    from minimax_cover.plugin.sandbox import Sandbox

    real = JobLedger.identify

    def forgetful(self: JobLedger, fingerprint: str, *, seed_given: bool) -> str:
        digest = real(self, fingerprint, seed_given=True)  # no seedless key: a new job
        return digest

    monkeypatch.setattr(JobLedger, "identify", forgetful)
    Lifecycle.songs = [write_song(tmp_path / "a.wav"),
                       write_song(tmp_path / "b.wav", freq=330.0)]
    with Sandbox(api_key="rw-LEDGER-states", log=False) as sb:
        Lifecycle.sandbox = sb
        with pytest.raises(AssertionError):
            run_state_machine_as_test(Lifecycle, settings=settings(
                max_examples=40, stateful_step_count=8, deadline=None,
                suppress_health_check=list(HealthCheck), print_blob=False,
                phases=[Phase.generate]))
