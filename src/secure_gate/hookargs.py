"""The `hook` command's argv: options (the hook's entry and the user's args), then file names."""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

# pre-commit runs `entry + args + file names` with no separator, and passes only names that
# exist (pre_commit/commands/run.py Classifier: os.path.lexists). So the file names are a
# suffix of existing paths; everything before them is an option of ours. A name that looks
# like an option (`--fail-on=never`, `-x.py`) is a file when it and every name after it
# exist: the earliest such point wins, so a staged file can never become an option.


def parse_args(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.Namespace:
    """``parser.parse_args(argv)``, with the `hook` command's file names split off first."""
    argv = list(argv)
    hook = _hook_parser(parser)
    if not argv or argv[0] != "hook" or hook is None:
        return parser.parse_args(argv)
    options, files = split(hook, argv[1:])
    args = parser.parse_args(["hook", *options])
    args.paths = [*args.paths, *files]
    return args


def split(hook: argparse.ArgumentParser, argv: list[str]) -> tuple[list[str], list[str]]:
    """``(options, files)``: ``--`` or the first run of existing paths starts the files."""
    known = hook._option_string_actions  # argparse's own table: name → action
    all_exist = [False] * (len(argv) + 1)
    all_exist[len(argv)] = True
    for i in range(len(argv) - 1, -1, -1):
        all_exist[i] = all_exist[i + 1] and os.path.lexists(argv[i])
    i = 0
    while i < len(argv):
        word = argv[i]
        if all_exist[i]:
            return argv[:i], argv[i:]
        if word == "--":
            return argv[:i], argv[i + 1:]
        if not word.startswith("-") or word == "-":
            return argv[:i], argv[i:]  # the first positional: the rest are file names
        action = _option(known, word.split("=", 1)[0])
        i += 1
        if action is not None and action.nargs != 0 and "=" not in word:
            i += 1  # its value, whatever it looks like
    return argv, []


def _option(known: dict[str, argparse.Action], name: str) -> argparse.Action | None:
    """The action of an option, by its name or an unambiguous prefix (as argparse allows)."""
    if name in known:
        return known[name]
    if not name.startswith("--"):
        return None
    candidates = {id(a): a for n, a in known.items() if n.startswith(name)}
    return next(iter(candidates.values())) if len(candidates) == 1 else None


def _hook_parser(parser: argparse.ArgumentParser) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            found = action.choices.get("hook")
            return found if isinstance(found, argparse.ArgumentParser) else None
    return None
