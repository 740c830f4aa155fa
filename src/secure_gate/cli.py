"""Command line: argparse → options → run → renderers → exit code."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from secure_gate import __version__
from secure_gate.config import FAIL_ON_CHOICES
from secure_gate.errors import EXIT_SCANNER_ERROR, EXIT_USAGE, GateError, UsageError
from secure_gate.model import Report
from secure_gate.progress import Progress
from secure_gate.redact import redact
from secure_gate.report.escape import terminal
from secure_gate.request import ScanRequest

if TYPE_CHECKING:
    from secure_gate.workers.pool import WorkerPool


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        raise UsageError(message)


def _scanner_list(value: str) -> tuple[str, ...]:
    from secure_gate.request import scanner_names

    try:
        return scanner_names(value)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


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
    parser.add_argument("--history", choices=("off", "pr", "all"),
                        help="with --diff-base: also scan for secrets the blobs each commit of "
                             "the range added (pr, the default), every commit of HEAD (all), "
                             "or the head only (off); default: config `history`")
    parser.add_argument("--policy-base", metavar="REF",
                        help="the commit --policy-from base reads (default: --diff-base)")
    from secure_gate.request import flags

    for flag_name, (_scanner, flag) in flags().items():  # scanners declare their own flags
        parser.add_argument(f"--{flag_name}", metavar=flag.metavar, help=flag.help,
                            dest=_flag_dest(flag_name))
    parser.add_argument("--jobs", type=_positive_int, metavar="N",
                        help="worker processes (default: all cores)")
    parser.add_argument("--no-cache", action="store_true", help="do not use the result cache")
    parser.add_argument("--cache-dir", metavar="DIR", help="where cached results live")


def _add_show(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--show", choices=("blocking", "new", "all"),
                        help="what the text and markdown reports list (default: config `show`, "
                        "else all)")


def _add_colour(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                        help="colour the text output (default: auto, honouring NO_COLOR)")


def _shard(value: str) -> tuple[int, int]:
    from secure_gate.shards import Shard

    try:
        shard = Shard.parse(value)
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return shard.index, shard.count


def _flag_dest(flag_name: str) -> str:
    return "flag_" + flag_name.replace("-", "_")


def build_parser() -> argparse.ArgumentParser:
    """The whole command-line interface."""
    parser = _Parser(prog="secure-gate", description="One security gate for Python "
                     "repositories: bandit, pip-audit, detect-secrets and pin checks.")
    parser.add_argument("--version", action="version", version=f"secure-gate {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    scan = sub.add_parser("scan", help="scan the repository in the current directory")
    add_scan_options(scan)
    from secure_gate.report.formats import FORMATS

    for fmt in FORMATS.values():
        scan.add_argument(fmt.flag, metavar="FILE", help=fmt.help, dest=f"format_{fmt.name}")
    scan.add_argument("--shard", metavar="K/N", type=_shard,
                      help="do only shard K of N of the work (a matrix leg); `merge` joins "
                           "the legs' --json reports into one verdict")
    _add_show(scan)
    _add_colour(scan)
    merge = sub.add_parser("merge", help="one report and exit code from every shard's "
                           "--json report (scan --shard K/N)")
    merge.add_argument("reports", nargs="+", metavar="REPORT", help="the shards' JSON reports")
    for fmt in FORMATS.values():
        merge.add_argument(fmt.flag, metavar="FILE", help=fmt.help, dest=f"format_{fmt.name}")
    _add_show(merge)
    _add_colour(merge)
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
    _add_fix(sub.add_parser("fix", help="edit pins, hashes and vulnerable versions into "
                            "place (asks the package index, GitHub and registries)"))
    baseline = sub.add_parser("baseline", help="write the current findings as a baseline")
    add_scan_options(baseline)
    baseline.add_argument("--output", "-o", metavar="FILE", default=".secure-gate-baseline.json",
                          help="where to write the baseline")
    return parser


def _registry(value: str) -> tuple[str, str]:
    host, sep, url = value.partition("=")
    if not sep or not host or not url.startswith(("https://", "http://")):
        raise argparse.ArgumentTypeError(f"{value!r}: expected HOST=URL (docker.io=https://"
                                         "mirror.example)")
    return host.lower(), url


def _add_fix(fix: argparse.ArgumentParser) -> None:
    fix.add_argument("paths", nargs="*", metavar="PATH",
                     help="fix only these files or folders")
    fix.add_argument("--config", metavar="FILE", help="config file (as for scan)")
    fix.add_argument("--only", type=_scanner_list, metavar="a,b",
                     help="fix only these scanners' findings (default: every scanner that "
                          "has a fixer)")
    fix.add_argument("--diff", action="store_true",
                     help="print the edits as a unified diff instead of writing them")
    fix.add_argument("--dry-run", action="store_true",
                     help="say what would change, write nothing")
    fix.add_argument("--pin", action="store_true",
                     help="also pin requirements that accept a range, to the highest version "
                          "the range allows with no known advisory")
    fix.add_argument("--index-url", metavar="URL",
                     help="the package index's simple API (default: PyPI; a requirements "
                          "file's own --index-url wins)")
    fix.add_argument("--github-api-url", metavar="URL",
                     help="the GitHub API (default: $GITHUB_API_URL, else api.github.com)")
    fix.add_argument("--registry", type=_registry, action="append", default=[],
                     metavar="HOST=URL", help="ask a registry's API v2 at URL (a mirror)")
    fix.add_argument("--timeout", type=_positive_int, default=15, metavar="S",
                     help="seconds per request (default 15; each is retried 3 times)")
    fix.add_argument("--jobs", type=_positive_int, metavar="N",
                     help="worker processes (default: all cores)")


def _use_colour(choice: str, stream: TextIO | None = None) -> bool:
    if choice != "auto":
        return choice == "always"
    if os.environ.get("NO_COLOR"):
        return False
    return (stream or sys.stdout).isatty()


def scan_request(args: argparse.Namespace, root: Path) -> ScanRequest:
    """The engine's request for ``scan``, ``hook`` and ``baseline`` arguments."""
    from secure_gate.request import cache_location, flag_options, flags

    values = {name: getattr(args, _flag_dest(name)) for name in flags()}
    return ScanRequest(
        root=root,
        paths=tuple(args.paths),
        config_file=args.config,
        scanners=args.scanners,
        fail_on=args.fail_on,
        min_confidence=args.min_confidence,
        diff_base=args.diff_base,
        baseline=args.baseline,
        policy_from=args.policy_from,
        policy_base=args.policy_base,
        history=args.history,
        scanner_options=flag_options(values, root),
        jobs=args.jobs,
        cache_dir=cache_location(args.no_cache, args.cache_dir),
        shard=getattr(args, "shard", None),
    )


