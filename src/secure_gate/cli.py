"""Command line: argparse → options → run → renderers → exit code."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from secure_gate import __version__
from secure_gate.config import FAIL_ON_CHOICES, Config, parse_fail_on
from secure_gate.errors import EXIT_SCANNER_ERROR, EXIT_USAGE, GateError, UsageError
from secure_gate.model import Confidence, Report
from secure_gate.progress import Progress
from secure_gate.redact import redact
from secure_gate.report.escape import terminal

if TYPE_CHECKING:
    from secure_gate.trusted import TrustedPolicy
    from secure_gate.workers.pool import WorkerPool
from secure_gate.report.rendered import Rendered

# Scanner names from the contract; each is registered when its issue lands.
CONTRACT_SCANNERS = ("bandit", "pip-audit", "detect-secrets", "pins")
# Options of the contract whose feature has not landed yet: a clear usage error, not a no-op.
NOT_YET: dict[str, str] = {}


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _scanner_list(value: str) -> tuple[str, ...]:
    from secure_gate.scanners import SCANNERS

    names = tuple(dict.fromkeys(n.strip() for n in value.split(",") if n.strip()))
    if not names:
        raise argparse.ArgumentTypeError("name at least one scanner")
    for name in names:
        if name not in SCANNERS:
            if name in CONTRACT_SCANNERS:
                raise argparse.ArgumentTypeError(f"scanner {name!r} is not yet supported")
            raise argparse.ArgumentTypeError(
                f"unknown scanner {name!r} (known: {', '.join(SCANNERS)})")
    return names


def _positive_int(value: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"expected at least 1, got {number}")
    return number


def add_scan_options(parser: argparse.ArgumentParser) -> None:
    """The options shared by ``scan`` and ``baseline``."""
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="restrict the scan to these files or folders")
    parser.add_argument("--config", metavar="FILE", help="config file (default: discover "
                        ".secure-gate.yml/.yaml, else [tool.secure-gate] in pyproject.toml)")
    parser.add_argument("--scanners", type=_scanner_list, metavar="a,b",
                        help="run only these scanners")
    parser.add_argument("--fail-on", choices=FAIL_ON_CHOICES,
                        help="fail on blocking findings at or above this severity "
                             "(default: high)")
    parser.add_argument("--min-confidence", choices=("high", "medium", "low"),
                        help="findings below this confidence never block (default: medium)")
    parser.add_argument("--diff-base", metavar="REF",
                        help="findings already present at REF do not block")
    parser.add_argument("--baseline", metavar="FILE",
                        help="findings recorded in FILE are suppressed")
    parser.add_argument("--policy-from", choices=("base", "head"),
                        help="with --diff-base: read the config, ledger and baseline from the "
                             "base commit (default) or from the change itself (head)")
    parser.add_argument("--policy-base", metavar="REF",
                        help="the commit --policy-from base reads (default: --diff-base)")
    parser.add_argument("--osv-url", metavar="URL", help="OSV-compatible vulnerability API")
    parser.add_argument("--advisory-db", metavar="PATH",
                        help="offline OSV export (zip or folder of OSV JSON)")
    parser.add_argument("--jobs", type=_positive_int, metavar="N",
                        help="worker processes (default: all cores)")
    parser.add_argument("--no-cache", action="store_true", help="do not use the result cache")
    parser.add_argument("--cache-dir", metavar="DIR", help="where cached results live")


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line interface."""
    parser = _Parser(prog="secure-gate", description="One security gate for Python "
                     "repositories: bandit, pip-audit, detect-secrets and pin checks.")
    parser.add_argument("--version", action="version", version=f"secure-gate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    scan = sub.add_parser("scan", help="scan the repository in the current directory")
    add_scan_options(scan)
    scan.add_argument("--json", metavar="FILE", help="also write the JSON report here")
    scan.add_argument("--sarif", metavar="FILE", help="also write SARIF 2.1.0 here")
    scan.add_argument("--markdown", metavar="FILE", help="also write a markdown summary here")
    scan.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                      help="colour the text output (default: auto, honouring NO_COLOR)")
    sub.add_parser("github", help="the GitHub Action's entry point (reads INPUT_* and "
                   "GITHUB_* from the environment)")
    hook = sub.add_parser("hook", help="terse output for git hooks (pre-commit passes the "
                          "staged files as PATHs)")
    add_scan_options(hook)
    hook.add_argument("--staged", action="store_true",
                      help="scan the staged (index) version of the staged files (native hook)")
    hook.add_argument("--pre-push", action="store_true",
                      help="read git's pre-push refs on stdin; scan each pushed commit")
    install = sub.add_parser("install-hooks", help="install native pre-commit and pre-push "
                             "git hooks in the current repository")
    install.add_argument("--force", action="store_true",
                         help="replace existing hooks that are not secure-gate's")
    install.add_argument("--no-pre-push", action="store_true", help="only the pre-commit hook")
    baseline = sub.add_parser("baseline", help="write the current findings as a baseline")
    add_scan_options(baseline)
    baseline.add_argument("--output", "-o", metavar="FILE", default=".secure-gate-baseline.json",
                          help="where to write the baseline")
    return parser


