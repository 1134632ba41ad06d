"""Every hook is documented: when it is called, and each parameter (like datasette's test_docs)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import pytest
from minimax_cover.plugin.hooks import specs as hookspecs


def _hookspecs() -> list[tuple[str, Callable[..., Any]]]:
    marker = f"{hookspecs.PROJECT}_spec"
    return [(name, fn) for name, fn in inspect.getmembers(hookspecs, inspect.isfunction)
            if hasattr(fn, marker)]


def test_there_are_hookspecs() -> None:
    names = {name for name, _ in _hookspecs()}
    assert {"register_models", "register_backends", "register_nodes", "register_commands",
            "stage_audio", "choose_backend", "prepare_request", "on_result",
            "on_job_done"} <= names


@pytest.mark.parametrize(("name", "fn"), _hookspecs(), ids=[n for n, _ in _hookspecs()])
def test_hookspec_is_documented(name: str, fn: Callable[..., Any]) -> None:
    doc = inspect.getdoc(fn) or ""
    assert doc, f"{name}: no docstring"
    assert "Called" in doc, f"{name}: the docstring must say when the hook is called"
    for param in inspect.signature(fn).parameters:
        assert f":param {param}:" in doc, f"{name}: parameter {param!r} is not documented"


@pytest.mark.parametrize(("name", "fn"), _hookspecs(), ids=[n for n, _ in _hookspecs()])
def test_firstresult_hooks_document_returns(name: str, fn: Callable[..., Any]) -> None:
    options = getattr(fn, f"{hookspecs.PROJECT}_spec")
    if options.get("firstresult"):
        assert ":returns:" in (inspect.getdoc(fn) or ""), f"{name}: document the return value"
