"""The cover node shows the price of its current settings before it runs.

One definition (``PriceDef`` in the node's ``NodeDef``): V3 renders it as the ``price_badge``
ComfyUI's own API nodes use (evaluated by the frontend from the widgets), where the running
ComfyUI has ``io.PriceBadge``; the status text shows the same price before the node submits.
"""

from __future__ import annotations

from typing import Any

import pytest
from minimax_cover.nodes import node_table
from minimax_cover.nodes.cover_node import cover_definition, make_cover_node, price_text
from minimax_cover.nodes.definition import InputDef, NodeDef, PriceDef
from minimax_cover.nodes.v3 import make_v3_node
from minimax_cover.plugin.errors import PluginError
from minimax_cover.plugin.spec.model import MINIMAX_MUSIC_COVER

PROMPT = "Warm lo-fi jazz cover with brushed drums"
PRICE = MINIMAX_MUSIC_COVER.price_per_result_usd


def _cover_row() -> Any:
    return next(r for r in node_table() if r.node_id == "MiniMaxMusicCover")


def test_price_comes_from_the_spec(monkeypatch: pytest.MonkeyPatch) -> None:
    price = cover_definition(MINIMAX_MUSIC_COVER).price
    assert price == PriceDef(PRICE, "numberResults")
    assert price.estimate({"numberResults": 3}) == pytest.approx(3 * PRICE)
    assert price.estimate({"numberResults": None}) == pytest.approx(PRICE)  # linked
    monkeypatch.setenv("RUNWARE_API_KEY", "rw-test-key-for-price")
    assert price_text(MINIMAX_MUSIC_COVER, {"numberResults": 2}) == \
        "Price: ~$0.30 (2 x $0.15 on Runware, before sending)"


def test_the_price_line_says_who_is_paid(monkeypatch: pytest.MonkeyPatch) -> None:
    """No key: the Runware SANDBOX, no cost; a preprocess handle: MiniMax bills (its sandbox
    without MINIMAX_API_KEY, as the handle says), never Runware's price (issue 24)."""
    from types import SimpleNamespace

    assert price_text(MINIMAX_MUSIC_COVER, {"numberResults": 2}) == \
        "Price: none (Runware SANDBOX: synthetic audio, no cost)"
    handle = SimpleNamespace(sandbox=True)
    assert price_text(MINIMAX_MUSIC_COVER, {"numberResults": 1}, preprocess=handle) == \
        "Price: none (MiniMax SANDBOX: synthetic audio, no cost)"
    monkeypatch.setenv("RUNWARE_API_KEY", "rw-test-key-for-price")
    paid = SimpleNamespace(sandbox=False)
    assert price_text(MINIMAX_MUSIC_COVER, {"numberResults": 2}, preprocess=paid) == \
        "Price: ~$0.30 (2 x $0.15 billed by MiniMax, estimate, before sending)"


def test_a_price_per_unknown_input_is_refused() -> None:
    with pytest.raises(PluginError, match="counts per 'count'"):
        NodeDef("X", "X", "c", inputs=(InputDef("n", "INT"),), price=PriceDef(1.0, "count"))


def test_v3_schema_carries_the_badge(comfy_api: Any) -> None:
    row = _cover_row()
    schema = make_v3_node(row.node_id, row.cls, row.display_name).GET_SCHEMA()
    badge = schema.price_badge
    assert isinstance(badge, comfy_api.io.PriceBadge) and badge.engine == "jsonata"
    assert badge.depends_on.widgets == ["numberResults"]
    assert badge.depends_on.as_dict(schema.inputs)["widgets"] == [
        {"name": "numberResults", "type": "INT"}]
    assert f"{PRICE!r} *" in badge.expr


def test_badge_expression_evaluates_to_the_price() -> None:
    import jsonata  # test extra: evaluates the badge expression as the frontend does

    expr = jsonata.Jsonata(PriceDef(PRICE, "numberResults").badge_expr())
    for widgets, count in (({"numberresults": 3}, 3), ({"numberResults": 2}, 2), ({}, 1)):
        assert expr.evaluate({"widgets": widgets}) == {"type": "usd",
                                                       "usd": pytest.approx(count * PRICE)}


def test_older_comfyui_without_badges_gets_none(comfy_api: Any,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(comfy_api.io, "PriceBadge")
    row = _cover_row()
    schema = make_v3_node(row.node_id, row.cls, row.display_name).GET_SCHEMA()
    assert schema.price_badge is None


def test_status_text_shows_the_price_before_submitting(comfy_stubs: Any,
                                                       comfy_audio: dict[str, Any]) -> None:
    node = make_cover_node(MINIMAX_MUSIC_COVER)
    node().run(audio=comfy_audio, positivePrompt=PROMPT, seed=3, numberResults=2,
               outputFormat="MP3", unique_id="5")
    first = comfy_stubs.texts[0][1]  # no key: the local sandbox, which charges nothing
    assert first == "Status: submitting\nPrice: none (Runware SANDBOX: synthetic audio, no cost)"
    last = comfy_stubs.texts[-1][1].splitlines()
    assert last[1] == "Price: none (SANDBOX: synthetic audio, no cost)"
    assert not any(line.startswith("SANDBOX") for line in last)  # said once, on the price


def test_pricing_info_for_the_frontend(monkeypatch: pytest.MonkeyPatch) -> None:
    """What ``web/cover_price.js`` reads before Run: the price per result of each cover node
    and who runs one-step and two-step covers (sandbox or not)."""
    from minimax_cover.nodes.pricing_route import (
        PRICING_ROUTE,
        pricing_info,
        register_pricing_route,
    )

    info = pricing_info()
    assert info["nodes"]["MiniMaxMusicCover"] == {"usd": PRICE, "per": "numberResults"}
    assert info["runware"] == {"service": "Runware", "sandbox": True}
    assert info["minimax"] == {"service": "MiniMax", "sandbox": True, "usd": 0.15,
                               "estimate": True}
    monkeypatch.setenv("RUNWARE_API_KEY", "rw-test-key-for-price")
    assert pricing_info()["runware"]["sandbox"] is False
    assert pricing_info()["minimax"]["sandbox"] is True

    class Routes:
        def __init__(self) -> None:
            self.paths: list[str] = []

        def get(self, path: str) -> Any:
            self.paths.append(path)
            return lambda handler: handler

    class Server:
        routes = Routes()

    assert register_pricing_route(Server()) is True
    assert Server.routes.paths == [PRICING_ROUTE]
    assert register_pricing_route(object()) is False
