"""The example third-party plugin (examples/plugins/minimax-cover-budget), installed for real.

It is pip-installed (no deps, no build isolation) from a copy of its folder into the running
interpreter, discovered through its ``minimax_cover`` entry point, and uninstalled afterwards.
Other tests are unaffected: the autouse fixture sets ``MINIMAX_COVER_LOAD_PLUGINS=""``.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import SpecValidationError
from minimax_cover.plugin.hooks.registry import make_registry
from minimax_cover.plugin.hooks.specs import hookimpl
from minimax_cover.plugin.jobs.pipeline import cover
from minimax_cover.plugin.sandbox.minimax_server import MiniMaxSandbox

KEY = "mm-budget-FAKEKEY-5678"
PROMPT = "upbeat synth pop with bright pads"
DIST = "minimax-cover-budget"


def _pip(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True,
                          timeout=300)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Install the example plugin into this interpreter for the module's tests."""
    source = Path(__file__).resolve().parents[2] / "examples" / "plugins" / DIST
    copy = tmp_path_factory.mktemp("budget") / DIST
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    done = _pip("install", "--no-deps", "--no-build-isolation", "--no-index", "-q", str(copy))
    if done.returncode != 0:
        if os.environ.get("CI"):  # CI installs setuptools with the test extra: this must work
            pytest.fail(f"pip could not install the example plugin: {done.stderr.strip()}")
        pytest.skip(f"pip could not install the example plugin (offline?): "
                    f"{done.stderr.strip().splitlines()[-1:]}")
    importlib.invalidate_caches()
    try:
        yield DIST
    finally:
        _pip("uninstall", "-y", "-q", DIST)
        sys.modules.pop("minimax_cover_budget", None)
        importlib.invalidate_caches()


@pytest.fixture
def discover(installed: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the registry load every entry point (the default outside tests)."""
    monkeypatch.delenv("MINIMAX_COVER_LOAD_PLUGINS", raising=False)


@pytest.fixture
def sb() -> Iterator[MiniMaxSandbox]:
    with MiniMaxSandbox(api_key=KEY, banner=False) as server:
        yield server


def _handle(sb: MiniMaxSandbox, song: bytes) -> Any:
    backend = make_registry(entry_points=False).backend("minimax", api_key=KEY, base_url=sb.url)
    try:
        return backend.preprocess(song)
    finally:
        backend.close()


def test_installed_with_entry_point(installed: str) -> None:
    eps = importlib.metadata.entry_points(group="minimax_cover")
    [ep] = [e for e in eps if e.name == "budget"]
    assert ep.value == "minimax_cover_budget" and ep.dist and ep.dist.name == DIST


def test_discovered_and_listed(discover: None) -> None:
    reg = make_registry()
    [info] = [i for i in reg.list_plugins() if i.name == "budget"]
    assert not info.builtin and info.error is None
    assert info.dist == DIST and info.version == "0.1.0"
    assert info.hooks == ["on_job_done", "prepare_request"]


def test_over_budget_job_is_refused_before_sending(
    discover: None, sb: MiniMaxSandbox, song_wav: bytes, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MINIMAX_COVER_BUDGET_USD", "0.40")
    handle = _handle(sb, song_wav)
    with pytest.raises(SpecValidationError, match=r"\$0\.45.*MINIMAX_COVER_BUDGET_USD=\$0\.40") \
            as err:
        cover(handle, prompt=PROMPT, number_results=3, registry=make_registry(),
              backend_options={"api_key": KEY, "base_url": sb.url}, output_dir=tmp_path,
              journal=False)
    assert type(err.value).__name__ == "BudgetExceededError"
    assert err.value.parameters == ["numberResults"]
    assert sb.generations == []  # refused before anything was sent


def test_within_budget_job_runs_and_is_ledgered(
    discover: None, sb: MiniMaxSandbox, song_wav: bytes, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch, isolated_env: Path,
) -> None:
    monkeypatch.setenv("MINIMAX_COVER_BUDGET_USD", "0.40")
    result = cover(_handle(sb, song_wav), prompt=PROMPT, number_results=2,
                   registry=make_registry(),
                   backend_options={"api_key": KEY, "base_url": sb.url},
                   output_dir=tmp_path, journal=False)
    assert len(result.files) == 2 and len(sb.generations) == 2
    ledger = isolated_env / "data" / "budget-ledger.jsonl"
    [entry] = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert entry["taskUUID"] == result.task_uuid and entry["results"] == 2
    assert entry["sandbox"] is True and entry["cost_usd"] == 0.0
    assert entry["estimate_usd"] == 0.3 and entry["tags"] == []
    assert result.warnings == []


def test_ledger_wrapper_runs_around_the_other_on_job_done(
    discover: None, sb: MiniMaxSandbox, song_wav: bytes, tmp_path: Path, isolated_env: Path,
) -> None:
    """The entry-point plugin's ``on_job_done`` wrapper writes after the others ran; a failing
    one becomes a warning of the job and stops nothing."""

    class Tagger:
        @hookimpl
        def on_job_done(self, result: Any, context: Any) -> None:
            context.extra.setdefault("budget.tags", []).append("client-x")

    class Broken:
        @hookimpl
        def on_job_done(self, result: Any, context: Any) -> None:
            raise ConnectionError("webhook unreachable")

    reg = make_registry()
    [budget] = [i for i in reg.hook.on_job_done.get_hookimpls() if i.plugin_name == "budget"]
    assert budget.wrapper
    reg.register(Tagger(), name="tagger")
    reg.register(Broken(), name="broken-sink")
    result = cover(_handle(sb, song_wav), prompt=PROMPT, registry=reg,
                   backend_options={"api_key": KEY, "base_url": sb.url},
                   output_dir=tmp_path, journal=False)
    ledger = isolated_env / "data" / "budget-ledger.jsonl"
    [entry] = [json.loads(line) for line in ledger.read_text().splitlines()]
    assert entry["taskUUID"] == result.task_uuid
    assert entry["tags"] == ["client-x"]  # the tagger's on_job_done ran inside the wrapper
    assert result.warnings == [
        "plugin 'broken-sink' failed in on_job_done: ConnectionError: webhook unreachable"]


def test_block_plugins_disables_it(
    discover: None, sb: MiniMaxSandbox, song_wav: bytes, tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("MINIMAX_COVER_BLOCK_PLUGINS", "budget")
    monkeypatch.setenv("MINIMAX_COVER_BUDGET_USD", "0.01")
    reg = make_registry()
    assert "budget" not in {i.name for i in reg.list_plugins()}
    result = cover(_handle(sb, song_wav), prompt=PROMPT, registry=reg,
                   backend_options={"api_key": KEY, "base_url": sb.url},
                   output_dir=tmp_path, journal=False)
    assert len(result.files) == 1


def test_not_loaded_when_autoload_is_off(installed: str) -> None:
    # The autouse fixture's MINIMAX_COVER_LOAD_PLUGINS="" keeps other tests plugin-free.
    assert "budget" not in {i.name for i in make_registry().list_plugins()}
