"""Test double of ``comfy_api.latest``: ``io`` and ``ComfyExtension``, without torch.

Mirrors the names and keyword signatures of ComfyUI's ``comfy_api/latest/_io.py`` for the parts
the pack uses, so a wrong keyword fails here as it would in ComfyUI. Not ComfyUI's code.
"""

from __future__ import annotations

from . import _io as io

__all__ = ["ComfyExtension", "io"]


class ComfyExtension:
    """Base of an extension: ComfyUI awaits ``on_load`` (newer) then ``get_node_list``."""

    async def on_load(self) -> None:
        return None

    async def get_node_list(self) -> list[type[io.ComfyNode]]:
        raise NotImplementedError
