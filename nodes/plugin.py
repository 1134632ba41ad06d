"""Built-in plugin of the ComfyUI face: registers the pack's host nodes and ``run-workflow``.

Listed in :data:`~minimax_cover.plugin.hooks.registry.BUILTIN_PLUGINS` by dotted name, like the
built-ins of ``plugin/`` (llm's ``DEFAULT_PLUGINS``), so ``plugin/`` never imports ``nodes/``.
Cover nodes for every registered model are generated from the registry by ``nodes/``; this
module adds the nodes of other kinds through the same ``register_nodes`` hook third-party plugins
use, and the headless runner's command through ``register_commands``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable

from ..plugin.hooks.specs import hookimpl


@hookimpl
def register_nodes(register: Callable[..., None]) -> None:
    """Register the torch-free audio load/save/preview nodes and the two-step preprocess node."""
    from .audio_nodes import AUDIO_NODES
    from .preprocess_node import DISPLAY_NAME, NODE_ID, MiniMaxCoverPreprocess

    for node_id, cls, display in AUDIO_NODES:
        register(node_id, cls, display)
    register(NODE_ID, MiniMaxCoverPreprocess, DISPLAY_NAME)


@hookimpl
def register_commands(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``minimax-cover run-workflow`` (the headless runner)."""
    from .workflow_cmd import add_parser

    add_parser(subparsers)
