"""Rate tiers (MINIMAX_PLAN), provider prices, the lyrics skeleton, and the shared limiter."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from minimax_cover.plugin.errors import SpecValidationError
from minimax_cover.plugin.minimax.client import MiniMaxClient
from minimax_cover.plugin.minimax.handle import Section
from minimax_cover.plugin.minimax.plan import PLANS, resolve_plan
from minimax_cover.plugin.minimax.skeleton import _LABELS, lyrics_skeleton
from minimax_cover.plugin.money.providers import provider_estimate, provider_price
from minimax_cover.plugin.sandbox.minimax_server import MiniMaxSandbox
from minimax_cover.plugin.spec.lyrics import lint_lyrics
from minimax_cover.plugin.spec.model import SECTION_TAGS

MM_KEY = "mm-FAKEKEY-77aa-dont-leak"
PROMPT = "warm acoustic folk, fingerpicked guitar"


def _config(isolated_env: Path, data: dict[str, Any]) -> None:
    folder = isolated_env / "config"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "config.json").write_text(json.dumps(data))


def test_plan_default_free_numbers_and_config(isolated_env: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_plan() == PLANS["paid"] and (PLANS["paid"].per_minute,
                                                PLANS["paid"].concurrent) == (120, 20)
    _config(isolated_env, {"minimax_plan": "free"})
    assert (resolve_plan().per_minute, resolve_plan().concurrent) == (3, 3)
    _config(isolated_env, {"minimax_plan": {"requests_per_minute": 60, "concurrent": 10}})
    assert (resolve_plan().per_minute, resolve_plan().concurrent) == (60, 10)
    monkeypatch.setenv("MINIMAX_PLAN", "30/5")  # the environment wins
    assert (resolve_plan().per_minute, resolve_plan().concurrent) == (30, 5)


@pytest.mark.parametrize("bad", ["gold", "0/3", "3/0", "3-3"])
def test_plan_refused_names_setting(monkeypatch: pytest.MonkeyPatch, bad: str) -> None:
    monkeypatch.setenv("MINIMAX_PLAN", bad)
    with pytest.raises(SpecValidationError, match="MINIMAX_PLAN") as err:
        resolve_plan()
    assert bad in str(err.value)


def test_free_plan_caps_concurrency_across_threads(monkeypatch: pytest.MonkeyPatch,
                                                   song_wav: bytes) -> None:
    """Six threads, each with its own client: at most 3 requests reach MiniMax at once."""
    monkeypatch.setenv("MINIMAX_PLAN", "1000/3")
    sb = MiniMaxSandbox(api_key=MM_KEY, banner=False).start()
    inside = peak = 0
    lock = threading.Lock()
    real = sb.handle

    def slow(path: str, auth: str | None, body: Any) -> dict[str, Any]:
        nonlocal inside, peak
        with lock:
            inside += 1
            peak = max(peak, inside)
        threading.Event().wait(0.05)
        try:
            return real(path, auth, body)
        finally:
            with lock:
                inside -= 1

    sb.handle = slow  # type: ignore[method-assign]
    errors: list[BaseException] = []

    def work() -> None:
        client = MiniMaxClient(api_key=MM_KEY, base_url=sb.url)
        try:
            client.preprocess(song_wav)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            client.close()

    try:
        threads = [threading.Thread(target=work) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        sb.stop()
    assert not errors and len(sb.preprocesses) == 6
    assert peak <= 3


def test_provider_prices_default_and_config(isolated_env: Path) -> None:
    mm = provider_price("minimax")
    assert mm.cover_usd == 0.15 and mm.preprocess_usd == 0.0 and mm.estimate
    assert "estimate" in mm.describe()
    assert provider_price("runware").cover_usd is None  # the spec's table (and dry runs)
    request = {"numberResults": 2}
    assert provider_estimate("minimax", request) == pytest.approx(0.30)
    _config(isolated_env, {"provider_prices": {"minimax": {"cover_usd": 0.1,
                                                           "preprocess_usd": 0.01}}})
    assert provider_estimate("minimax", request) == pytest.approx(0.20)
    assert provider_price("minimax").preprocess_usd == 0.01
    _config(isolated_env, {"provider_prices": {"minimax": {"cover_usd": "cheap"}}})
    with pytest.raises(SpecValidationError, match="provider_prices.minimax.cover_usd"):
        provider_price("minimax")


def test_lyrics_skeleton_tags_are_known() -> None:
    assert set(_LABELS.values()) <= set(SECTION_TAGS)
    sections = [Section(0, 5, "intro"), Section(5, 20, "verse"), Section(20, 30, "chorus"),
                Section(30, 31, "silence"), Section(31, 45, "verse"), Section(45, 50, "chorus"),
                Section(50, 60, "outro")]
    text = lyrics_skeleton(sections)
    assert text.splitlines() == ["[Intro]", "[Verse 1]", "[Chorus]", "[Verse 2]", "[Chorus]",
                                 "[Outro]"]
    report = lint_lyrics(text)
    assert report.instrumental and not report.warnings
    assert lyrics_skeleton([Section(0, 9, "inst")]) == "[Intro]\n[Inst]\n[Outro]"
