"""Typed option specifications: how each config value is checked and what it defaults to."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any


class OptionError(ValueError):
    """A value that does not fit its option; the message says what is allowed."""


def _type_name(value: object) -> str:
    if value is None:
        return "nothing (null)"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            list: "a list", dict: "a mapping"}.get(type(value), type(value).__name__)


Parser = Callable[[object], Any]


@dataclass(frozen=True, slots=True)
class Option:
    """One configurable value: its parser (raises :class:`OptionError`), default and help."""

    parse: Parser
    default: Any
    help: str
    allowed: str


def boolean(default: bool, help: str) -> Option:
    """A ``true``/``false`` option."""

    def parse(value: object) -> bool:
        if isinstance(value, bool):
            return value
        raise OptionError(f"expected true or false, got {_type_name(value)}")

    return Option(parse, default, help, "true or false")


def number(default: float, help: str, *, minimum: float = 0.0, maximum: float,
           integer: bool = False) -> Option:
    """A finite number greater than ``minimum`` (or an integer at least ``minimum``), at
    most ``maximum``: ``nan`` and ``inf`` (YAML ``.nan``/``.inf``, TOML ``nan``/``inf``)
    would switch a limit off, so they are refused like any out-of-range value."""

    def parse(value: object) -> float | int:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise OptionError(f"expected a number, got {_type_name(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise OptionError(f"expected a finite number, got {value!r}")
        if integer and not isinstance(value, int):
            raise OptionError(f"expected a whole number, got {value!r}")
        if (value < minimum) if integer else (value <= minimum):
            bound = f"at least {minimum:g}" if integer else f"greater than {minimum:g}"
            raise OptionError(f"expected a number {bound}, got {value!r}")
        if value > maximum:
            raise OptionError(f"expected a number of at most {_show(maximum)}, got {value!r}")
        return value

    kind = "a whole number" if integer else "a number"
    return Option(parse, default, help, f"{kind} up to {_show(maximum)}")


def _show(limit: float) -> str:
    return str(int(limit)) if float(limit).is_integer() else f"{limit:g}"


def visible(text: str) -> bool:
    """True when ``text`` holds a character that shows: zero-width spaces and joiners,
    direction marks, BOMs and other format or control characters alone say nothing."""
    return any(unicodedata.category(c)[0] not in "CZ" and unicodedata.category(c) != "Mn"
               for c in text)


def choice(default: str, help: str, choices: Sequence[str]) -> Option:
    """One of a fixed set of strings."""

    def parse(value: object) -> str:
        if not isinstance(value, str) or value not in choices:
            raise OptionError(f"expected one of {', '.join(choices)}, got {value!r}")
        return value

    return Option(parse, default, help, "one of " + ", ".join(choices))


def string(default: str | None, help: str, *, pattern: str | None = None) -> Option:
    """A non-empty string, optionally matching ``pattern``."""

    def parse(value: object) -> str:
        if not isinstance(value, str) or not value.strip():
            raise OptionError(f"expected a non-empty string, got {_type_name(value)}")
        if pattern and not re.fullmatch(pattern, value):
            raise OptionError(f"{value!r} does not match {pattern}")
        return value

    return Option(parse, default, help, "a string")


def string_list(help: str, *, item_pattern: str | None = None,
                check: Callable[[str], None] | None = None) -> Option:
    """A list of non-empty strings (a single string is not accepted: say what you mean)."""

    def parse(value: object) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise OptionError(f"expected a list of strings, got {_type_name(value)}")
        out = []
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise OptionError(f"item {index}: expected a non-empty string, "
                                  f"got {_type_name(item)}")
            if item_pattern and not re.fullmatch(item_pattern, item):
                raise OptionError(f"item {index}: {item!r} does not match {item_pattern}")
            if check is not None:
                try:
                    check(item)
                except ValueError as exc:
                    raise OptionError(f"item {index}: {exc}") from None
            out.append(item)
        return tuple(out)

    return Option(parse, (), help, "a list of strings")


def date(value: object) -> dt.date:
    """Parse a ``YYYY-MM-DD`` date (YAML may already have made it a date)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise OptionError(f"expected a date as YYYY-MM-DD, got {value!r}")


def mapping(value: object) -> Mapping[str, object]:
    """Check that ``value`` is a mapping with string keys."""
    if not isinstance(value, dict):
        raise OptionError(f"expected a mapping, got {_type_name(value)}")
    for key in value:
        if not isinstance(key, str):
            raise OptionError(f"keys must be strings, got {key!r}")
    return value


def describe(value: object) -> str:
    """A short name for a value's type, for error messages."""
    return _type_name(value)
