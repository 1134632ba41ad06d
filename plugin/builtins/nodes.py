"""Built-in plugin: registers the pack's own host nodes (load/save audio, preprocess).

Cover nodes for every registered model are generated from the registry by ``nodes/``; this
module adds the nodes of other kinds through the same ``register_nodes`` hook third-party
plugins use.
"""

from __future__ import annotations

from collections.abc import Callable

from ..hookspecs import hookimpl


@hookimpl
def register_nodes(register: Callable[..., None]) -> None:
    """Register the audio load/save/preview nodes."""
    try:
        from ...nodes.audio_nodes import AUDIO_NODES
    except ImportError:  # nodes not built in this checkout
        return
    for node_id, cls, display in AUDIO_NODES:
        register(node_id, cls, display)
