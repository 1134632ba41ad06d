"""``python -m minimax_cover.plugin.cli``."""

from . import run

run()