def _writable(path: str | None, flag: str) -> None:
    from secure_gate.report.formats import STDOUT  # the text report then goes to stderr

    if path is None or path == STDOUT:
        return
    parent = Path(path).resolve().parent
    if not parent.is_dir():
        raise UsageError(f"{flag} {path}: folder {parent} does not exist")


def run_scan(request: ScanRequest, pool: WorkerPool | None = None) -> Report:
    """Scan with a progress line on a terminal."""
    from secure_gate import engine

    with Progress.for_terminal(sys.stderr) as progress:
        return engine.scan(request, progress=progress, pool=pool)


def _cmd_scan(args: argparse.Namespace) -> int:
    wanted = _wanted_reports(args)
    if args.shard is not None and "json" not in wanted:
        raise UsageError("--shard needs --json FILE: the shard's report is what merge reads")
    return _emit_reports(run_scan(scan_request(args, Path.cwd())), args, wanted)


def _cmd_fix(args: argparse.Namespace) -> int:
    from secure_gate import fixer
    from secure_gate.github.handoff import take_token
    from secure_gate.net.http import Http
    from secure_gate.net.services import GITHUB_API, PYPI_SIMPLE, Services

    token = take_token(os.environ, source="GITHUB_TOKEN") or None
    services = Services(
        http=Http(timeout=float(args.timeout)),
        index_url=args.index_url or PYPI_SIMPLE,
        github_api=(args.github_api_url or os.environ.get("GITHUB_API_URL") or GITHUB_API),
        github_token=token,
        registries=dict(args.registry),
    )
    root = Path.cwd()
    request = fixer.FixRequest(
        scan=ScanRequest(root=root, paths=tuple(args.paths), config_file=args.config,
                         jobs=args.jobs, cache_dir=None),
        services=services, only=args.only, pin_ranges=args.pin,
        dry_run=args.diff or args.dry_run)
    try:
        result = fixer.run(request)
    except GateError as exc:
        # Its message names what the repository and the services wrote (an index URL from
        # a requirements file, a file's name): one escaped line, as every line fix prints.
        raise _Shown(terminal(str(exc), limit=1000), exc.exit_code) from None
    if args.diff:
        text = result.diff()
        sys.stdout.write(terminal_safe(text) if sys.stdout.isatty() else text)
    for line in fixer.summary(result, dry_run=request.dry_run):
        print(line, file=sys.stderr if args.diff else sys.stdout)
    for line in fixer.error_lines(result):
        print(redact(line), file=sys.stderr)
    return fixer.exit_code(result)


