"""Headless runner for API-format ComfyUI workflows built from this pack's nodes.

An API-format workflow maps node ids to ``{"class_type": ..., "inputs": {...}}``; an input is a
constant, a link ``[node_id, output_index]``, or a literal list wrapped as
``{"__value__": [...]}``. :func:`run_workflow` does what ComfyUI's executor does for them:
checks every node and link first (unknown type, missing node, output index out of range, type
mismatch, missing required input, ``VALIDATE_INPUTS``), then runs only the nodes upstream of
output nodes, in topological order. ComfyUI's core ``LoadAudio``, ``SaveAudio`` and
``PreviewAudio`` are accepted as aliases of the torch-free audio nodes, so stock templates run.
Every problem is a :class:`~..plugin.errors.WorkflowError` naming the node and input.
"""

from __future__ import annotations

import asyncio
import inspect
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..plugin.errors import WorkflowError

__all__ = ["NodeRun", "WorkflowResult", "known_node_classes", "load_workflow", "run_workflow"]

_COERCE = {"INT": int, "FLOAT": float, "STRING": str}
#: The pack's bundled example audio: the last place relative audio names are looked up (it
#: plays the part of ComfyUI's input folder for the example workflows).
EXAMPLE_AUDIO_DIR = Path(__file__).resolve().parent.parent / "examples" / "audio"


@dataclass
class NodeRun:
    """What one node produced: its outputs and, for output nodes, the ``ui`` dict."""

    node_id: str
    class_type: str
    outputs: tuple[Any, ...] = ()
    ui: dict[str, Any] | None = None


@dataclass
class WorkflowResult:
    """Every executed node in order; ``ui`` of output nodes keyed by node id."""

    order: list[str]
    runs: dict[str, NodeRun] = field(default_factory=dict)

    @property
    def ui(self) -> dict[str, dict[str, Any]]:
        """``{node_id: ui}`` of the nodes that returned one (what ComfyUI keeps in history)."""
        return {nid: r.ui for nid, r in self.runs.items() if r.ui is not None}

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary: execution order, ``ui`` and a description of each output."""
        return {
            "executed": list(self.order),
            "outputs": {nid: {"class_type": r.class_type, "ui": r.ui,
                              "values": [_describe(v) for v in r.outputs]}
                        for nid, r in self.runs.items()},
        }


def _describe(value: Any) -> Any:
    if isinstance(value, Mapping) and "waveform" in value:
        shape = getattr(value["waveform"], "shape", None)
        return {"type": "AUDIO", "shape": list(shape) if shape is not None else None,
                "sample_rate": value.get("sample_rate")}
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    return {"type": type(value).__name__}


def known_node_classes() -> dict[str, type]:
    """``{class_type: class}``: the pack's nodes plus the core audio aliases."""
    from . import node_table
    from .audio_nodes import CORE_ALIASES

    classes = {row.node_id: row.cls for row in node_table()}
    for alias, cls in CORE_ALIASES.items():
        classes.setdefault(alias, cls)
    return classes


