"""Precision of the gate's verdict on real repositories; prints figures, never fails.

    .venv/bin/python bench/precision.py                     # every repository, label "now"
    .venv/bin/python bench/precision.py --label before      # keep this run's reports apart
    .venv/bin/python bench/precision.py --only dvpwa,httpx  # some of them
    .venv/bin/python bench/precision.py --reuse             # re-read saved reports, no scan
    .venv/bin/python bench/precision.py --unjudged          # list blocking findings to judge

The repositories are pinned in bench/precision.toml (sdists by sha256, git snapshots by commit
and tree). The gate runs at its defaults (`secure-gate scan`, no flags, the repository's own
config if it has one). Per repository it prints the blocking count, the blocking findings by
scanner, rule kind and path class, and, for the deliberately vulnerable applications, which of
their documented vulnerabilities block. Every blocking finding is looked up by fingerprint in
bench/verdicts/<name>.toml, where it was judged by hand: `true` (a maintainer would want it
fixed or rotated), `false` (not a problem), `irrelevant` (real in shape but of no consequence,
for example a well-known test vector). Precision is true / judged.

With `--planted`, each repository also gets a copy with fake credentials of every vendor format
the gate knows (tests/secrets_corpus.py) planted in a product module and in a test module, and
the benchmark counts how many of them block (the target: all, in both places).

pip-audit's default service (PyPI's JSON API) cannot answer from some machines (it then fails
closed, exit 3); the benchmark therefore passes `--advisory-db` with the PyPA advisory
database when it finds the shared copy (or `--advisory-db PATH`; `--advisory-db pypi` keeps
the default service). Everything else is the gate's defaults.

Snapshots are read from bare clones in bench/work/git/<name>.git (made with `git clone --bare
REPOSITORY` when missing); the commit's tree must be the recorded one.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tomllib
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
BIN = Path(sys.executable).parent
WORK = HERE / "work"
VERDICTS = HERE / "verdicts"
VERDICT_VALUES = ("true", "false", "irrelevant")
sys.path.insert(0, str(HERE))

import corpus  # noqa: E402 - bench/ is not a package
from run import git_copy  # noqa: E402


def entries() -> list[dict[str, Any]]:
    """The repositories listed in precision.toml."""
    with (HERE / "precision.toml").open("rb") as fh:
        return list(tomllib.load(fh)["repo"])


def _git(git_dir: Path, *args: str) -> bytes:
    return subprocess.run(["git", "--git-dir", str(git_dir), *args], check=True,
                          capture_output=True).stdout


def snapshot(entry: dict[str, Any]) -> Path:
    """The git snapshot's tree at the recorded commit, unpacked once."""
    git_dir = WORK / "git" / f"{entry['name']}.git"
    if not git_dir.is_dir():
        subprocess.run(["git", "clone", "-q", "--bare", entry["repository"], str(git_dir)],
                       check=True)
    tree = _git(git_dir, "rev-parse", f"{entry['commit']}^{{tree}}").decode().strip()
    if tree != entry["tree"]:
        raise SystemExit(f"{entry['name']}: commit {entry['commit']} has tree {tree}, "
                         f"expected {entry['tree']}")
    target = WORK / f"{entry['name']}-{entry['commit'][:12]}"
    if not target.is_dir():
        staging = target.with_name(f".{target.name}.unpack")
        archive = _git(git_dir, "archive", "--format=tar", entry["commit"])
        with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
            tar.extractall(staging, filter="data")
        staging.rename(target)
    return target


def source(entry: dict[str, Any]) -> Path:
    """The unpacked, verified source of one repository."""
    if "commit" in entry:
        return snapshot(entry)
    return corpus.fetch({k: str(v) for k, v in entry.items()}, WORK)


def default_advisory_db() -> str:
    """The shared PyPA advisory database next to the project (or a worktree's project)."""
    for up in (HERE.parent.parent, HERE.parent.parent.parent):
        candidate = up / "shared" / "advisories" / "pypa-advisory-db.zip"
        if candidate.is_file():
            return str(candidate)
    return "pypi"


