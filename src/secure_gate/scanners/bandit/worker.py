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


def preload() -> None:
    """Import bandit and build its configuration before the first batch arrives."""
    from bandit.core import manager  # noqa: F401

    _config()


def run(request: dict[str, Any]) -> dict[str, Any]:
    """Scan ``request["files"]``; the answer has bandit's JSON keys (errors, metrics, results)."""
    from bandit.core import constants, docs_utils
    from bandit.core import manager as b_manager

    conf, profile = _config()
    manager = b_manager.BanditManager(conf, "file", quiet=True, profile=profile)
    manager.discover_files(list(request["files"]), recursive=False)
    manager.run_tests()
    lowest = constants.RANKING[0]
    results = []
    for issue in manager.get_issue_list(sev_level=lowest, conf_level=lowest):
        entry = issue.as_dict(max_lines=1)
        entry["more_info"] = docs_utils.get_url(entry["test_id"])
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