def _use_colour(choice: str, stream: TextIO | None = None) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    return (stream or sys.stdout).isatty()


def load_config(args: argparse.Namespace, root: Path) -> Config:
    """The config file's settings with the command line's on top (flags win)."""

    from secure_gate import config

    return _flags(args, config.load(root, args.config))


def _flags(args: argparse.Namespace, loaded: Config) -> Config:
    """Command-line thresholds win over the file's."""
    if args.fail_on:
        loaded = replace(loaded, fail_on=parse_fail_on(args.fail_on))
    if args.min_confidence:
        loaded = replace(loaded, min_confidence=Confidence.parse(args.min_confidence))
    return loaded


def _check_not_yet(args: argparse.Namespace) -> None:
    for attr, flag in NOT_YET.items():
        if getattr(args, attr, None):
            raise UsageError(f"{flag} is not yet supported by this version of secure-gate")


# A report option given ``-`` writes that report to standard output, as curl, pip-audit and
# jq read it; the text report then goes to standard error.
STDOUT = "-"


def _writable(path: str | None, flag: str) -> None:
    if path is None or path == STDOUT:
        return
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise UsageError(f"{flag} {path}: folder {parent} does not exist")


def write_file(path: str, text: str) -> None:
    """Write a report atomically (a reader never sees half a file); ``-`` is standard output."""
    if path == STDOUT:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    target = Path(path)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, target)


def run_scan(args: argparse.Namespace, pool: WorkerPool | None = None) -> Report:
    """Build run options from parsed arguments and scan."""
    from secure_gate import run

    root = Path.cwd()
    policy = trusted_policy(args, root)
    config = _flags(args, policy.config)
    options = run.RunOptions(
        root=root,
        paths=tuple(args.paths),
        scanners=args.scanners,
        jobs=args.jobs or (os.cpu_count() or 1),
        baseline=policy.baseline,
        diff_base=args.diff_base,
        scanner_options=scanner_options(args, root),
        cache_dir=cache_dir(args),
        pool=pool,
    )
    with Progress.for_terminal(sys.stderr) as progress:
        report = run.scan(config, replace(options, progress=progress))
    return replace(report, policy_source=policy.source, policy_changes=policy.changes,
                   policy_in_effect=policy.source.startswith("the working tree"),
                   notices=(*policy.notices, *report.notices))


def trusted_policy(args: argparse.Namespace, root: Path) -> TrustedPolicy:
    """The policy to judge by: the base commit's when judging a change (``--policy-from``)."""
    from secure_gate import diff, trusted

    policy_from = args.policy_from or ("base" if args.diff_base else "head")
    ref = args.policy_base or args.diff_base
    if policy_from == "base" and args.policy_from and ref is None:
        raise UsageError("--policy-from base needs a base commit (--diff-base or --policy-base)")
    try:
        base = diff.resolve_base(root, ref, flag="--policy-base" if args.policy_base
                                 else "--diff-base") if ref else None
    except UsageError as exc:
        if policy_from != "base":
            raise
        raise UsageError(f"{exc}. The policy is read from the base commit so that a change "
                         "cannot relax it (--policy-from head, or the Action input "
                         "policy-from: head, reads the change's own)") from None
    return trusted.resolve(root, base=base, policy_from=policy_from,
                           explicit_config=args.config, explicit_baseline=args.baseline)


def cache_dir(args: argparse.Namespace) -> Path | None:
    """Where per-file results are cached (None with --no-cache)."""
    from secure_gate import cache

    if args.no_cache:
        return None
    folder = Path(args.cache_dir) if args.cache_dir else cache.default_dir()
    cache.check_folder(folder, Path.cwd())  # never a folder a commit can fill
    return folder


def scanner_options(args: argparse.Namespace, root: Path) -> dict[str, dict[str, Any]]:
    """Scanner options given as flags; they win over the config file's."""
    if not (args.osv_url or args.advisory_db):
        return {}  # nothing to import: a hook on one file stays light
    from secure_gate.scanners.pip_audit import command_line_options

    return command_line_options(args.osv_url, args.advisory_db, root)


def baseline_counts(path: str | None, root: Path) -> dict[str, int] | None:
    """The accepted fingerprints of ``--baseline`` (or the config's), if one is named."""
    if path is None:
        return None
    from secure_gate import baseline

    return dict(baseline.load(path, root))