class _Shown(GateError):
    """A :class:`GateError` whose message is already escaped, with the original's exit code."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def terminal_safe(text: str) -> str:
    """A diff for a terminal: every line's hidden characters shown as escapes (a file's
    escape sequences never reach the terminal); piped, the diff is left exact for
    ``git apply``."""
    from secure_gate.report.escape import reveal

    return reveal(text.replace("\r\n", "\n"), keep="\n\t")  # a CRLF line shown as any


def _cmd_merge(args: argparse.Namespace) -> int:
    from secure_gate import engine

    wanted = _wanted_reports(args)
    return _emit_reports(engine.merge(args.reports, Path.cwd()), args, wanted)


def _wanted_reports(args: argparse.Namespace) -> dict[str, str]:
    """The report files asked for, checked before any work is done."""
    from secure_gate.report import formats

    wanted = {name: path for name in formats.FORMATS
              if (path := getattr(args, f"format_{name}")) is not None}
    for name, path in wanted.items():
        _writable(path, formats.FORMATS[name].flag)
    to_stdout = [formats.FORMATS[n].flag for n, path in wanted.items() if path == formats.STDOUT]
    if len(to_stdout) > 1:
        raise UsageError(f"{' and '.join(to_stdout)} both name - (standard output): one "
                         "report at a time can go there")
    return wanted


def _emit_reports(report: Report, args: argparse.Namespace, wanted: dict[str, str]) -> int:
    """The text report (on stderr when another report has stdout), then the files."""
    from secure_gate.report import formats
    from secure_gate.report.text import TextOptions, render_text

    if args.show:  # the flag wins over the config's `show:` for the text and markdown bodies
        report = replace(report, show=args.show)
    text_stream = sys.stderr if formats.STDOUT in wanted.values() else sys.stdout
    text_stream.write(render_text(report, TextOptions(colour=_use_colour(args.color,
                                                                         text_stream))))
    text_stream.flush()
    for notice in formats.write(report, dict(wanted), stdout=sys.stdout):
        print(f"secure-gate: {terminal(notice)}", file=sys.stderr)
    return report.exit_code


def _cmd_github(args: argparse.Namespace) -> int:
    from secure_gate.github.main import run_github

    return run_github(os.environ)


def _cmd_baseline(args: argparse.Namespace) -> int:
    """Write the current findings as a baseline; refuse when a scanner did not complete."""
    from secure_gate import baseline
    from secure_gate.model import Status
    from secure_gate.report.formats import STDOUT, put

    _writable(args.output, "--output")
    report = run_scan(scan_request(args, Path.cwd()))
    failed = [s.name for s in report.scanners if s.status is Status.ERROR]
    if failed:
        for result in report.scanners:
            if result.status is Status.ERROR:
                print(f"secure-gate: {terminal(result.name)}: {terminal(result.message or '')}",
                      file=sys.stderr)
        print(f"secure-gate: not writing a baseline from an incomplete scan "
              f"({', '.join(failed)} did not complete)", file=sys.stderr)
        return EXIT_SCANNER_ERROR
    put(args.output, baseline.render(report.findings), stdout=sys.stdout)
    kept = sum(1 for f in report.findings
               if f.suppression is None or f.suppression.kind != "ledger")
    print(f"secure-gate: wrote {kept} finding(s) to "
          f"{'standard output' if args.output == STDOUT else terminal(args.output)}",
          file=sys.stderr if args.output == STDOUT else sys.stdout)
    return 0


def _cmd_hook(args: argparse.Namespace) -> int:
    pool = None if args.staged or args.pre_push else _early_pool(args)
    try:
        from secure_gate import hookrun

        request = scan_request(args, Path.cwd())
        if args.staged and args.pre_push:
            raise UsageError("--staged and --pre-push do not go together")
        if args.staged:
            return hookrun.staged(request)
        if args.pre_push:
            return hookrun.pre_push(request, sys.stdin.read())
        return hookrun.named_files(request, pool)
    finally:
        if pool is not None:
            pool.close()  # normally done by the scan already; closing twice is harmless


def _early_pool(args: argparse.Namespace) -> WorkerPool | None:
    """For a hook on named files: start the tools' workers before anything else is imported.

    A hook's whole scan is a fraction of a second, most of it the tools' import time; started
    here, that import overlaps the gate's own start-up instead of following it.
    """
    from secure_gate.scanners import SCANNERS, get
    from secure_gate.workers.pool import WorkerPool

    if not args.paths:
        return None
    wanted = args.scanners or tuple(SCANNERS)
    kinds = [str(scanner.worker) for name in wanted
             if (scanner := get(name)).worker
             and any(scanner.may_read(path) for path in args.paths)]
    if not kinds:
        return None
    pool = WorkerPool(Path.cwd(), ScanRequest(root=Path.cwd(), jobs=args.jobs).workers())
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
    "install-hooks": _cmd_install_hooks, "merge": _cmd_merge, "fix": _cmd_fix,
}


_SCANS = ("scan", "github", "baseline", "hook")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: returns the exit code (0 passed, 1 failed, 2 usage, 3 scanner error)."""
    from secure_gate import hookargs

    parser = build_parser()
    previous = _on_sigterm()
    try:
        args = hookargs.parse_args(parser, sys.argv[1:] if argv is None else argv)
        if argv is None and args.command in _SCANS:
            from secure_gate.github.handoff import reexec_without_credentials

            # A process of its own (never an in-process call): before any worker or tool
            # starts, no credential is left in its environment block for a child to read.
            reexec_without_credentials(keep_token=args.command == "github")
        elif argv is None and args.command == "fix":
            from secure_gate.github.handoff import reexec_without_credentials

            # fix asks the GitHub API with GITHUB_TOKEN: handed over the same way, so that
            # no scanner or tool it starts can read it.
            reexec_without_credentials(source="GITHUB_TOKEN")
        return COMMANDS[args.command](args)
    except Terminated:
        print("secure-gate: terminated", file=sys.stderr)
        return 143
    except GateError as exc:
        print(f"secure-gate: error: {redact(str(exc))}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("secure-gate: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_USAGE
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


class Terminated(BaseException):
    """SIGTERM arrived: unwind like Ctrl-C, so the scan's workers are killed on the way."""


def _on_sigterm() -> signal._HANDLER:
    """Turn SIGTERM into :class:`Terminated` in the main thread (None: not the main thread)."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def stop(signum: int, frame: object) -> None:
        from secure_gate.workers.pool import terminate_all

        terminate_all()
        raise Terminated

    return signal.signal(signal.SIGTERM, stop)


if __name__ == "__main__":
    raise SystemExit(main())
