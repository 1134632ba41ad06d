"""Reading ComfyUI UI-format workflows in tests: which inputs are widgets, and their values."""

from __future__ import annotations

from typing import Any

#: What ComfyUI stores after a ``control_after_generate`` widget's value.
SEED_CONTROLS = ("fixed", "increment", "decrement", "randomize")


def widget_names(cls: type) -> list[tuple[str, dict[str, Any]]]:
    """``[(name, options)]`` of the node's widget inputs, in ``widgets_values`` order."""
    out = []
    for section in ("required", "optional"):
        for name, entry in cls.INPUT_TYPES().get(section, {}).items():
            kind, options = entry[0], (entry[1] if len(entry) > 1 else {})
            if isinstance(kind, list) or kind in ("STRING", "INT", "FLOAT", "BOOLEAN"):
                out.append((name, options))
    return out


def expand(cls: type, values: list[Any], *,
           seed_controls: tuple[str, ...] = SEED_CONTROLS) -> dict[str, Any]:
    """Map UI ``widgets_values`` onto names (one extra value after control_after_generate,
    which must be one of ``seed_controls``). Trailing widgets a saved workflow lacks keep their
    defaults, as in ComfyUI's frontend (a toggle added after the workflow was saved)."""
    it = iter(values)
    out = {}
    for name, options in widget_names(cls):
        try:
            out[name] = next(it)
        except StopIteration:
            break
        if options.get("control_after_generate"):
            control = next(it)
            assert control in seed_controls, f"{name}: seed control {control!r}"
    return out
