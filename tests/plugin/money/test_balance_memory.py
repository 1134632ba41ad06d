"""The balance answer kept per process: fewer round trips, and a refusal still only ever from a
fresh answer (the sandbox's balance is the account; ``task_types`` shows every call)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import InsufficientBalanceError
from minimax_cover.plugin.money.balance import BALANCE_TTL_ENV, forget_balances
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER
from money_support import task_types

PRICE = MINIMAX_MUSIC_COVER.price_per_result_usd


def _asked(sb: Any) -> int:
    return task_types(sb).count("accountManagement")


def test_a_second_job_the_remainder_pays_is_not_asked_again(
        make_sandbox: Any, song: Path, run_job: Any) -> None:
    sb = make_sandbox(balance_usd=1.00)
    run_job(sb, song, journal=False)
    run_job(sb, song, journal=False)
    assert _asked(sb) == 1
    assert task_types(sb).count("audioInference") == 2


def test_what_this_process_let_through_is_subtracted_and_a_refusal_is_fresh(
        make_sandbox: Any, song: Path, run_job: Any) -> None:
    sb = make_sandbox(balance_usd=2 * PRICE + 0.10)  # two jobs, not three
    run_job(sb, song, journal=False)  # asked: 0.40 (the kept answer)
    run_job(sb, song, journal=False)  # 0.40 - 0.15 left from memory: not asked
    assert _asked(sb) == 1
    with pytest.raises(InsufficientBalanceError) as err:
        run_job(sb, song, journal=False)  # 0.40 - 0.30 < 0.15 in memory: asked again
    assert _asked(sb) == 2
    assert err.value.balance_usd == pytest.approx(0.10)  # the account's own answer
    assert task_types(sb).count("audioInference") == 2


def test_a_refused_job_leaves_no_answer_that_lets_a_later_one_through(
        make_sandbox: Any, song: Path, run_job: Any) -> None:
    sb = make_sandbox(balance_usd=0.10)
    for _ in range(2):
        with pytest.raises(InsufficientBalanceError):
            run_job(sb, song, journal=False)
    assert _asked(sb) == 2 and sb.submissions() == 0


def test_the_answer_expires(make_sandbox: Any, song: Path, run_job: Any,
                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BALANCE_TTL_ENV, "0.05")
    sb = make_sandbox(balance_usd=1.00)
    run_job(sb, song, journal=False)
    time.sleep(0.1)
    run_job(sb, song, journal=False)
    assert _asked(sb) == 2


@pytest.mark.parametrize("ttl", ["0", "not-a-number"])
def test_ttl_zero_asks_every_time(ttl: str, make_sandbox: Any, song: Path, run_job: Any,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(BALANCE_TTL_ENV, ttl)
    sb = make_sandbox(balance_usd=1.00)
    run_job(sb, song, journal=False)
    run_job(sb, song, journal=False)
    assert _asked(sb) == (2 if ttl == "0" else 1)  # a bad value: the default, with a warning


def test_answers_are_per_account(make_sandbox: Any, song: Path, run_job: Any) -> None:
    rich, poor = make_sandbox(balance_usd=1.00), make_sandbox(balance_usd=0.10)
    run_job(rich, song, journal=False)
    with pytest.raises(InsufficientBalanceError):
        run_job(poor, song, journal=False)  # another endpoint: its own answer
    forget_balances()
    run_job(rich, song, journal=False)
    assert _asked(rich) == 2 and _asked(poor) == 1


def test_an_unlimited_account_is_asked_once(sandbox: Any, song: Path, run_job: Any) -> None:
    run_job(sandbox, song, journal=False)
    run_job(sandbox, song, journal=False)
    assert _asked(sandbox) == 1  # it reports no balance: nothing to refuse on
