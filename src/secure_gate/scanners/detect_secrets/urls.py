"""Database and broker URLs with a password: a credential, not a heuristic.

detect-secrets' ``Basic Auth Credentials`` detector finds ``scheme://user:password@`` in any
URL, mostly ``https://user:pass@example.com`` in documentation and tests. When the scheme is
a database's or a message broker's and the host is not a local or documentation host, the
password opens a real service: the match is promoted to the ``credential-url`` kind, which
blocks like a vendor token. Placeholders never get here (benign.py drops them).
"""

from __future__ import annotations

import re

SCHEMES = frozenset({
    "postgres", "postgresql", "mysql", "mariadb", "redis", "rediss", "mongodb", "mongodb+srv",
    "amqp", "amqps", "mssql", "sqlserver", "oracle", "cockroachdb", "clickhouse", "couchdb",
    "memcached", "nats", "kafka",
})
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0", "host",  # noqa: S104 - hosts, not a bind
                         "hostname", "db", "database", "server", "example"})
_LOCAL_SUFFIXES = (".local", ".localhost", ".test", ".example", ".invalid", "example.com",
                   "example.org", "example.net")
_URL = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*)://([^\s:/@'\"]*):([^\s@'\"]+)@([^\s/:?#'\"]+)")


def is_credential_url(password: str, line: str) -> bool:
    """True when ``password`` sits in a database or broker URL on ``line`` to a real host."""
    at = line.find(f":{password}@")
    if at < 0:
        return False
    # Only the URL around the password is read (a hostile line costs no more than a URL).
    for match in _URL.finditer(line[max(0, at - 256):at + len(password) + 512]):
        scheme, _, secret, host = match.groups()
        if secret != password:
            continue
        base = scheme.lower().split("+", 1)[0] if scheme.lower() != "mongodb+srv" \
            else "mongodb+srv"
        host = host.lower()
        return base in SCHEMES and host not in LOCAL_HOSTS and not host.endswith(_LOCAL_SUFFIXES)
    return False
