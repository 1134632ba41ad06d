"""The automation examples (n8n, Node-RED, curl) call routes the service documents."""

from __future__ import annotations

import json
import re
from pathlib import Path

from minimax_cover.plugin.serve.openapi import build_openapi


def _documented(path: str, routes: list[str]) -> bool:
    patterns = [re.sub(r"\{[^}]+\}", r"[^/]+", r) for r in routes]
    return any(re.fullmatch(p, path) for p in patterns)


def test_examples_use_documented_routes(repo_root: Path) -> None:
    routes = list(build_openapi()["paths"])
    folder = repo_root / "examples" / "automation"
    n8n = json.loads((folder / "n8n_cover_workflow.json").read_text())
    node_red = json.loads((folder / "node_red_cover_flow.json").read_text())
    urls = [n["parameters"]["url"] for n in n8n["nodes"] if "url" in n.get("parameters", {})]
    urls += [n["url"] for n in node_red if n.get("type") == "http request"]
    assert len(urls) >= 4
    for url in urls:
        path = re.sub(r"^=?https?://[^/{]+", "", url)
        if path.startswith("{{"):
            continue  # a file link taken from the job's document
        path = re.sub(r"\{\{\{?[^}]*\}?\}\}", "ID", path)
        assert _documented(path, routes), url
    curl = (folder / "serve_curl.sh").read_text()
    assert "/v1/covers:price" in curl and "Idempotency-Key" in curl
    assert {"Start cover (202)", "Job status", "Download take"} <= {n["name"] for n in n8n["nodes"]}