def load_workflow(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read an API-format workflow file; :class:`WorkflowError` for UI format or bad JSON."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise WorkflowError(f"{path}: cannot read the workflow ({exc.strerror})") from exc
    except ValueError as exc:
        raise WorkflowError(f"{path}: not valid JSON ({exc})") from exc
    return _check_format(data, str(path))


def _check_format(data: Any, where: str) -> dict[str, Any]:
    if isinstance(data, Mapping) and "prompt" in data and isinstance(data["prompt"], Mapping):
        data = data["prompt"]  # a POST /prompt body
    if not isinstance(data, Mapping):
        raise WorkflowError(f"{where}: expected an object of node ids (API format)")
    if "nodes" in data and "links" in data:
        raise WorkflowError(f"{where}: this is a UI-format workflow; export it with "
                            "'Export (API)' in ComfyUI and run that file")
    return dict(data)


def _is_link(value: Any) -> bool:
    return (isinstance(value, list) and len(value) == 2 and isinstance(value[0], (str, int))
            and isinstance(value[1], int) and not isinstance(value[1], bool))


def _input_specs(cls: type) -> tuple[dict[str, Any], dict[str, Any], dict[str, str]]:
    types = cls.INPUT_TYPES()
    return types.get("required", {}), types.get("optional", {}), types.get("hidden", {})


def _type_name(entry: Any) -> str:
    kind = entry[0] if isinstance(entry, (tuple, list)) else entry
    return "COMBO" if isinstance(kind, (list, tuple)) else str(kind)


def _plan(workflow: dict[str, Any], classes: dict[str, type]) -> list[str]:
    """Check nodes and links; the ids to run (upstream of output nodes), in topological order."""
    for nid, node in workflow.items():
        if not isinstance(node, Mapping) or "class_type" not in node:
            raise WorkflowError(f"node {nid}: expected {{'class_type': ..., 'inputs': {{...}}}}")
        if node["class_type"] not in classes:
            known = ", ".join(sorted(classes))
            raise WorkflowError(f"node {nid}: unknown class_type {node['class_type']!r} "
                                f"(known: {known})")
        if not isinstance(node.get("inputs", {}), Mapping):
            raise WorkflowError(f"node {nid}: 'inputs' must be an object")
    deps: dict[str, set[str]] = {}
    for nid, node in workflow.items():
        cls = classes[node["class_type"]]
        required, optional, _ = _input_specs(cls)
        deps[nid] = set()
        for name, value in node.get("inputs", {}).items():
            if not _is_link(value):
                continue
            src, index = str(value[0]), value[1]
            if src not in workflow:
                raise WorkflowError(f"node {nid} input {name!r}: links to missing node {src}")
            src_cls = classes[workflow[src]["class_type"]]
            returns = tuple(getattr(src_cls, "RETURN_TYPES", ()))
            if not 0 <= index < len(returns):
                raise WorkflowError(
                    f"node {nid} input {name!r}: node {src} ({workflow[src]['class_type']}) has "
                    f"{len(returns)} output(s); index {index} is out of range")
            entry = required.get(name) or optional.get(name)
            if entry is not None:
                want, got = _type_name(entry), str(returns[index])
                if want not in ("*", got) and got != "*" and not (
                        want == "COMBO" and got in ("STRING", "COMBO")):
                    raise WorkflowError(f"node {nid} input {name!r}: expects {want}, but node "
                                        f"{src} output {index} is {got}")
            deps[nid].add(src)
    outputs = [nid for nid, node in workflow.items()
               if getattr(classes[node["class_type"]], "OUTPUT_NODE", False)]
    if not outputs:
        raise WorkflowError("the workflow has no output node (e.g. a save or preview node)")
    needed: set[str] = set()
    stack = list(outputs)
    while stack:
        nid = stack.pop()
        if nid not in needed:
            needed.add(nid)
            stack.extend(deps[nid])
    order: list[str] = []
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(nid: str, path: list[str]) -> None:
        if state.get(nid) == 2:
            return
        if state.get(nid) == 1:
            cycle = path[path.index(nid):] + [nid]
            raise WorkflowError(f"the workflow has a cycle: {' -> '.join(cycle)}")
        state[nid] = 1
        for dep in sorted(deps[nid], key=_sort_key):
            visit(dep, [*path, nid])
        state[nid] = 2
        order.append(nid)

    for nid in sorted(needed, key=_sort_key):
        visit(nid, [])
    return order


def _sort_key(nid: str) -> tuple[int, Any]:
    return (0, int(nid)) if nid.isdigit() else (1, nid)


def _constant(value: Any) -> Any:
    if isinstance(value, Mapping) and set(value) == {"__value__"}:
        return value["__value__"]
    return value


def _coerce(nid: str, name: str, entry: Any, value: Any) -> Any:
    kind = _type_name(entry)
    convert = _COERCE.get(kind)
    if convert is None or isinstance(value, Mapping):
        return value
    try:
        return convert(value)
    except (TypeError, ValueError):
        raise WorkflowError(f"node {nid} input {name!r}: expected {kind} (got {value!r})") from None


def _validate(nid: str, node: Mapping[str, Any], cls: type) -> None:
    required, optional, _ = _input_specs(cls)
    inputs = node.get("inputs", {})
    missing = [name for name in required if name not in inputs]
    if missing:
        raise WorkflowError(f"node {nid} ({node['class_type']}): required input(s) missing: "
                            f"{', '.join(missing)}")
    hook = getattr(cls, "VALIDATE_INPUTS", None)
    if hook is None:
        return
    constants = {}
    for name, value in inputs.items():
        entry = required.get(name) or optional.get(name)
        if _is_link(value):
            constants[name] = None
        elif entry is not None:
            constants[name] = _coerce(nid, name, entry, _constant(value))
    params = inspect.signature(hook).parameters
    if not any(p.kind is p.VAR_KEYWORD for p in params.values()):
        constants = {k: v for k, v in constants.items() if k in params}
    verdict = hook(**constants)
    if verdict is not True:
        raise WorkflowError(f"node {nid} ({node['class_type']}): {verdict}")


def run_workflow(
    workflow: Mapping[str, Any] | str | os.PathLike[str],
    *,
    output_dir: str | os.PathLike[str] | None = None,
    input_dirs: list[str | os.PathLike[str]] | None = None,
    classes: Mapping[str, type] | None = None,
    temp_dir: str | os.PathLike[str] | None = None,
) -> WorkflowResult:
    """Check and run an API-format workflow; return what each executed node produced.

    :param workflow: the workflow dict, or the path of its JSON file.
    :param output_dir: where save nodes write (default ``./output``).
    :param input_dirs: where relative audio paths are looked up (default: the workflow file's
        folder, the current directory, then the pack's ``examples/audio``).
    :param classes: ``{class_type: class}`` (default: :func:`known_node_classes`).
    :param temp_dir: where previews and downloaded takes go (default
        ``<system temp>/minimax-cover``).
    :raises WorkflowError: before anything runs, for any structural or input problem.
    """
    from .folders import use_dirs

    dirs: list[str | os.PathLike[str]] = list(input_dirs or [])
    if isinstance(workflow, (str, os.PathLike)):
        if not input_dirs:
            dirs.append(Path(workflow).resolve().parent)
        data = load_workflow(workflow)
    else:
        data = _check_format(workflow, "workflow")
    if not input_dirs:
        dirs += [Path.cwd(), EXAMPLE_AUDIO_DIR]
    table = dict(classes) if classes is not None else known_node_classes()
    order = _plan(data, table)
    result = WorkflowResult(order=order)
    with use_dirs(input_dirs=dirs, output_dir=output_dir, temp_dir=temp_dir):
        for nid in order:
            _validate(nid, data[nid], table[data[nid]["class_type"]])
        for nid in order:
            result.runs[nid] = _execute(nid, data, table, result)
    return result


def _execute(nid: str, data: dict[str, Any], table: Mapping[str, type],
             result: WorkflowResult) -> NodeRun:
    node = data[nid]
    cls = table[node["class_type"]]
    required, optional, hidden = _input_specs(cls)
    kwargs: dict[str, Any] = {}
    for name, value in node.get("inputs", {}).items():
        entry = required.get(name) or optional.get(name)
        if entry is None:
            continue  # ComfyUI ignores inputs a node does not declare
        if _is_link(value):
            kwargs[name] = result.runs[str(value[0])].outputs[value[1]]
        else:
            kwargs[name] = _coerce(nid, name, entry, _constant(value))
    for key, kind in hidden.items():
        kwargs[key] = {"UNIQUE_ID": nid, "PROMPT": data}.get(kind)
    out = getattr(cls(), cls.FUNCTION)(**kwargs)
    if inspect.isawaitable(out):
        out = asyncio.run(_await(out))
    ui = None
    if isinstance(out, Mapping):
        ui = dict(out["ui"]) if out.get("ui") is not None else None
        out = out.get("result", ())
    return NodeRun(nid, node["class_type"], tuple(out or ()), ui)


async def _await(awaitable: Any) -> Any:
    return await awaitable
