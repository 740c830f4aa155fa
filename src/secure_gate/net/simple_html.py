"""A PEP 503 HTML project page read into the shape of PEP 691 JSON, for indexes without JSON.

Private indexes (and older mirrors) may still answer only HTML. Each anchor becomes a
``files`` entry: the file name is the last segment of its URL's path, the ``sha256`` its
``#sha256=`` fragment, ``data-yanked`` and ``data-requires-python`` as PEP 592 and PEP 503
give them. The result is checked by the same reader as JSON, so nothing is trusted more.
"""

from __future__ import annotations

import urllib.parse
from html.parser import HTMLParser
from typing import Any

HTML_KINDS = frozenset({"application/vnd.pypi.simple.v1+html", "text/html"})
MAX_ANCHORS = 200_001  # one more than the reader takes, so that too many is its error


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.files: list[dict[str, Any]] = []
        self.api = "1.0"

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "meta" and found.get("name") == "pypi:repository-version":
            self.api = found.get("content") or ""
        if tag != "a" or not found.get("href") or len(self.files) >= MAX_ANCHORS:
            return
        parts = urllib.parse.urlsplit(found["href"] or "")
        filename = urllib.parse.unquote(parts.path.rsplit("/", 1)[-1])
        hashes: dict[str, str] = {}
        algorithm, _, digest = parts.fragment.partition("=")
        if algorithm == "sha256":
            hashes["sha256"] = digest
        entry: dict[str, Any] = {"filename": filename, "hashes": hashes,
                                 "requires-python": found.get("data-requires-python")}
        if "data-yanked" in found:
            entry["yanked"] = found["data-yanked"] or True
        self.files.append(entry)


def as_json(text: str, name: str) -> dict[str, Any]:
    """The page's files as a PEP 691 document for the project ``name``."""
    parser = _Anchors()
    parser.feed(text)
    parser.close()
    return {"meta": {"api-version": parser.api}, "name": name, "files": parser.files}
