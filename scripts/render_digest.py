"""Render the README's example PR comment (the large golden digest) to docs/digest.png.

    .venv/bin/python scripts/render_digest.py    # needs Debian's chromium (headless)

The golden markdown is turned into HTML by a CommonMark renderer (markdown-it-py, tables on,
raw HTML such as <details> kept, as GitHub renders comments), styled like a comment, and
photographed by headless Chromium. docs/digest.png.sha256 records which golden the picture
shows; tests/report/test_readme_digest_png.py fails when the golden moves on without it.
"""

from __future__ import annotations

import hashlib
import html
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from markdown_it import MarkdownIt

PROJECT = Path(__file__).resolve().parents[1]
GOLDEN = PROJECT / "tests" / "golden" / "digest" / "large.md"
PICTURE = PROJECT / "docs" / "digest.png"
SOURCE = PROJECT / "docs" / "digest.png.sha256"

CSS = """
body { margin: 0; background: #f6f8fa; font: 14px/1.5 "DejaVu Sans", sans-serif;
       color: #1f2328; }
.comment { margin: 16px; border: 1px solid #d0d7de; border-radius: 6px; background: #fff; }
.head { padding: 8px 16px; background: #f6f8fa; border-bottom: 1px solid #d0d7de;
        border-radius: 6px 6px 0 0; color: #59636e; }
.head b { color: #1f2328; }
.body { padding: 4px 16px 12px; }
h2, h3 { border-bottom: 1px solid #d8dee4; padding-bottom: .3em; }
table { border-collapse: collapse; } th, td { border: 1px solid #d0d7de; padding: 4px 10px; }
tr:nth-child(2n) { background: #f6f8fa; }
code { background: #eff1f3; padding: .1em .3em; border-radius: 4px;
       font: 12px "DejaVu Sans Mono", monospace; }
a { color: #0969da; text-decoration: none; }
details summary { cursor: pointer; color: #0969da; }
"""


def source_digest() -> str:
    """sha256 of the golden digest the picture shows."""
    return hashlib.sha256(GOLDEN.read_bytes()).hexdigest()


def page(text: str) -> str:
    """The digest as a GitHub-like comment page."""
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(text)
    return (f"<!doctype html><html><head><meta charset='utf-8'><style>{CSS}</style></head>"
            f"<body><div class='comment'><div class='head'><b>github-actions</b> "
            f"<span>bot</span> commented</div><div class='body'>{body}</div></div>"
            f"<!-- {html.escape(source_digest())} --></body></html>")


def main() -> int:
    """Render and write the picture and its source hash."""
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    if browser is None:
        print("render_digest: install Debian's chromium first", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="secure-gate-digest-") as tmp:
        page_file = Path(tmp) / "digest.html"
        page_file.write_text(page(GOLDEN.read_text(encoding="utf-8")), encoding="utf-8")
        shot = Path(tmp) / "digest.png"
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", f"--user-data-dir={tmp}/profile",
                        "--window-size=960,760", f"--screenshot={shot}",
                        page_file.as_uri()], check=True, capture_output=True, timeout=120)
        PICTURE.parent.mkdir(exist_ok=True)
        shutil.copyfile(shot, PICTURE)
    SOURCE.write_text(source_digest() + "\n", encoding="utf-8")
    print(f"render_digest: wrote {PICTURE.relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
