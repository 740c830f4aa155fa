"""weak-password-hash: a fast hashlib digest of a password, directly or through ``.update()``."""

# md5 and sha1 are fast too: bandit's B324 reports them wherever they are used, at medium
# (secure-gate's rating, scanners/bandit/ratings.py), since it cannot tell a cache key from a
# password; a password hashed with them is this rule's, at high. A fast hash nested inside a
# password KDF call (pre-hashing for bcrypt's 72-byte limit) is fine.

from __future__ import annotations

import ast

import secure_gate.scanners.practices.flow as flow
import secure_gate.scanners.practices.names as names
from secure_gate.model import Confidence
from secure_gate.scanners.practices.pysource import SCOPES, Module, source_of
from secure_gate.scanners.practices.rules import FAST_HASH, Hit

FAST = frozenset({"sha224", "sha256", "sha384", "sha512", "sha512_224", "sha512_256",
                  "sha3_224", "sha3_256", "sha3_384", "sha3_512", "blake2b", "blake2s",
                  "shake_128", "shake_256", "sm3", "md5", "sha1", "md4", "ripemd160",
                  "md5_sha1"})
# Calls that make a password hash out of what they are given.
KDFS = frozenset({"hashpw", "checkpw", "kdf", "pbkdf2_hmac", "pbkdf2", "scrypt", "derive",
                  "hash", "verify", "make_password", "check_password", "hash_password",
                  "encrypt", "using", "hash_secret", "hash_secret_raw"})
FIX = ("use a password hashing function: argon2-cffi's PasswordHasher, bcrypt.hashpw, "
       "hashlib.scrypt, or hashlib.pbkdf2_hmac('sha256', ..., iterations=600_000); in Django, "
       "make_password()")


class _Hashlib:
    """How this module can reach hashlib: ``import hashlib [as h]``, ``from hashlib import``."""

    def __init__(self, module: Module) -> None:
        self.modules: set[str] = set()
        self.functions: dict[str, str] = {}  # local name → hashlib function name
        for node in module.nodes(ast.Import):
            for alias in node.names:
                if alias.name == "hashlib":
                    self.modules.add(alias.asname or "hashlib")
        for imported in module.nodes(ast.ImportFrom):
            if imported.module == "hashlib":
                for alias in imported.names:
                    self.functions[alias.asname or alias.name] = alias.name

    def algorithm(self, call: ast.Call) -> str | None:
        """The fast algorithm a hashlib constructor call makes, if it is one."""
        func = call.func
        if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name) \
                and func.value.id in self.modules:
            name = func.attr
        elif isinstance(func, ast.Name) and func.id in self.functions:
            name = self.functions[func.id]
        else:
            return None
        if name == "new":
            chosen = flow.constant_key(call.args[0]) if call.args else flow.constant_key(
                next((k.value for k in call.keywords if k.arg == "name"), None))
            name = (chosen or "").lower().replace("-", "_")
        return name if name in FAST else None


def _data(call: ast.Call, algorithm_call: bool, is_new: bool) -> ast.AST | None:
    """The data argument of a constructor (``sha256(data)``, ``new(name, data)``) or update."""
    position = 1 if is_new else 0
    if len(call.args) > position:
        return call.args[position]
    wanted = ("data", "string") if algorithm_call else ("data", "obj")
    return next((k.value for k in call.keywords if k.arg in wanted), None)


def _inside_kdf(module: Module, node: ast.AST) -> bool:
    for ancestor in module.ancestors(node):
        if isinstance(ancestor, SCOPES):
            return False
        if isinstance(ancestor, ast.Call) and flow.callee_name(ancestor) in KDFS:
            return True
    return False


def _hit(module: Module, node: ast.Call, algorithm: str, name: str) -> Hit:
    return module.hit(
        FAST_HASH, node,
        f"{names.shown(name)} is hashed with {algorithm}, a fast hash: one GPU tries billions "
        "of guesses a second against a leaked hash. Store passwords with a slow, salted "
        "password hashing function (argon2, bcrypt, scrypt or PBKDF2).",
        f"{algorithm}\n{name}\n{source_of(node)}", fix=FIX, confidence=Confidence.MEDIUM)


def _password_in(value: ast.AST | None) -> str | None:
    if value is None:
        return None
    return next((n for _, n in flow.named_values(value, names.is_password)), None)


def check(module: Module) -> list[Hit]:
    """Hits for fast digests of password-named values; ``h.update()`` on a variable the same
    scope assigned a fast hash object to."""
    lib = _Hashlib(module)
    if not lib.modules and not lib.functions:
        return []
    hashers: dict[tuple[ast.AST, str], str] = {}  # (scope, variable) → algorithm
    for assign in module.nodes(ast.Assign):
        algorithm = lib.algorithm(assign.value) if isinstance(assign.value, ast.Call) else None
        for target in assign.targets:
            if algorithm and isinstance(target, ast.Name):
                hashers[(module.scope_of(assign), target.id)] = algorithm
    hits: list[Hit] = []
    for call in module.nodes(ast.Call):
        algorithm = lib.algorithm(call)
        if algorithm is not None:
            is_new = (flow.callee_name(call) == "new" or (
                isinstance(call.func, ast.Name) and lib.functions.get(call.func.id) == "new"))
            name = _password_in(_data(call, True, is_new))
        elif isinstance(call.func, ast.Attribute) and call.func.attr == "update":
            receiver = call.func.value
            if isinstance(receiver, ast.Name):
                algorithm = hashers.get((module.scope_of(call), receiver.id))
            elif isinstance(receiver, ast.Call):
                algorithm = lib.algorithm(receiver)
            name = _password_in(_data(call, False, False)) if algorithm else None
        else:
            continue
        if algorithm and name and not _inside_kdf(module, call):
            hits.append(_hit(module, call, algorithm, name))
    return hits
