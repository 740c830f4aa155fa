"""Which identifiers name a credential or a password, judged by their words, not substrings."""

from __future__ import annotations

import re
from functools import lru_cache

# The head noun (last word) decides: `password_hash` is a hash, `token_type` a type, while
# `db_password` and `access_token` are the secret itself. Plurals (`credentials`, `secrets`)
# are mostly objects or collections whose text is not the secret: measured, they were noise.
CREDENTIAL_HEADS = frozenset({
    "password", "passwd", "passphrase", "secret", "token", "credential", "apikey", "privkey",
})
CREDENTIAL_PAIRS = frozenset({
    ("api", "key"), ("private", "key"), ("secret", "key"), ("access", "key"),
    ("signing", "key"), ("encryption", "key"), ("master", "key"),
})
# `pwd` (the working directory, the Unix `pwd` module) and `pw`/`pass` are too ambiguous on
# their own; next to a hash function they mean a password.
PASSWORD_HEADS = frozenset({"password", "passwd", "passphrase", "passcode", "pwd", "pw", "pass"})
# A first word that makes the name a flag or a question about the secret, not the secret.
_FLAG_PREFIXES = frozenset({
    "has", "is", "use", "uses", "should", "can", "needs", "need", "require", "requires",
    "no", "enable", "enabled", "show", "hide", "allow", "check", "skip", "ask", "prompt",
    "validate", "verify", "valid", "invalid", "missing", "empty", "with", "without",
})
# Tokens that are not credentials: parser and tokenizer tokens, pagination and cancellation.
_TOKEN_QUALIFIERS = frozenset({
    "next", "page", "pagination", "continuation", "cancel", "cancellation", "sync", "start",
    "end", "prev", "previous", "current", "last", "first", "lexer", "parse", "parser",
    "syntax", "bos", "eos", "pad", "unk", "sep", "cls", "mask", "special", "input", "output",
    "max", "num", "total", "count", "stop", "split", "sentinel", "dummy", "fake", "mock",
    "starting", "resume", "acquire", "release", "lock", "semaphore",
})
# In a tokenizer, lexer or parser module a bare `token` is a piece of source text.
LEXICAL_MODULE_WORDS = ("token", "lex", "pars", "grammar", "pgen", "scan")
_CAMEL = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


@lru_cache(maxsize=4096)
def words(name: str) -> tuple[str, ...]:
    """``apiKey`` → ``(api, key)``; ``DB_PASSWORD`` → ``(db, password)``; digits dropped."""
    out: list[str] = []
    for part in re.split(r"[^A-Za-z0-9]+", name):
        out.extend(w.lower() for w in _CAMEL.findall(part) if not w.isdigit())
    return tuple(out)


def is_credential(name: str, *, lexical: bool = False) -> bool:
    """True when ``name`` names a credential value (password, token, API key, secret...);
    ``lexical``: in a tokenizer or parser, where ``token`` means a piece of source."""
    parts = words(name)
    if not parts or parts[0] in _FLAG_PREFIXES:
        return False
    head = parts[-1]
    if head == "token":
        return not lexical and not any(p in _TOKEN_QUALIFIERS for p in parts[:-1])
    if head in CREDENTIAL_HEADS:
        return True
    return len(parts) >= 2 and (parts[-2], head) in CREDENTIAL_PAIRS


def is_lexical_module(path: str) -> bool:
    """A tokenizer, lexer or parser by its file name (``tokenize.py``, ``lexer.py``)."""
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    return any(word in stem for word in LEXICAL_MODULE_WORDS)


def is_password(name: str) -> bool:
    """True when ``name`` names a password (not a token or key: those may be hashed fast)."""
    parts = words(name)
    return bool(parts) and parts[0] not in _FLAG_PREFIXES and parts[-1] in PASSWORD_HEADS


_SHOWABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_.\-]{0,63}")


def shown(name: str) -> str:
    """``name`` as a message may show it: identifiers only, since a string key could hold
    anything (even a value); anything else is described, never quoted."""
    return f"`{name}`" if _SHOWABLE.fullmatch(name) else "a key named like a credential"
