"""secret-logged: logging and print calls that show a credential, and the near misses."""

from __future__ import annotations

import pytest

from secure_gate.model import Confidence
from secure_gate.scanners.practices import logging_rule, names
from tests.scanners.practices.helpers import lines, python_hits

# (case, source, lines reported). Each source is a function so names are runtime values.
POSITIVE = [
    ("logger %s argument", "def f(password):\n    logger.info('pw %s', password)\n", [2]),
    ("f-string field", "def f(api_key):\n    log.debug(f'key={api_key}')\n", [2]),
    ("print of a token", "def f(access_token):\n    print(access_token)\n", [2]),
    ("attribute", "def f(self):\n    self.logger.warning('s %s', self.client_secret)\n", [2]),
    ("logging module", "import logging\ndef f(db_password):\n    logging.error(db_password)\n",
     [3]),
    ("getLogger() chain",
     "def f(token):\n    logging.getLogger(__name__).info('t %s', token)\n", [2]),
    ("% formatting", "def f(secret):\n    logger.info('s %s' % secret)\n", [2]),
    ("str.format keyword", "def f(x):\n    logger.info('{password}'.format(password=x))\n",
     [2]),
    ("concatenation", "def f(token):\n    print('token: ' + token)\n", [2]),
    ("dict key names it", "def f(v):\n    logger.info('%(password)s', {'password': v})\n",
     [2]),
    ("extra= mapping", "def f(t):\n    logger.info('login', extra={'api_token': t})\n", [2]),
    ("structlog keyword", "def f(v):\n    log.msg('login', password=v)\n", [2]),
    ("subscript by key", "def f(request):\n    logger.debug(request.POST['password'])\n", [2]),
    ("environment lookup", "import os\ndef f():\n    print(os.environ.get('API_TOKEN'))\n",
     [3]),
    ("getenv", "import os\ndef f():\n    print(os.getenv('DB_PASSWORD'))\n", [3]),
    ("camelCase", "def f(apiKey):\n    logger.info('%s', apiKey)\n", [2]),
    ("str() passes through", "def f(secret_key):\n    logger.info(str(secret_key))\n", [2]),
    (".encode() passes through", "def f(pw_token):\n    print(pw_token.encode())\n", [2]),
    ("conditional", "def f(password, a):\n    print(password if a else '-')\n", [2]),
    ("walrus and module logger",
     "LOGGER = get()\ndef f(x):\n    LOGGER.critical('%s', (token := x))\n", [3]),
    ("two calls, two hits",
     "def f(password, token):\n    log.info(password)\n    log.info(token)\n", [2, 3]),
    ("multi-line call", "def f(password):\n    logger.info(\n        'p %s',\n"
                        "        password,\n    )\n", [2]),
    ("audit_log receiver", "def f(private_key):\n    audit_log.info('%s', private_key)\n",
     [2]),
    ("module-level value from a call", "password = read()\nprint(password)\n", [2]),
]

