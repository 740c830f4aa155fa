"""Tiny real wheels, written by hand per the wheel spec (PEP 427, PEP 376 RECORD)."""

from __future__ import annotations

import base64
import hashlib
import io
import re
import zipfile


def _digest(data: bytes) -> str:
    return "sha256=" + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(
        b"=").decode()


def wheel(name: str, version: str) -> tuple[str, bytes]:
    """(file name, bytes) of a pure-Python wheel installing module ``<name>`` that holds
    ``VERSION = "<version>"``; the archive is the same bytes on every call."""
    dist = re.sub(r"[-_.]+", "_", name)
    info = f"{dist}-{version}.dist-info"
    members = {
        f"{dist}/__init__.py": f'VERSION = "{version}"\n'.encode(),
        f"{info}/METADATA": (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
                             ).encode(),
        f"{info}/WHEEL": b"Wheel-Version: 1.0\nGenerator: secure-gate-tests\n"
                         b"Root-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{path},{_digest(data)},{len(data)}\n" for path, data in members.items())
    record += f"{info}/RECORD,,\n"
    members[f"{info}/RECORD"] = record.encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in members.items():
            entry = zipfile.ZipInfo(path, date_time=(2024, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            archive.writestr(entry, data)
    return f"{dist}-{version}-py3-none-any.whl", buffer.getvalue()
