"""Timeout: one value object for both clients, built from a number, a pair or itself."""

from __future__ import annotations

import dataclasses

import pytest
from minimax_cover.plugin.minimax.client import MiniMaxClient
from minimax_cover.plugin.runware.client import RunwareClient
from minimax_cover.plugin.transport.timeouts import Timeout

KEY = "fake-timeout-test-key"  # nothing is sent: no request is made


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (5, (5.0, 5.0)),
        (2.5, (2.5, 2.5)),
        ((10, 60), (10.0, 60.0)),
        ([1.0, 2.0], (1.0, 2.0)),
        (Timeout(3.0, 4.0), (3.0, 4.0)),
    ],
)
def test_of_accepts_a_number_a_pair_or_a_timeout(value: object, expected: tuple) -> None:
    timeout = Timeout.of(value)  # type: ignore[arg-type]
    assert (timeout.connect_s, timeout.read_s) == expected
    assert timeout.as_requests() == expected
    assert isinstance(timeout.connect_s, float)


def test_of_returns_a_timeout_unchanged() -> None:
    timeout = Timeout(1.0, 2.0)
    assert Timeout.of(timeout) is timeout


@pytest.mark.parametrize(
    ("value", "match"),
    [
        (0, "connect_s: must be > 0 .got 0"),
        ((5, -1), r"read_s: must be > 0 .got -1"),
        ((5, float("nan")), "read_s: must be > 0"),
        (("5", 5), "connect_s: must be a number of seconds .got '5'"),
        ((True, 5), "connect_s: must be a number of seconds"),
        (None, r"must be seconds, \(connect_s, read_s\) or a Timeout .got None"),
        ((1, 2, 3), "must be seconds"),
    ],
)
def test_bad_values_name_the_field_rule_and_value(value: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        Timeout.of(value)  # type: ignore[arg-type]


def test_frozen_and_with_read() -> None:
    timeout = Timeout(10.0, 60.0)
    with pytest.raises(dataclasses.FrozenInstanceError):
        timeout.read_s = 1.0  # type: ignore[misc]
    longer = timeout.with_read(900)
    assert longer == Timeout(10.0, 900.0) and timeout.read_s == 60.0


def test_both_clients_take_every_form() -> None:
    for value in (7, (2, 9), Timeout(2.0, 9.0)):
        with RunwareClient(api_key=KEY, base_url="http://127.0.0.1:9/v1",
                           timeout=value) as client:
            assert client.timeout == Timeout.of(value)
            assert client.with_options().timeout == client.timeout
        with MiniMaxClient(api_key=KEY, base_url="http://127.0.0.1:9",
                           preprocess_timeout=value, generation_timeout=value) as mm:
            assert mm.preprocess_timeout == mm.generation_timeout == Timeout.of(value)


def test_clients_refuse_a_bad_timeout_at_construction() -> None:
    with pytest.raises(ValueError, match="read_s: must be > 0"):
        RunwareClient(api_key=KEY, base_url="http://127.0.0.1:9/v1", timeout=(1, 0))
    with pytest.raises(ValueError, match="connect_s: must be > 0"):
        MiniMaxClient(api_key=KEY, base_url="http://127.0.0.1:9", generation_timeout=-1)
