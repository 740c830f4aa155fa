"""The policy a change is judged by: read from the base commit's blobs, never from the change."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from secure_gate import baseline, config, git, policydiff
from secure_gate.config import Config
from secure_gate.errors import ConfigError
from secure_gate.model import PolicyChange
from secure_gate.policydiff import PolicyFile

POLICY_FROM = ("base", "head")
# Events whose change is judged before it merges: the change must not choose its own policy.
JUDGING_EVENTS = frozenset({"pull_request", "pull_request_target", "merge_group"})

Reader = Callable[[str], str | None]


@dataclass(frozen=True, slots=True)
class TrustedPolicy:
    """What the gate judges by, where it came from, and what the change would change."""

    config: Config
    baseline: Mapping[str, int] | None
    source: str
    changes: tuple[PolicyChange, ...] = ()
    notices: tuple[str, ...] = ()


class _Commit:
    """Files of one commit under the scan root, read with ``git cat-file`` (no filters)."""

    def __init__(self, root: Path, commit: str) -> None:
        self.root, self.commit = root, commit
        self.prefix = git.show_prefix(root)

    def read(self, rel: str) -> str | None:
        """The file's text at the commit, or None when the commit has no such regular file."""
        spec = f"{self.commit}:{self.prefix}{rel}"
        kind = git.run(self.root, "cat-file", "-t", spec, timeout=60)
        if kind.returncode != 0 or kind.stdout.strip() != b"blob":
            return None
        data = git.output(self.root, "cat-file", "blob", spec, timeout=120)
        try:
            return data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ConfigError(f"{rel} at {self.commit[:12]}", None,
                              f"not UTF-8 text: {exc}") from None


def _work_tree_reader(root: Path) -> Reader:
    def read(rel: str) -> str | None:
        path = root / rel
        if not path.is_file():
            return None
        try:
            return path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(rel, None, f"cannot read the file: {exc}") from None
    return read


def find_config(read: Reader, explicit: str | None, label: str) -> PolicyFile:
    """Discover and validate the config in one tree, exactly as ``config.load`` does."""
    if explicit is not None:
        text = read(explicit)
        if text is None:
            return PolicyFile(config.validate({}, None))
        return _parsed(explicit, text, label, required=True)
    present = [(n, t) for n in config.CONFIG_NAMES if (t := read(n)) is not None]
    if len(present) > 1:
        raise ConfigError(f"{present[1][0]}{label}", None, f"both {present[0][0]} and "
                          f"{present[1][0]} exist; keep one")
    if present:
        return _parsed(*present[0], label)
    text = read("pyproject.toml")
    if text is not None:
        return _parsed("pyproject.toml", text, label)
    return PolicyFile(config.validate({}, None))


def _parsed(name: str, text: str, label: str, *, required: bool = False) -> PolicyFile:
    toml = name.endswith(".toml")
    shown = name + label
    raw = config.parse_document(text, toml=toml, shown=shown)
    if raw is None:
        if required:
            raise ConfigError(shown, None, "has no [tool.secure-gate] table")
        return PolicyFile(config.validate({}, None))
    source = shown + (" [tool.secure-gate]" if toml else "")
    return PolicyFile(config.validate(raw, source), name, text, toml)


def _relative(root: Path, path: str | None) -> str | None:
    """``path`` relative to the scan root if it lies inside it (None: outside, or unset)."""
    if path is None:
        return None
    full = Path(os.path.normpath(os.path.join(root, path)))
    try:
        return full.relative_to(root).as_posix()
    except ValueError:
        return None


def _load_baseline(read: Reader, rel: str, shown: str) -> Mapping[str, int] | None:
    text = read(rel)
    return None if text is None else baseline.parse(text, shown)


def resolve(root: Path, *, base: str | None, policy_from: str, explicit_config: str | None,
            explicit_baseline: str | None) -> TrustedPolicy:
    """The policy to judge by and the change's own policy edits.

    With ``policy_from == "base"`` and a base commit, the config (or pyproject table), the
    suppression ledger and the baseline are read from the base commit's blobs; the work
    tree's versions are parsed only to say what the change would relax once merged. A
    config or baseline named outside the repository (the workflow's own) is read as is.
    """
    root = root.resolve()
    judging = base is not None and policy_from == "base"
    head_read = _work_tree_reader(root)
    base_read = _Commit(root, base).read if base is not None else head_read
    trusted_read = base_read if judging else head_read
    label = f" at {base[:12]}" if judging and base else ""
    notices: list[str] = []
    config_rel = _relative(root, explicit_config)
    base_file: PolicyFile | None = None
    head_file: PolicyFile | None = None
    if explicit_config is not None and config_rel is None:
        # Outside the scanned repository: the workflow's own file, the same for base and head.
        trusted = PolicyFile(config.load(root, explicit_config))
    else:
        trusted = find_config(trusted_read, config_rel, label)
        if judging and config_rel is not None and trusted.name is None:
            notices.append(f"the config file {config_rel} is not in the base commit{label}: "
                           "the defaults apply until it is merged")
        other_read, other_label = (head_read, "") if judging else (base_read, f" at {base}")
        if base is not None:
            try:
                other = find_config(other_read, config_rel, other_label)
            except ConfigError as exc:
                whose = "this change's" if judging else "the base commit's"
                notices.append(f"{whose} config is invalid: {exc}")
                other = None
            base_file, head_file = (trusted, other) if judging else (other, trusted)
    changes: list[PolicyChange] = []
    if base_file is not None and head_file is not None:
        changes += policydiff.compare(base_file, head_file)
    named = explicit_baseline or trusted.config.baseline
    counts = _baseline(root, named, trusted_read, label, notices)
    if base is not None and head_file is not None:
        changes += _baseline_changes(root, named, head_file.config.baseline, head_read,
                                     base_read)
    source = (f"the base commit {base[:12]}" if judging and base else
              "the working tree" + (" (policy-from: head)" if base is not None else ""))
    return TrustedPolicy(trusted.config, counts, source, tuple(changes), tuple(notices))


def _outside_baseline(root: Path, named: str) -> Mapping[str, int]:
    return baseline.load(named, root)


def _baseline(root: Path, named: str | None, read: Reader, label: str, notices: list[str]
              ) -> Mapping[str, int] | None:
    if named is None:
        return None
    rel = _relative(root, named)
    if rel is None:
        return _outside_baseline(root, named)
    if not label:
        return _outside_baseline(root, named)  # the work tree: exactly as before
    counts = _load_baseline(read, rel, rel + label)
    if counts is None:
        notices.append(f"baseline {rel} is not in the base commit{label}: a baseline this "
                       "change adds is not trusted (it takes effect after merge)")
    return counts


def _baseline_changes(root: Path, trusted_name: str | None, head_name: str | None,
                      head_read: Reader, base_read: Reader) -> list[PolicyChange]:
    """What the change does to the accepted findings of the baseline file it names."""
    rel = _relative(root, head_name or trusted_name)
    if rel is None:
        return []
    try:
        head_counts = _load_baseline(head_read, rel, rel) or {}
        base_counts = _load_baseline(base_read, rel, rel) or {}
    except ConfigError as exc:
        return [PolicyChange("baseline", "", str(exc), "changes", rel, None)]
    return policydiff.baseline_change(rel, base_counts, head_counts)
