"""Known-benign shapes: generic-heuristic matches that are provably not credentials.

Each rule looks at one match of a *generic* detector (keyword, entropy, basic auth: see
kinds.py) with its value and its line, and names the shape when the match is one of:

* ``commit-sha``: a 40- or 64-hex commit id after ``rev:``/``rev =`` or ``@``
  (pre-commit ``rev:``, workflow ``uses: owner/repo@<sha>``, ``git+https://...@<sha>``);
* ``lock-file-hash``: a hex or base64 value in a lock file (pylock.toml, uv.lock,
  poetry.lock, Pipfile.lock, pdm.lock, package-lock.json, yarn.lock, pnpm-lock.yaml...);
* ``digest``: a hex value named as a digest on its line (``--hash=sha256:<hex>``,
  ``sha256 = "<hex>"``, ``"md5": "<hex>"``, ``checksum``), or an ``integrity`` field's
  ``sha512-<base64>``;
* ``gate-fingerprint``: the gate's own 32-hex fingerprints and 64-hex evidence digests, as
  its baseline, JSON report and cache files write them (``"<hex>": {``, ``"fingerprint":``);
* ``placeholder``: ``your-api-key``, ``changeme``, ``<token>``, ``xxxx``, ``${VAR}``,
  ``{{ var }}``, ``%(var)s``, ``dummy...``, ``example``, ``***``; outside product code also
  everyday test values (``password``, ``secret``, ``test``, ``foo``) and values equal to
  their own key (``password="password"``), which in product code are a weak credential;
* ``environment-read``: the value is an environment lookup (``os.environ[...]``,
  ``os.getenv(...)``, ``process.env.X``, ``${{ secrets.X }}``) or the name it looks up;
* ``secrets-inherit``: a workflow's ``secrets: inherit``;
* ``same-token`` (applied by the worker): the generic match is the value a vendor-token
  detector already reports on the same line, or one of our detectors' matches that
  detect-secrets' own detector for that vendor already reports.

The rules never see a vendor-token match: a real token in a lock file or next to the word
``example`` is still reported. The worker counts what each rule dropped, and the report's
notes show the counts.
"""

from __future__ import annotations

import re

from secure_gate import filekinds

LOCK_FILES = frozenset({
    "pylock.toml", "uv.lock", "poetry.lock", "pipfile.lock", "pdm.lock", "package-lock.json",
    "npm-shrinkwrap.json", "yarn.lock", "pnpm-lock.yaml", "cargo.lock", "composer.lock",
    "gemfile.lock", "conda-lock.yml", "bun.lock",
})
_PYLOCK = re.compile(r"pylock\.[^/]+\.toml")
_HEX = re.compile(r"[0-9a-fA-F]{32,128}")
_HASHY = re.compile(r"[A-Za-z0-9+/=_-]{20,}")
_DIGEST_NAME = re.compile(r"(?i)(?:sha1|sha224|sha256|sha384|sha512|md5|blake2[bs]?|digest|"
                          r"checksum|hash)\W{0,6}$")
# Words that only ever stand for a value to be filled in: dropped in every path class.
_PLACEHOLDER_WORDS = frozenset({
    "changeme", "changeit", "replaceme", "example", "sample", "placeholder", "redacted",
    "dummy", "fake", "none", "null", "empty", "todo", "fixme", "notasecret", "notsecret",
    "yoursecret", "xxx",
})
# Words a test or a document uses as a value, but which in product code are a weak
# credential (``SECRET_KEY = "secret"``): dropped outside product code only (by the default
# path classes, which depend on the path alone, so cached results stay right).
_TEST_WORDS = frozenset({
    "password", "passwd", "pass", "secret", "token", "apikey", "key", "test", "testing",
    "foo", "bar", "foobar", "mysecret", "mypassword", "secretkey", "inherit",
})
_PLACEHOLDER_PREFIXES = ("your", "dummy", "fake", "example", "sample", "placeholder",
                         "changeme", "change-me", "change_me", "replace", "insert", "enter",
                         "not-a-real", "not_a_real", "notreal", "mock")