def _cmd_scan(args: argparse.Namespace) -> int:
    from secure_gate.report.json import render_json
    from secure_gate.report.text import TextOptions, render_text

    _check_not_yet(args)
    outputs = ((args.json, "--json"), (args.sarif, "--sarif"), (args.markdown, "--markdown"))
    for path, flag in outputs:
        _writable(path, flag)
    to_stdout = [flag for path, flag in outputs if path == STDOUT]
    if len(to_stdout) > 1:
        raise UsageError(f"{' and '.join(to_stdout)} both name - (standard output): one "
                         "report at a time can go there")
    report = run_scan(args)
    text_stream = sys.stderr if to_stdout else sys.stdout
    text_stream.write(render_text(report, TextOptions(colour=_use_colour(args.color,
                                                                         text_stream))))
    text_stream.flush()
    if args.json:
        write_file(args.json, render_json(report))
    notices: list[str] = []
    if args.sarif:
        from secure_gate.report.sarif import sarif_document

        notices += _write_rendered(args.sarif, sarif_document(report))
    if args.markdown:
        from secure_gate.report.markdown import markdown_document

        notices += _write_rendered(args.markdown, markdown_document(report))
    for notice in notices:
        print(f"secure-gate: {terminal(notice)}", file=sys.stderr)
    return report.exit_code


def _write_rendered(path: str, rendered: Rendered) -> tuple[str, ...]:
    """Write a size-limited report; its notices (what was cut) go to stderr."""
    write_file(path, rendered.text)
    return rendered.notices


def _cmd_github(args: argparse.Namespace) -> int:
    from secure_gate.github.handoff import reexec_without_credentials

    reexec_without_credentials()  # before anything starts: no child inherits a credential
    from secure_gate.github.main import run_github

    return run_github(os.environ)


def _cmd_baseline(args: argparse.Namespace) -> int:
    """Write the current findings as a baseline; refuse when a scanner did not complete."""
    from secure_gate import baseline
    from secure_gate.model import Status

    _check_not_yet(args)
    _writable(args.output, "--output")
    report = run_scan(args)
    failed = [s.name for s in report.scanners if s.status is Status.ERROR]
    if failed:
        for result in report.scanners:
            if result.status is Status.ERROR:
                print(f"secure-gate: {terminal(result.name)}: {terminal(result.message or '')}",
                      file=sys.stderr)
        print(f"secure-gate: not writing a baseline from an incomplete scan "
              f"({', '.join(failed)} did not complete)", file=sys.stderr)
        return EXIT_SCANNER_ERROR
    write_file(args.output, baseline.render(report.findings))
    kept = sum(1 for f in report.findings
               if f.suppression is None or f.suppression.kind != "ledger")
    print(f"secure-gate: wrote {kept} finding(s) to "
          f"{'standard output' if args.output == STDOUT else terminal(args.output)}",
          file=sys.stderr if args.output == STDOUT else sys.stdout)
    return 0


def _cmd_hook(args: argparse.Namespace) -> int:
    pool = None if args.staged or args.pre_push else _early_pool(args)
    try:
        from secure_gate.hookrun import run_hook

        _check_not_yet(args)
        return run_hook(args, pool)
    finally:
        if pool is not None:
            pool.close()  # normally done by the scan already; closing twice is harmless


def _early_pool(args: argparse.Namespace) -> WorkerPool | None:
    """For a hook on named files: start the tools' workers before anything else is imported.

    A hook's whole scan is a fraction of a second, most of it the tools' import time; started
    here, that import overlaps the gate's own start-up instead of following it.
    """
    from secure_gate.workers.pool import WorkerPool

    wanted = args.scanners or ("bandit", "detect-secrets")
    kinds = []
    if "bandit" in wanted and any(p.endswith((".py", ".pyw")) for p in args.paths):
        kinds.append("bandit")
    if "detect-secrets" in wanted and args.paths:
        kinds.append("detect-secrets")
    if not kinds:
        return None
    pool = WorkerPool(Path.cwd(), args.jobs or (os.cpu_count() or 1))
    pool.prestart(kinds)
    return pool


def _cmd_install_hooks(args: argparse.Namespace) -> int:
    from secure_gate import hooks

    kinds = ("pre-commit",) if args.no_pre_push else ("pre-commit", "pre-push")
    for path in hooks.install(Path.cwd(), force=args.force, kinds=kinds):
        print(f"secure-gate: installed {terminal(str(path))}")
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "scan": _cmd_scan, "github": _cmd_github, "baseline": _cmd_baseline, "hook": _cmd_hook,
    "install-hooks": _cmd_install_hooks,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the exit code (0 passed, 1 failed, 2 usage, 3 scanner error)."""
    from secure_gate import hookargs

    parser = build_parser()
    try:
        args = hookargs.parse_args(parser, sys.argv[1:] if argv is None else argv)
        return COMMANDS[args.command](args)
    except GateError as exc:
        print(f"secure-gate: error: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("secure-gate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_USAGE


if __name__ == "__main__":
    raise SystemExit(main())
