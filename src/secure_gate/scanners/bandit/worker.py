"""Run bandit's own manager on a batch of files and return what ``bandit -f json`` would print."""

from __future__ import annotations

import linecache
from typing import Any

_STATE: dict[str, Any] = {}


def _config() -> tuple[Any, dict[str, set[str]]]:
    """bandit's default configuration and profile, built once per worker.

    No configuration file is read, neither ours nor the repository's: this is what
    ``bandit --ini <our empty ini>`` runs, minus the chance of ever discovering a `.bandit`.
    """
    if "config" not in _STATE:
        from bandit.core import config as b_config
        from bandit.core import extension_loader

        conf = b_config.BanditConfig()
        profile = {"include": set(conf.get_option("tests") or []),
                   "exclude": set(conf.get_option("skips") or [])}
        extension_loader.MANAGER.validate_profile(profile)
        _STATE["config"] = (conf, profile)
    config: tuple[Any, dict[str, set[str]]] = _STATE["config"]
    return config


def _see_through_nosec() -> None:
    """Keep the findings a ``# nosec`` comment would drop, marked, so they stay visible.

    bandit's tester asks ``_get_nosecs_from_contexts`` which tests a line's comment skips and
    drops a matching result. Wrapped here: the answer is recorded on the result instead and
    the tester is told there is no comment, so every other result is exactly bandit's;
    the counters bandit keeps for skipped results are kept by :func:`_mark` instead.
    """
    from bandit.core import tester

    if getattr(tester.BanditTester, "_secure_gate_sees_nosec", False):
        return
    original = tester.BanditTester._get_nosecs_from_contexts

    def recording(self: Any, context: Any, test_result: Any = None) -> Any:
        skip = original(self, context, test_result=test_result)
        if test_result is None or skip is None:
            return skip
        test_result._secure_gate_nosec = frozenset(skip)
        return None

    tester.BanditTester._get_nosecs_from_contexts = recording
    tester.BanditTester._secure_gate_sees_nosec = True


def _mark(issue: Any, entry: dict[str, Any], metrics: dict[str, Any]) -> None:
    """Say which results bandit would have dropped for a ``# nosec``, and count them so."""
    skip = getattr(issue, "_secure_gate_nosec", None)
    if skip is None or (skip and issue.test_id not in skip):
        return
    entry["secure_gate_nosec"] = "# nosec" if not skip else f"# nosec {issue.test_id}"
    counters = metrics.get(issue.fname)
    if isinstance(counters, dict):
        key = "nosec" if not skip else "skipped_tests"
        counters[key] = int(counters.get(key, 0) or 0) + 1


def preload() -> None:
    """Import bandit and build its configuration before the first batch arrives."""
    from bandit.core import manager  # noqa: F401

    _config()


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Scan ``request["files"]``; the answer has bandit's JSON keys (errors, metrics, results)."""
    from bandit.core import constants, docs_utils
    from bandit.core import manager as b_manager

    conf, profile = _config()
    _see_through_nosec()
    manager = b_manager.BanditManager(conf, "file", quiet=True, profile=profile)
    manager.discover_files(list(request["files"]), recursive=False)
    manager.run_tests()
    lowest = constants.RANKING[0]
    results = []
    for issue in manager.get_issue_list(sev_level=lowest, conf_level=lowest):
        entry = issue.as_dict(max_lines=1)
        entry["more_info"] = docs_utils.get_url(entry["test_id"])
        _mark(issue, entry, manager.metrics.data)
        results.append(entry)
    document = {
        "errors": [{"filename": name, "reason": reason} for name, reason in manager.get_skipped()],
        "metrics": manager.metrics.data,
        "results": sorted(results, key=lambda r: r["filename"]),
    }
    # bandit reads code snippets through linecache, which keeps every file it ever touched:
    # in a long-lived worker that is a leak the size of the repository.
    linecache.clearcache()
    return document
