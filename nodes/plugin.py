"""Built-in plugin of the ComfyUI face: registers the pack's host nodes and ``run-workflow``.

Listed in :data:`~minimax_cover.plugin.hooks.registry.BUILTIN_PLUGINS` by dotted name, like the
built-ins of ``plugin/`` (llm's ``DEFAULT_PLUGINS``), so ``plugin/`` never imports ``nodes/``.
Cover nodes for every registered model are generated from the registry by ``nodes/``; this
module adds the nodes of other kinds through the same ``register_nodes`` hook third-party plugins
use, and the headless runner's command through ``register_commands``.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from ..plugin.hooks.specs import hookimpl

#: ComfyUI's own audio nodes; where all are loaded, the pack's torch-free twins stay hidden.
CORE_AUDIO_NODE_IDS = ("LoadAudio", "SaveAudio", "PreviewAudio")


def comfy_core_audio_nodes() -> bool:
    """True inside a ComfyUI whose own LoadAudio/SaveAudio/PreviewAudio are registered.

    ComfyUI loads its built-in nodes (``nodes.NODE_CLASS_MAPPINGS``) before custom packs.
    """
    core = getattr(sys.modules.get("nodes"), "NODE_CLASS_MAPPINGS", None)
    return isinstance(core, dict) and all(n in core for n in CORE_AUDIO_NODE_IDS)


@hookimpl
def register_nodes(register: Callable[..., None]) -> None:
    """Register the audition and pick nodes, the two-step preprocess node and, where ComfyUI's
    own audio nodes are absent (the headless runner), the torch-free load/save/preview nodes."""
    from .audio_nodes import AUDIO_NODES
    from .audition_nodes import AUDITION_NODES
    from .preprocess_node import DISPLAY_NAME, NODE_ID, MiniMaxCoverPreprocess

    if not comfy_core_audio_nodes():
        for node_id, cls, display in AUDIO_NODES:
            register(node_id, cls, display)
    register(NODE_ID, MiniMaxCoverPreprocess, DISPLAY_NAME)
    from .ticket_nodes import ticket_nodes

    for node_id, cls, display in ticket_nodes():
        register(node_id, cls, display)
    for node_id, cls, display in AUDITION_NODES:
        register(node_id, cls, display)


@hookimpl
def register_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``minimax-cover run-workflow`` (the headless runner)."""
    from .workflow_cmd import add_parser

    add_parser(subparsers)