NEGATIVE = [
    ("message only", "logger.info('token refreshed')\n"),
    ("password hash", "def f(password):\n    password_hash = bcrypt.hash(password)\n"
                      "    logger.info('stored %s', password_hash)\n"),
    ("masked by a call", "def f(token):\n    logger.info('t %s', mask(token))\n"),
    ("redacted", "def f(password):\n    logger.info('p %s', redact(password))\n"),
    ("length only", "def f(password):\n    logger.debug('len %d', len(password))\n"),
    ("prefix slice", "def f(token):\n    logger.info('t %s...', token[:4])\n"),
    ("suffix slice", "def f(api_key):\n    print(f'...{api_key[-4:]}')\n"),
    ("digest", "def f(token):\n    print(hashlib.sha256(token.encode()).hexdigest())\n"),
    ("constant mask", "logger.info('%s', '***')\n"),
    ("metadata names", "def f(token_type, password_length, secret_name, token_url):\n"
                       "    logger.info('%s %s %s %s', token_type, password_length,"
                       " secret_name, token_url)\n"),
    ("flag names", "def f(has_password, is_token_valid):\n"
                   "    logger.info('%s %s', has_password, is_token_valid)\n"),
    ("pagination token", "def f(next_token, page_token):\n"
                         "    logger.info('%s %s', next_token, page_token)\n"),
    ("tokenizer tokens", "def f(eos_token, pad_token):\n    print(eos_token, pad_token)\n"),
    ("not a logger", "def f(password):\n    form.error(password)\n    dialog.warning(password)\n"),
    ("print options", "def f(token_file):\n    print('x', file=token_file)\n"),
    ("exc_info is an option", "def f(secret):\n    logger.error('boom', exc_info=secret)\n"),
    ("a literal, not a runtime secret", "def f():\n    token1 = 'ping'\n"
                                        "    logger.error('%s', token1)\n"),
    ("module-level literal", "TOKEN = 'placeholder'\ndef f():\n    print(TOKEN)\n"),
    ("a comparison is a boolean", "def f(password, other):\n"
                                  "    logger.info('same %s', password == other)\n"),
    ("lookup of a non-credential key",
     "def f(credentials):\n    logger.info(credentials.get('username'))\n"),
    ("plural collection", "def f(credentials, secrets):\n    logger.info('%s %s', credentials,"
                          " secrets)\n"),
    ("password in the message text only", "logger.info('password reset for %s', user.email)\n"),
    ("nosec on the line", "def f(password):\n    logger.info(password)  # nosec\n"),
    ("nosec naming the rule", "def f(token):\n    print(token)  # nosec: secret-logged\n"),
]


@pytest.mark.parametrize(("case", "source", "expected"), POSITIVE, ids=[c[0] for c in POSITIVE])
def test_reported(case: str, source: str, expected: list[int]) -> None:
    hits = python_hits(logging_rule.check, source)
    assert lines(hits) == expected
    assert all(h.rule == "secret-logged" and h.confidence is Confidence.MEDIUM for h in hits)


@pytest.mark.parametrize(("case", "source"), NEGATIVE, ids=[c[0] for c in NEGATIVE])
def test_not_reported(case: str, source: str) -> None:
    assert python_hits(logging_rule.check, source) == []


def test_lexer_module_tokens_are_source_text() -> None:
    source = "def show(token):\n    print(token)\n"
    assert python_hits(logging_rule.check, source, "pkg/tokenize.py") == []
    assert lines(python_hits(logging_rule.check, source, "pkg/auth.py")) == [2]


def test_the_message_names_the_variable_and_never_a_value() -> None:
    source = "def f(password):\n    logger.info('pw is hunter2 %s', password)\n"
    (hit,) = python_hits(logging_rule.check, source)
    assert "`password`" in hit.message and "logger.info()" in hit.message
    assert "hunter2" not in hit.message
    assert (hit.line, hit.column, hit.end_line) == (2, 5, 2)


def test_a_key_that_is_not_an_identifier_is_described_not_quoted() -> None:
    source = "def f(v):\n    logger.info('%s', {'my hunter2 password': v})\n"
    (hit,) = python_hits(logging_rule.check, source)
    assert "hunter2" not in hit.message
    assert "a key named like a credential" in hit.message


@pytest.mark.parametrize(("name", "expected"), [
    ("password", True), ("DB_PASSWORD", True), ("apiKey", True), ("APIKey", True),
    ("client_secret", True), ("SECRET_KEY", True), ("refresh_token", True),
    ("private_key", True), ("passphrase", True),
    ("password_hash", False), ("token_type", False), ("has_password", False),
    ("next_token", False), ("eos_token", False), ("keyword", False), ("pwd", False),
    ("secretary", False), ("tokens", False), ("credentials", False),
])
def test_credential_names(name: str, expected: bool) -> None:
    assert names.is_credential(name) is expected
