"""weak-password-hash: fast hashlib digests (md5, sha1 too) of passwords; not KDFs, not tokens."""

from __future__ import annotations

import pytest

from secure_gate.scanners.practices import hashing_rule
from tests.scanners.practices.helpers import lines, python_hits

IMPORT = "import hashlib\n"

POSITIVE = [
    ("sha256 of encoded password",
     IMPORT + "def f(password):\n    return hashlib.sha256(password.encode()).hexdigest()\n",
     [3]),
    ("sha512 with salt", IMPORT + "def f(salt, pw):\n    return hashlib.sha512(salt + pw)\n",
     [3]),
    ("f-string salt", IMPORT + "def f(s, passwd):\n    hashlib.sha3_256(f'{s}{passwd}'.encode())\n",
     [3]),
    ("blake2b", IMPORT + "def f(user_password):\n    hashlib.blake2b(user_password)\n", [3]),
    ("from-import", "from hashlib import sha256\ndef f(password):\n    sha256(password)\n", [3]),
    ("aliased module", "import hashlib as h\ndef f(passphrase):\n    h.sha384(passphrase)\n", [3]),
    ("hashlib.new", IMPORT + "def f(password):\n    hashlib.new('sha256', password.encode())\n",
     [3]),
    ("hashlib.new upper case", IMPORT + "def f(pwd):\n    hashlib.new('SHA512', data=pwd)\n",
     [3]),
    ("update on a hash object", IMPORT + "def f(password):\n    h = hashlib.sha256()\n"
                                         "    h.update(password.encode('utf-8'))\n", [4]),
    ("chained update", IMPORT + "def f(pw):\n    hashlib.sha224().update(pw)\n", [3]),
    ("form field", IMPORT + "def f(request):\n"
                            "    hashlib.sha256(request.form['password'].encode())\n", [3]),
    ("bytes() of it", IMPORT + "def f(new_password):\n"
                               "    hashlib.sha256(bytes(new_password, 'utf-8'))\n", [3]),
    ("compared, not stored",
     IMPORT + "def check(password, stored):\n"
              "    return hmac.compare_digest(hashlib.sha256(password).hexdigest(), stored)\n",
     [3]),
    ("md5, a broken fast hash",
     IMPORT + "def f(password):\n    hashlib.md5(password.encode())\n", [3]),
    ("sha1 through new", IMPORT + "def f(password):\n    hashlib.new('sha1', password)\n", [3]),
    ("md5 from-import (dvpwa)", "from hashlib import md5\n"
     "def check(self, password):\n    return self.h == md5(password.encode()).hexdigest()\n",
     [3]),
]

NEGATIVE = [
    ("bcrypt", "import bcrypt\ndef f(password):\n"
               "    password_hash = bcrypt.hashpw(password.encode(), bcrypt.gensalt())\n"),
    ("pbkdf2_hmac", IMPORT + "def f(password, salt):\n"
                             "    hashlib.pbkdf2_hmac('sha256', password.encode(), salt, n)\n"),
    ("scrypt", IMPORT + "def f(password, salt):\n"
                        "    hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)\n"),
    ("token, not a password", IMPORT + "def f(token):\n    hashlib.sha256(token.encode())\n"),
    ("api key digest", IMPORT + "def f(api_key):\n    hashlib.sha256(api_key.encode())\n"),
    ("a password hash rehashed", IMPORT + "def f(password_hash):\n"
                                          "    hashlib.sha256(password_hash)\n"),
    ("md5 of a file", IMPORT + "def f(path):\n    hashlib.md5(open(path, 'rb').read())\n"),
    ("sha1 cache key", IMPORT + "def f(vary):\n    hashlib.new('sha1', vary.encode())\n"),
    ("md5 of a token", IMPORT + "def f(token):\n    hashlib.md5(token.encode())\n"),
    ("pre-hash inside bcrypt", IMPORT + "import bcrypt, base64\ndef f(password, salt):\n"
     "    return bcrypt.hashpw(base64.b64encode(hashlib.sha256(password).digest()), salt)\n"),
    ("not hashlib", "def f(password):\n    sha256(password)\n"),
    ("file content", IMPORT + "def f(path):\n    hashlib.sha256(open(path, 'rb').read())\n"),
    ("update on another object", IMPORT + "def f(password):\n    h = {}\n"
                                          "    h.update(password=password)\n"),
    ("flag name", IMPORT + "def f(has_password):\n    hashlib.sha256(has_password)\n"),
    ("nosec", IMPORT + "def f(password):\n    hashlib.sha256(password)  # nosec\n"),
]


@pytest.mark.parametrize(("case", "source", "expected"), POSITIVE, ids=[c[0] for c in POSITIVE])
def test_reported(case: str, source: str, expected: list[int]) -> None:
    hits = python_hits(hashing_rule.check, source)
    assert lines(hits) == expected
    assert {h.rule for h in hits} == {"weak-password-hash"}


@pytest.mark.parametrize(("case", "source"), NEGATIVE, ids=[c[0] for c in NEGATIVE])
def test_not_reported(case: str, source: str) -> None:
    assert python_hits(hashing_rule.check, source) == []


def test_message_names_the_algorithm_and_the_value() -> None:
    (hit,) = python_hits(hashing_rule.check, IMPORT + "def f(password):\n"
                                                      "    hashlib.sha256(password)\n")
    assert "sha256" in hit.message and "`password`" in hit.message
    assert hit.fix and "argon2" in hit.fix
