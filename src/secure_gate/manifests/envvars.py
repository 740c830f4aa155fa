"""``${NAME}`` in requirements files: found where pip expands it, never substituted.

pip replaces ``${NAME}`` (upper-case letters, digits and ``_`` only) with the installing
environment's value after joining continuations and dropping comments, and leaves it as
written when the variable is unset (``pip/_internal/req/req_file.py``, ``ENV_VAR_RE``).
The gate reads the file as the repository wrote it: the environment it runs in is the
runner's, not the installer's, and can hold secrets that must not reach a report. So each
variable stays unresolved, is named in a notice, and the line is checked for what it shows:
``name==${VERSION}`` is pinned (to a version only the install knows), ``name>=${MIN}`` is a
range, a URL with a variable host still needs its hash.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# pip's own pattern; ``${lower}`` and ``$NAME`` stay literal text for pip, and so for us.
ENV_VAR = re.compile(r"\$\{(?P<name>[A-Z0-9_]+)\}")
# Stand-ins that parse as a name, a version or a URL part, so that the line's shape can be
# read without any value; chosen to be unlike anything written by hand.
_STAND_IN = "7919{:03d}7919"


def names(text: str) -> tuple[str, ...]:
    """The variables pip would expand in ``text``, each once, in order of appearance."""
    return tuple(dict.fromkeys(m.group("name") for m in ENV_VAR.finditer(text)))


def hide(text: str, variables: Sequence[str]) -> str | None:
    """``text`` with each variable replaced by its stand-in (None if a stand-in is taken)."""
    if any(_STAND_IN.format(i) in text for i in range(len(variables))):
        return None
    index = {name: i for i, name in enumerate(variables)}
    return ENV_VAR.sub(lambda m: _STAND_IN.format(index.get(m.group("name"), 999)), text)


def show(text: str, variables: Sequence[str]) -> str:
    """Undo :func:`hide`: each stand-in back to the ``${NAME}`` it stood for."""
    for i, name in enumerate(variables):
        text = text.replace(_STAND_IN.format(i), "${" + name + "}")
    return text


def hidden(text: str, variables: Sequence[str]) -> bool:
    """True when ``text`` (parsed from a hidden line) contains a stand-in."""
    return any(_STAND_IN.format(i) in text for i in range(len(variables)))


def listed(variables: Sequence[str]) -> str:
    """``${A}, ${B}`` for messages (names only: values are never read)."""
    return ", ".join("${" + name + "}" for name in variables)
