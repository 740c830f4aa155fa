"""The pure parser of zizmor's JSON, on its real recorded output and on broken shapes."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from secure_gate.scanners.workflows.zizmor_json import ZizmorOutputError, parse
from tests.scanners.workflows.helpers import recorded


def test_every_recorded_finding_is_read_with_its_determinations_and_primary_span() -> None:
    audits = parse(recorded())
    assert len(audits) == 21
    injection = [a for a in audits if a.ident == "template-injection"]
    assert len(injection) == 8
    first = next(a for a in injection if a.primary.path.endswith("injection.yml"))
    assert (first.severity, first.confidence, first.persona) == ("High", "High", "Regular")
    assert first.url == "https://docs.zizmor.sh/audits/#template-injection"
    assert first.primary.start_row == 15 and first.primary.feature
    assert [a.ignored for a in injection].count(True) == 1


def test_related_spans_keep_their_annotations_in_zizmor_order() -> None:
    inherit = next(a for a in parse(recorded()) if a.ident == "secrets-inherit")
    assert inherit.primary.route == ("jobs", "call", "uses")
    assert [(s.start_row, s.annotation) for s in inherit.related] == [
        (8, "inherits all parent secrets")]


def test_an_empty_run_is_no_findings() -> None:
    assert parse([]) == []


def _broken(change: Any) -> list[Any]:
    document = copy.deepcopy(recorded()[:1])
    change(document[0])
    return document


@pytest.mark.parametrize(("change", "problem"), [
    (lambda f: f.pop("ident"), "no 'ident'"),
    (lambda f: f["determinations"].update(severity=3), "'severity' is not str"),
    (lambda f: f.update(locations=[s for s in f["locations"]
                                   if s["symbolic"]["kind"] != "Primary"]),
     "no primary location"),
    (lambda f: f["locations"][0]["concrete"]["location"]["start_point"].update(row=True),
     "'row' is not a number"),
    (lambda f: f["locations"][0]["concrete"]["location"]["start_point"].update(row=-1),
     "negative position"),
    (lambda f: f["locations"][0]["symbolic"].update(key={"Remote": {}}),
     "not a local file"),
])
def test_a_document_of_another_shape_is_an_error_naming_what(change: Any, problem: str) -> None:
    with pytest.raises(ZizmorOutputError, match=problem):
        parse(_broken(change))


def test_a_top_level_that_is_not_a_list_is_an_error() -> None:
    with pytest.raises(ZizmorOutputError, match="not a list"):
        parse({"findings": []})
