"""RetryPolicy: backoff, jitter, Retry-After (seconds and HTTP date), caps. Pure, no I/O."""

from __future__ import annotations

from datetime import datetime, timezone
from email.utils import format_datetime

import pytest
from minimax_cover.plugin.transport.retry import RetryPolicy, parse_retry_after

NOW = 1_700_000_000.0


def policy(**kw: object) -> RetryPolicy:
    base = {"max_retries": 4, "base_delay_s": 1.0, "max_delay_s": 30.0,
            "max_retry_after_s": 60.0, "random": lambda: 0.0, "clock": lambda: NOW}
    base.update(kw)
    return RetryPolicy(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("3", 3.0),
        ("0", 0.0),
        ("1.5", 1.5),
        (" 7 ", 7.0),
        ("-4", 0.0),
        ("", None),
        (None, None),
        ("soon", None),
        ("nan", None),
        ("inf", None),
        (format_datetime(datetime.fromtimestamp(NOW + 12, timezone.utc), usegmt=True), 12.0),
        (format_datetime(datetime.fromtimestamp(NOW - 100, timezone.utc), usegmt=True), 0.0),
    ],
)
def test_parse_retry_after(value: str | None, expected: float | None) -> None:
    got = parse_retry_after(value, now=NOW)
    assert got == (pytest.approx(expected) if expected is not None else None)


def test_backoff_doubles_and_is_capped() -> None:
    p = policy(max_retries=10, max_delay_s=5.0)
    assert [p.delay(n) for n in range(5)] == [1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_shrinks_the_delay_within_the_ratio() -> None:
    p = policy(random=lambda: 1.0 - 1e-12, jitter_ratio=0.25)
    assert p.delay(0) == pytest.approx(0.75)
    assert p.delay(2) == pytest.approx(3.0)


def test_budget_spent_gives_up() -> None:
    p = policy(max_retries=2)
    assert p.delay(1) is not None
    assert p.delay(2) is None
    assert policy(max_retries=0).delay(0, "1") is None


def test_retry_after_wins_over_backoff_and_is_capped() -> None:
    p = policy(max_retry_after_s=10.0)
    assert p.delay(3, "2") == 2.0  # not 8 s of backoff
    assert p.delay(0, "10") == 10.0
    assert p.delay(0, "11") is None  # above the cap: give up, do not wait
    when = format_datetime(datetime.fromtimestamp(NOW + 5, timezone.utc), usegmt=True)
    assert p.delay(0, when) == pytest.approx(5.0)


def test_unparsable_retry_after_falls_back_to_backoff() -> None:
    assert policy().delay(1, "tomorrow-ish") == 2.0


def test_with_max_retries_and_validation() -> None:
    p = policy().with_max_retries(1)
    assert p.max_retries == 1 and p.delay(1) is None
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)
    with pytest.raises(ValueError, match="jitter_ratio"):
        RetryPolicy(jitter_ratio=2.0)
