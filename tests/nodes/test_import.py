"""Importing the pack: cheap, torch-free, and loadable the way ComfyUI loads a custom node.

Each check runs in a fresh interpreter so modules other tests imported do not hide a leak.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path


def run(code: str, *, cwd: Path, extra_path: Path | list[Path] | None = None) -> dict:
    env = dict(os.environ)
    env.pop("RUNWARE_API_KEY", None)
    env["TMPDIR"] = str(cwd)  # the child's temp files stay in the test's tmp dir
    if extra_path is not None:
        paths = extra_path if isinstance(extra_path, list) else [extra_path]
        env["PYTHONPATH"] = os.pathsep.join([*map(str, paths), env.get("PYTHONPATH", "")])
    proc = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], capture_output=True,
                          text=True, env=env, cwd=cwd, timeout=60)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_is_cheap(tmp_path: Path) -> None:
    out = run("""
        import json, sys
        import minimax_cover.nodes as nodes
        heavy = [m for m in ("torch", "numpy", "jsonschema", "soundfile") if m in sys.modules]
        scanned = "minimax_cover.plugin.hooks.registry" in sys.modules
        mappings = nodes.NODE_CLASS_MAPPINGS
        print(json.dumps({"heavy": heavy, "scanned": scanned, "torch": "torch" in sys.modules,
                          "ids": sorted(mappings), "entry": nodes.comfy_entrypoint}))
    """, cwd=tmp_path)
    assert out["heavy"] == [] and out["scanned"] is False
    assert out["torch"] is False and out["entry"] is None
    assert {"MiniMaxMusicCover", "MiniMaxCoverLoadAudio", "MiniMaxCoverSaveAudio",
            "MiniMaxCoverPreviewAudio"} <= set(out["ids"])


def test_loads_like_comfyui_load_custom_node(repo_root: Path, tmp_path: Path) -> None:
    """ComfyUI imports the folder by path under a mangled name, with a top-level ``nodes``
    module of its own on sys.path (the pack must not pick it up)."""
    (tmp_path / "nodes.py").write_text("RAISE = 'ComfyUI core nodes.py'\n", encoding="utf-8")
    out = run(f"""
        import importlib.util, json, sys
        folder = {str(repo_root)!r}
        name = folder.replace(".", "_x_")
        spec = importlib.util.spec_from_file_location(
            name, folder + "/__init__.py", submodule_search_locations=[folder])
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        mappings = getattr(module, "NODE_CLASS_MAPPINGS", None)
        names = getattr(module, "NODE_DISPLAY_NAME_MAPPINGS", {{}})
        cover = mappings["MiniMaxMusicCover"]
        print(json.dumps({{"ids": sorted(mappings), "names": names,
                          "inputs": sorted(cover.INPUT_TYPES()["required"]),
                          "torch": "torch" in sys.modules}}))
    """, cwd=tmp_path, extra_path=tmp_path)
    assert "MiniMaxMusicCover" in out["ids"] and out["torch"] is False
    assert out["names"]["MiniMaxMusicCover"] == "MiniMax Music Cover (Runware)"
    assert "positivePrompt" in out["inputs"]
    core = {"LoadAudio", "SaveAudio", "PreviewAudio", "SaveAudioMP3", "AudioConcat"}
    assert not core & set(out["ids"])  # no collision with ComfyUI built-ins


def test_v3_entrypoint_when_comfy_api_is_available(tmp_path: Path, comfy_api_path: Path) -> None:
    out = run("""
        import asyncio, json, sys
        import minimax_cover.nodes as nodes
        assert nodes.NODE_CLASS_MAPPINGS is None
        ext = asyncio.run(nodes.comfy_entrypoint())
        classes = asyncio.run(ext.get_node_list())
        schemas = [c.GET_SCHEMA() for c in classes]  # finalize + validate, as at registration
        cover = next(c for c in classes if c.__name__ == "MiniMaxMusicCover")
        schema = cover.GET_SCHEMA()
        seed = next(i for i in schema.inputs if i.id == "seed")
        fmt = next(i for i in schema.inputs if i.id == "outputFormat")
        verdict = cover.validate_inputs(positivePrompt="short", audio=None)
        print(json.dumps({
            "n": len(classes), "ids": [s.node_id for s in schemas],
            "api": [s.is_api_node for s in schemas], "node_id": schema.node_id,
            "category": schema.category, "seed": seed.as_dict(),
            "fmt": [fmt.get_io_type(), fmt.options],
            "outputs": [o.io_type for o in schema.outputs],
            "hidden": [h.value for h in schema.hidden], "verdict": verdict,
            "fp": cover.fingerprint_inputs(positivePrompt="a jazz cover", seed=1),
            "torch": "torch" in sys.modules}))
    """, cwd=tmp_path, extra_path=comfy_api_path)
    assert out["n"] >= 5 and out["node_id"] == "MiniMaxMusicCover"
    assert {"MiniMaxMusicCover", "MiniMaxCoverPreprocess", "MiniMaxCoverLoadAudio"} <= set(
        out["ids"])
    assert not any(out["api"])  # Runware/MiniMax keys, not a Comfy.org account
    assert out["hidden"] == ["UNIQUE_ID"] and out["torch"] is False
    assert out["category"] == "audio/MiniMax Cover"
    assert out["seed"]["control_after_generate"] is True and out["seed"]["max"] == 1_000_000
    assert out["fmt"] == ["COMBO", ["MP3", "WAV", "FLAC", "OGG"]]
    assert out["outputs"] == ["AUDIO", "INT", "FLOAT", "STRING", "STRING"]
    assert "positivePrompt" in out["verdict"] and len(out["fp"]) == 64


def test_v3_file_lists_are_fresh_on_every_schema_request(tmp_path: Path,
                                                         comfy_api_path: Path) -> None:
    """ComfyUI asks define_schema again after an upload: a new input file must show up."""
    stubs = tmp_path / "stubs"
    stubs.mkdir()
    inputs = tmp_path / "input"
    inputs.mkdir()
    (stubs / "folder_paths.py").write_text(
        f"def get_input_directory():\n    return {str(inputs)!r}\n"
        f"def get_output_directory():\n    return {str(tmp_path / 'output')!r}\n"
        f"def get_temp_directory():\n    return {str(tmp_path / 'temp')!r}\n",
        encoding="utf-8")
    out = run(f"""
        import asyncio, json, pathlib
        import minimax_cover.nodes as nodes
        ext = asyncio.run(nodes.comfy_entrypoint())
        load = next(c for c in asyncio.run(ext.get_node_list())
                    if c.__name__ == "MiniMaxCoverLoadAudio")
        def options():
            [audio] = [i for i in load.define_schema().inputs if i.id == "audio"]
            return audio.options
        before = options()
        pathlib.Path({str(inputs / "added_later.mp3")!r}).write_bytes(b"ID3")
        print(json.dumps({{"before": before, "after": options()}}))
    """, cwd=tmp_path, extra_path=[stubs, comfy_api_path])
    assert out["before"] == []
    assert out["after"] == ["added_later.mp3"]