def scan(entry: dict[str, Any], out: Path, advisory_db: str,
         repo: Path | None = None, extra: tuple[str, ...] = ()) -> dict[str, Any]:
    """Run the gate at its defaults on a git copy of the repository; returns the JSON report."""
    repo = repo or git_copy(source(entry), WORK)
    out.parent.mkdir(parents=True, exist_ok=True)
    db = () if advisory_db == "pypi" else ("--advisory-db", advisory_db)
    proc = subprocess.run([str(BIN / "secure-gate"), "scan", *db, *extra, "--json", str(out)],
                          cwd=repo,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          check=False)
    if not out.is_file():
        raise SystemExit(f"{entry['name']}: the gate wrote no report (exit {proc.returncode}):"
                         f"\n{proc.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(out.read_text())
    return report


def load_verdicts(name: str) -> dict[str, dict[str, Any]]:
    """bench/verdicts/<name>.toml: fingerprint -> the hand-checked verdict."""
    path = VERDICTS / f"{name}.toml"
    if not path.is_file():
        return {}
    with path.open("rb") as fh:
        return {str(k): v for k, v in tomllib.load(fh).get("verdict", {}).items()}


def path_class(finding: dict[str, Any]) -> str:
    """The path class the report gives, else the gate's classifier's at its defaults."""
    for key in ("path_class", "class"):
        if isinstance(finding.get(key), str):
            return str(finding[key])
    try:
        from secure_gate import filekinds
    except ImportError:  # a gate from before the classifier (a "before" run)
        return "unclassified"
    return filekinds.DEFAULT(finding["path"])


def kind(finding: dict[str, Any]) -> str:
    """'scanner' or 'scanner/kind' where the finding says which kind of rule it is."""
    tags = finding.get("tags") or []
    for tag in ("vendor-token", "generic-heuristic"):
        if tag in tags:
            return f"{finding['scanner']}/{tag}"
    return str(finding["scanner"])


def vulnerabilities_blocked(entry: dict[str, Any],
                            blocking: list[dict[str, Any]]) -> list[tuple[str, bool, str]]:
    """(vulnerability id, blocks, by which rules) for each documented vulnerability."""
    rows = []
    for vuln in entry.get("vulnerability", []):
        first, last = vuln["lines"]
        rules = sorted({f"{f['scanner']}:{f['rule']}" for f in blocking
                        if f["path"] == vuln["path"] and f["line"] is not None
                        and first <= f["line"] <= last})
        rows.append((f"{vuln['id']} ({vuln['path']}:{first}-{last})", bool(rules),
                     ", ".join(rules)))
    return rows


def _count(items: Iterable[str]) -> str:
    counted = Counter(items)
    return ", ".join(f"{k} {n}" for k, n in sorted(counted.items(), key=lambda kv: -kv[1])) \
        or "none"


def summarise(entry: dict[str, Any], report: dict[str, Any], unjudged: bool,
              repo: Path | None) -> tuple[int, int, int]:
    """Print one repository's figures; returns (blocking, judged, true)."""
    blocking = [f for f in report["findings"] if f["blocking"]]
    verdicts = load_verdicts(entry["name"])
    judged = [verdicts[f["fingerprint"]]["verdict"] for f in blocking
              if f["fingerprint"] in verdicts]
    true = judged.count("true")
    errors = [s["name"] for s in report["scanners"] if s["status"] == "error"]
    print(f"{entry['name']} ({entry['kind']}): exit {report['exit_code']}, "
          f"{len(report['findings'])} finding(s), {len(blocking)} blocking"
          + (f", scanner errors: {', '.join(errors)}" if errors else ""))
    print(f"  blocking by scanner: {_count(kind(f) for f in blocking)}")
    print(f"  blocking by class:   {_count(path_class(f) for f in blocking)}")
    print(f"  blocking by rule:    {_count(f['scanner'] + ':' + f['rule'] for f in blocking)}")
    precision = f"{true / len(judged):.2f}" if judged else "n/a"
    print(f"  verdicts: {_count(judged)}; unjudged {len(blocking) - len(judged)}; "
          f"precision {precision}")
    for vuln, blocks, rules in vulnerabilities_blocked(entry, blocking):
        print(f"  documented {vuln}: {'BLOCKS via ' + rules if blocks else 'does not block'}")
    if unjudged:
        for f in blocking:
            if f["fingerprint"] not in verdicts:
                line = _line(repo, f) if repo else ""
                print(f'  [verdict."{f["fingerprint"]}"]  # {f["scanner"]} {f["rule"]} '
                      f'{f["path"]}:{f["line"]} {line}')
    return len(blocking), len(judged), true


def _line(repo: Path, finding: dict[str, Any]) -> str:
    """The flagged line, shortened (only with --unjudged, for the person judging)."""
    try:
        lines = (repo / finding["path"]).read_text(errors="replace").splitlines()
        return repr(lines[finding["line"] - 1].strip()[:100])
    except (OSError, IndexError, TypeError):
        return ""


def planted(entry: dict[str, Any], label: str, advisory_db: str) -> str:
    """Plant every vendor format in a product and a test module; how many block, per place."""
    sys.path.insert(0, str(HERE.parent))
    from tests import secrets_corpus as fake

    base = git_copy(source(entry), WORK)
    target = WORK / f"{base.name}-planted"
    if not target.is_dir():
        shutil.copytree(base, target, symlinks=True)
    values = {**fake.MODERN, "GitHub Token (classic)": fake.GITHUB_TOKEN,
              "AWS Access Key": fake.AWS_KEY_ID}
    package = next((p.parent.relative_to(target).as_posix()
                    for p in sorted(target.glob("*/__init__.py"))), "src")
    if (target / "src").is_dir():
        package = next((p.parent.relative_to(target).as_posix()
                        for p in sorted(target.glob("src/*/__init__.py"))), "src")
    places = {"product": f"{package}/_planted_settings.py",
              "tests": "tests/test_planted_settings.py"}
    expected: dict[str, dict[int, str]] = {}
    for path in places.values():
        rule_by_line = {}
        lines = []
        for number, (kind, value) in enumerate(values.items(), start=1):
            lines.append(f"CREDENTIAL_{number} = {json.dumps(value)}")
            rule_by_line[number] = kind.replace(" (classic)", "")
        (target / path).parent.mkdir(parents=True, exist_ok=True)
        (target / path).write_text("\n".join(lines) + "\n")
        expected[path] = rule_by_line
    subprocess.run(["git", "add", "-A"], cwd=target, check=True)
    out = WORK / "precision" / label / f"{entry['name']}-planted.json"
    report = scan(entry, out, advisory_db, repo=target, extra=("--scanners", "detect-secrets"))
    blocking = {(f["path"], f["line"], f["rule"]) for f in report["findings"] if f["blocking"]}
    shown = []
    for place, path in places.items():
        got = sum(1 for line, rule in expected[path].items() if (path, line, rule) in blocking)
        shown.append(f"{place} {got}/{len(expected[path])}")
    return ", ".join(shown)


def main() -> None:
    """Scan (or re-read) every selected repository and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--label", default="now", help="reports go to bench/work/precision/"
                                                       "LABEL/")
    parser.add_argument("--only", default="", help="comma-separated names")
    parser.add_argument("--reuse", action="store_true", help="re-read saved reports")
    parser.add_argument("--unjudged", action="store_true",
                        help="list blocking findings without a verdict, with their line")
    parser.add_argument("--planted", action="store_true",
                        help="also plant fake vendor credentials and count those that block")
    parser.add_argument("--advisory-db", default=default_advisory_db(),
                        help="pip-audit's data: a PyPA/OSV zip, or 'pypi' for its default")
    args = parser.parse_args()
    print(f"pip-audit data: {args.advisory_db}")
    wanted = {n for n in args.only.split(",") if n}
    totals = [0, 0, 0]
    for entry in entries():
        if wanted and entry["name"] not in wanted:
            continue
        out = WORK / "precision" / args.label / f"{entry['name']}.json"
        report = (json.loads(out.read_text()) if args.reuse and out.is_file()
                  else scan(entry, out, args.advisory_db))
        src = source(entry)
        repo = WORK / f"{src.name}-git"
        for i, n in enumerate(summarise(entry, report, args.unjudged, repo)):
            totals[i] += n
        if args.planted and not entry.get("vulnerable"):
            print(f"  planted vendor credentials that block: "
                  f"{planted(entry, args.label, args.advisory_db)}")
        sys.stdout.flush()
    blocking, judged, true = totals
    print(f"\nall: {blocking} blocking, {judged} judged, {true} true"
          + (f", precision {true / judged:.2f}" if judged else ""))
    print(f"reproduce: .venv/bin/python bench/precision.py --label {args.label}"
          + (f" --only {args.only}" if args.only else "") + (" --planted" if args.planted else ""))


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()
