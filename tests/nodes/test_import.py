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


def run(code: str, *, cwd: Path, extra_path: Path | None = None) -> dict:
    env = dict(os.environ)
    env.pop("RUNWARE_API_KEY", None)
    if extra_path is not None:
        env["PYTHONPATH"] = os.pathsep.join([str(extra_path), env.get("PYTHONPATH", "")])
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


STUB = '''
"""A minimal, torch-free stand-in for comfy_api.latest (io, ComfyExtension)."""
import types


class _Input:
    def __init__(self, id, **kw):
        self.id, self.kw = id, kw


class _Output:
    def __init__(self, **kw):
        self.kw = kw


def _type(name):
    return type(name, (), {"Input": type("Input", (_Input,), {"kind": name}),
                           "Output": type("Output", (_Output,), {"kind": name})})


class Schema:
    def __init__(self, **kw):
        self.__dict__.update(kw)


class NodeOutput:
    def __init__(self, *args, ui=None):
        self.args, self.ui = args, ui


class ComfyNode:
    hidden = None


class ComfyExtension:
    async def get_node_list(self):
        raise NotImplementedError


io = types.SimpleNamespace(
    Schema=Schema, NodeOutput=NodeOutput, ComfyNode=ComfyNode,
    Audio=_type("AUDIO"), String=_type("STRING"), Int=_type("INT"), Float=_type("FLOAT"),
    Boolean=_type("BOOLEAN"), Combo=_type("COMBO"), Custom=_type,
    Hidden=types.SimpleNamespace(unique_id="UNIQUE_ID"),
    UploadType=types.SimpleNamespace(audio="audio"),
)
'''


def test_v3_entrypoint_when_comfy_api_is_available(tmp_path: Path) -> None:
    pkg = tmp_path / "stubs" / "comfy_api" / "latest"
    pkg.mkdir(parents=True)
    (tmp_path / "stubs" / "comfy_api" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "__init__.py").write_text(STUB, encoding="utf-8")
    out = run("""
        import asyncio, json, sys
        import minimax_cover.nodes as nodes
        assert nodes.NODE_CLASS_MAPPINGS is None
        ext = asyncio.run(nodes.comfy_entrypoint())
        classes = asyncio.run(ext.get_node_list())
        cover = next(c for c in classes if c.__name__ == "MiniMaxMusicCover")
        schema = cover.define_schema()
        seed = next(i for i in schema.inputs if i.id == "seed")
        fmt = next(i for i in schema.inputs if i.id == "outputFormat")
        verdict = cover.validate_inputs(positivePrompt="short", audio=None)
        print(json.dumps({
            "n": len(classes), "node_id": schema.node_id, "category": schema.category,
            "seed": seed.kw, "fmt": [fmt.kind, fmt.kw["options"]],
            "outputs": [o.kind for o in schema.outputs], "verdict": verdict,
            "fp": cover.fingerprint_inputs(positivePrompt="a jazz cover", seed=1),
            "torch": "torch" in sys.modules}))
    """, cwd=tmp_path, extra_path=tmp_path / "stubs")
    assert out["n"] >= 4 and out["node_id"] == "MiniMaxMusicCover"
    assert out["category"] == "audio/MiniMax Cover"
    assert out["seed"]["control_after_generate"] is True and out["seed"]["max"] == 1_000_000
    assert out["fmt"] == ["COMBO", ["MP3", "WAV", "FLAC", "OGG"]]
    assert out["outputs"] == ["AUDIO", "INT", "FLOAT", "STRING", "STRING"]
    assert "positivePrompt" in out["verdict"] and len(out["fp"]) == 64


def test_v3_file_lists_are_fresh_on_every_schema_request(tmp_path: Path) -> None:
    """ComfyUI asks define_schema again after an upload: a new input file must show up."""
    stubs = tmp_path / "stubs"
    pkg = stubs / "comfy_api" / "latest"
    pkg.mkdir(parents=True)
    (stubs / "comfy_api" / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "__init__.py").write_text(STUB, encoding="utf-8")
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
            return audio.kw.get("options")
        before = options()
        pathlib.Path({str(inputs / "added_later.mp3")!r}).write_bytes(b"ID3")
        print(json.dumps({{"before": before, "after": options()}}))
    """, cwd=tmp_path, extra_path=stubs)
    assert out["before"] == []
    assert out["after"] == ["added_later.mp3"]