_TEMPLATE = re.compile(r"^(?:\$\{\{?[^}]*\}?\}|\$[A-Za-z_][A-Za-z0-9_]*|\{\{[^}]*\}\}|"
                       r"%\([^)]*\)s|<[^<>]+>|\[[^\[\]]+\]|\*{3,}|\.{3,}|[xX*#]{3,}.*|.*[xX]{4,}"
                       r")$")
_ENV_READ = re.compile(r"os\.environ|environ\.get|environ\[|getenv\(|process\.env\.|"
                       r"\$\{\{\s*(?:secrets|env|vars)\.|ENV\[|env\(")
_ENV_NAME = re.compile(r"(?:environ(?:\.get)?\s*[\[(]|getenv\s*\(|ENV\[|env\()\s*"
                       r"['\"]([A-Za-z_][A-Za-z0-9_]*)['\"]")
_SECRETS_INHERIT = re.compile(r"^\s*secrets\s*:\s*inherit\s*(?:#.*)?$")
_KEY_BEFORE = re.compile(r"([A-Za-z_][A-Za-z0-9_.-]*)['\"]?\s*[:=]{1,2}\s*['\"]?$")


def _norm(value: str) -> str:
    return re.sub(r"[\s_.-]", "", value.strip().strip("'\"`").lower())


def is_placeholder(value: str, product: bool = False) -> bool:
    """True for a value that only stands for a secret (in ``product`` code: stricter)."""
    raw = value.strip().strip("'\"`")
    norm = _norm(raw)
    if not norm or norm in _PLACEHOLDER_WORDS or _TEMPLATE.match(raw):
        return True
    if not product and norm in _TEST_WORDS:
        return True
    return raw.lower().startswith(_PLACEHOLDER_PREFIXES)


def _is_lock_file(path: str) -> bool:
    name = path.rsplit("/", 1)[-1].lower()
    return name in LOCK_FILES or bool(_PYLOCK.fullmatch(name))


# The rules read this far around the value: what names a value is next to it, and a hostile
# line (a megabyte of identifier characters) costs no more than a short one.
_WINDOW = 256


def rule_for(value: str, line: str, path: str) -> str | None:
    """The benign-shape rule that covers a generic match of ``value`` on ``line``, if any."""
    at = line.rfind(value) if value else -1
    before = None if at < 0 else line[max(0, at - _WINDOW):at]
    after = "" if at < 0 else line[at + len(value):at + len(value) + _WINDOW]
    near = line[:_WINDOW] if at < 0 else line[max(0, at - _WINDOW):at + len(value) + _WINDOW]
    if _HEX.fullmatch(value) and len(value) in (40, 64) and before is not None and (
            before.endswith("@") or re.search(r"\brev\s*[:=]\s*['\"]?$", before)):
        return "commit-sha"
    if _is_lock_file(path) and _HASHY.fullmatch(value):
        return "lock-file-hash"
    if before is not None and (
            (_HEX.fullmatch(value) and (_DIGEST_NAME.search(before.rstrip("'\" \t:=,"))
                                        or _DIGEST_NAME.search(before)))
            or (re.search(r"sha(?:256|384|512)-$", before)
                and re.search(r"(?i)integrity", before))):
        return "digest"
    if re.fullmatch(r"[0-9a-f]{32}|[0-9a-f]{64}", value) and before is not None and (
            re.search(r"\"(?:fingerprint|evidence|digest)\"\s*:\s*\"$", before)
            or (re.fullmatch(r"\s*\"", before) and re.match(r"\"\s*:\s*\{", after))):
        return "gate-fingerprint"
    if value.strip() == "inherit" and _SECRETS_INHERIT.match(line):
        return "secrets-inherit"
    if _ENV_READ.search(value) or any(m.group(1) == value for m in _ENV_NAME.finditer(near)):
        return "environment-read"
    product = filekinds.DEFAULT(path) == filekinds.PRODUCT
    if is_placeholder(value, product):
        return "placeholder"
    if before is not None and not product:
        key = _KEY_BEFORE.search(before)
        if key and _norm(key.group(1).rsplit(".", 1)[-1]) == _norm(value):
            return "placeholder"
    return None
