"""zizmor's JSON (v1) read into plain records: audit id, determinations, spans; nothing mapped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

# zizmor's location kinds: the one the finding is about, others worth showing, and
# context that zizmor itself never prints.
PRIMARY = "Primary"
RELATED = "Related"
HIDDEN = "Hidden"


class ZizmorOutputError(ValueError):
    """zizmor's output does not have the shape of its v1 JSON format."""


@dataclass(frozen=True, slots=True)
class Span:
    """One location of a finding, as zizmor reports it (rows and columns 0-based)."""

    kind: str
    path: str  # the path zizmor was given, verbatim
    annotation: str
    start_row: int
    start_column: int
    end_row: int
    end_column: int
    route: tuple[str, ...]
    feature: str


@dataclass(frozen=True, slots=True)
class Audit:
    """One zizmor finding: its audit id, determinations and locations (primary first)."""

    ident: str
    desc: str
    url: str
    severity: str
    confidence: str
    persona: str
    ignored: bool
    spans: tuple[Span, ...]
    fixes: tuple[str, ...]

    @property
    def primary(self) -> Span:
        """The location the finding is about (the parser guarantees there is one)."""
        return next(s for s in self.spans if s.kind == PRIMARY)

    @property
    def related(self) -> tuple[Span, ...]:
        """The other locations zizmor shows, in its order."""
        return tuple(s for s in self.spans if s.kind == RELATED)


def _field(obj: Any, key: str, kind: type, where: str) -> Any:
    if not isinstance(obj, dict) or key not in obj:
        raise ZizmorOutputError(f"{where}: no {key!r}")
    value = obj[key]
    if kind is int and isinstance(value, bool):
        raise ZizmorOutputError(f"{where}: {key!r} is not a number")
    if not isinstance(value, kind):
        raise ZizmorOutputError(f"{where}: {key!r} is not {kind.__name__}")
    return value


def _point(location: Any, key: str, where: str) -> tuple[int, int]:
    point = _field(location, key, dict, where)
    row, column = _field(point, "row", int, where), _field(point, "column", int, where)
    if row < 0 or column < 0:
        raise ZizmorOutputError(f"{where}: negative position")
    return row, column


def _route(symbolic: dict[str, Any]) -> tuple[str, ...]:
    route = symbolic.get("route")
    steps = route.get("route") if isinstance(route, dict) else None
    out: list[str] = []
    for step in steps if isinstance(steps, list) else []:
        if isinstance(step, dict) and len(step) == 1:
            ((_kind, value),) = step.items()
            out.append(str(value))
    return tuple(out)


def _span(raw: Any, where: str) -> Span:
    symbolic = _field(raw, "symbolic", dict, where)
    concrete = _field(raw, "concrete", dict, where)
    key = _field(symbolic, "key", dict, where)
    local = key.get("Local")
    if not isinstance(local, dict) or not isinstance(local.get("verbatim_path"), str):
        raise ZizmorOutputError(f"{where}: not a local file ({', '.join(map(str, key))})")
    location = _field(concrete, "location", dict, where)
    start = _point(location, "start_point", where)
    end = _point(location, "end_point", where)
    feature = concrete.get("feature")
    annotation = symbolic.get("annotation")
    return Span(
        kind=_field(symbolic, "kind", str, where), path=local["verbatim_path"],
        annotation=annotation if isinstance(annotation, str) else "",
        start_row=start[0], start_column=start[1], end_row=end[0], end_column=end[1],
        route=_route(symbolic), feature=feature if isinstance(feature, str) else "")


def parse(document: Any) -> list[Audit]:
    """Every finding of one ``zizmor --format json`` run; raises :class:`ZizmorOutputError`."""
    if not isinstance(document, list):
        raise ZizmorOutputError("the top level is not a list of findings")
    audits = []
    for index, raw in enumerate(document):
        where = f"finding {index}"
        determinations = _field(raw, "determinations", dict, where)
        spans = tuple(_span(s, where) for s in _field(raw, "locations", list, where))
        if not any(s.kind == PRIMARY for s in spans):
            raise ZizmorOutputError(f"{where}: no primary location")
        fixes: Sequence[Any] = raw.get("fixes") if isinstance(raw.get("fixes"), list) else []
        audits.append(Audit(
            ident=_field(raw, "ident", str, where), desc=_field(raw, "desc", str, where),
            url=raw.get("url") if isinstance(raw.get("url"), str) else "",
            severity=_field(determinations, "severity", str, where),
            confidence=_field(determinations, "confidence", str, where),
            persona=str(determinations.get("persona", "")),
            ignored=raw.get("ignored") is True, spans=spans,
            fixes=tuple(str(f["title"]) for f in fixes
                        if isinstance(f, dict) and isinstance(f.get("title"), str))))
    return audits
