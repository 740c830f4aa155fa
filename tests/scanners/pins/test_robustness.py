"""Mangled input never crashes a checker: it is read, or it is an error naming the line."""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from secure_gate.scanners.pins import actions, dockerfile, lockfile, pip_install
from secure_gate.scanners.pins.expand import Scope
from tests.scanners.pins.test_actions import ANCHORS, MATRIX
from tests.scanners.pins.test_dockerfile import CASES as DOCKERFILES

_ALPHABET = [*"\\'\"$`{}[]()<>|&;#=:-@*!~,.% \t\n\r\u2028\ufeffaEOF", "<<", "${{", "}}"]
_SEEDS = [ANCHORS, MATRIX, *(text for _, text, _ in DOCKERFILES[-25:]),
          "pip install a 'b c' \"$X\" ${{ matrix.m }} $(x) `y` <<EOF\nz\nEOF\n&& || ; | & #\n",
          '[project]\ndependencies = ["a"]\n[tool.poetry]\npackage-mode = false\n']
_EXPECTED = (actions.YamlError, dockerfile.DockerfileError)


def mangled(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        chars = list(rng.choice(_SEEDS))
        for _ in range(rng.randint(1, 10)):
            at = rng.randint(0, len(chars))
            roll = rng.random()
            if roll < 0.45:
                chars.insert(at, rng.choice(_ALPHABET))
            elif roll < 0.8 and chars:
                del chars[min(at, len(chars) - 1)]
            else:
                donor = rng.choice(_SEEDS)
                start = rng.randint(0, max(0, len(donor) - 1))
                chars[at:at] = list(donor[start:start + rng.randint(1, 60)])
        out.append("".join(chars))
    return out


CHECKERS: dict[str, Callable[[str], object]] = {
    "workflow": lambda text: actions.check_workflow("wf.yml", text),
    "action": lambda text: actions.check_action("action.yml", text),
    "dockerfile": lambda text: dockerfile.check("Dockerfile", text),
    "shell": lambda text: pip_install.scan(text, Scope({"X": "flask"})),
    "pyproject": lambda text: lockfile.declared("pyproject.toml", text),
}


@pytest.mark.parametrize("name", list(CHECKERS))
def test_mangled_input_is_read_or_refused_never_a_crash(name: str) -> None:
    check = CHECKERS[name]
    for text in mangled(400, seed=sum(map(ord, name))):
        try:
            check(text)
        except _EXPECTED:
            continue
        except ValueError as exc:
            # Project files are a hint: their parse errors become notes.
            assert name == "pyproject" and "TOML" in str(exc), (exc, text)
