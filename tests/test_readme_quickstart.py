"""The README's quick start is two commands that work on a system Python refusing ``pip``
(Debian/Ubuntu, PEP 668): each creates and uses a virtual environment; CI runs the second."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _quick_start() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)\n```", section, re.DOTALL)


def test_quick_start_is_two_one_line_commands() -> None:
    blocks = _quick_start()
    assert len(blocks) == 2
    assert all("\n" not in block for block in blocks)


def test_each_command_makes_and_uses_a_virtual_environment() -> None:
    for command in _quick_start():
        steps = [step.strip() for step in command.split("&&")]
        assert steps[0] == "python3 -m venv .venv", command
        for step in steps[1:]:  # every later step runs the venv's own programs
            assert step.startswith(".venv/bin/"), step
        # nothing installs into the system interpreter (refused under PEP 668)
        assert not re.search(r"(^|&&)\s*(python3 -m pip|pip3?) install", command), command
    run, tests = _quick_start()
    assert ".venv/bin/minimax-cover cover examples/audio/example_song.mp3" in run
    assert tests.endswith(".venv/bin/python -m pytest")


def test_ci_runs_the_readme_test_command() -> None:
    script = ROOT / ".ci" / "run"
    extract = re.search(r'README_TEST_COMMAND="\$\((awk .*?)\)"', script.read_text(),
                        re.DOTALL)
    assert extract, "the CI script no longer reads the README's test command"
    found = subprocess.run(["bash", "-c", extract.group(1)], cwd=ROOT, capture_output=True,
                           text=True, check=True).stdout.strip()
    assert found == _quick_start()[1]
    assert 'bash -c "$README_TEST_COMMAND"' in script.read_text()
