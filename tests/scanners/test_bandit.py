"""bandit adapter: recorded output parsed in full, trusted INI, fidelity with bandit itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from secure_gate.files import RepoFile
from secure_gate.model import Confidence, Severity
from secure_gate.scanners import bandit
from tests.conftest import FIXTURES

SOURCE = FIXTURES / "bandit" / "source"


def resolver(name: str) -> RepoFile | None:
    rel = os.path.normpath(name)
    path = SOURCE / rel
    return RepoFile(rel, path, path.stat().st_size, True) if path.exists() else None


def recorded() -> dict[str, Any]:
    return json.loads((FIXTURES / "bandit" / "views_and_broken.json").read_text())


def test_recorded_output_is_parsed_in_full() -> None:
    outcome = bandit.parse(recorded(), resolver, bandit._read_lines)
    got = [(f.location.path, f.location.line, f.rule) for f in outcome.findings]
    assert got == [("app/views.py", 1, "B403"), ("app/views.py", 2, "B404"),
                   ("app/views.py", 6, "B602"), ("app/views.py", 10, "B301"),
                   ("app/views.py", 14, "B608"), ("app/views.py", 17, "B105"),
                   ("app/views.py", 18, "B101")]
    assert outcome.errors == ["bandit could not scan app/broken.py: syntax error while parsing "
                              "AST from file"]
    assert outcome.stats["nosec"] == 1
    b602 = outcome.findings[2]
    assert b602.severity is Severity.HIGH and b602.confidence is Confidence.HIGH
    assert b602.location.column == 5  # bandit's col_offset 4, 1-based
    assert b602.help_uri and b602.help_uri.startswith("https://bandit.readthedocs.io/")
    assert "external/cwe/cwe-78" in b602.tags
    assert b602.title == "subprocess_popen_with_shell_equals_true"


def test_hardcoded_password_value_is_withheld() -> None:
    outcome = bandit.parse(recorded(), resolver, bandit._read_lines)
    b105 = next(f for f in outcome.findings if f.rule == "B105")
    assert "s3cr3t" not in b105.message
    assert b105.message == "Possible hardcoded password: (value withheld)"


def test_a_result_for_an_unknown_file_is_an_error_not_a_guess() -> None:
    document = recorded()
    document["results"][0]["filename"] = "./elsewhere.py"
    outcome = bandit.parse(document, resolver, bandit._read_lines)
    assert any("not given" in e for e in outcome.errors)


VULNERABLE = {
    "app/db.py": "def q(cur, n):\n    cur.execute(\"SELECT * FROM t WHERE n = '%s'\" % n)\n",
    "app/run.py": "import subprocess\n\n\ndef go(c):\n    subprocess.Popen(c, shell=True)\n",
    "app/load.py": "import pickle, yaml\n\n\ndef f(b):\n    yaml.load(b)\n    return "
                   "pickle.loads(b)\n",
    "app/crypto.py": "import hashlib, random\nh = hashlib.md5(b'x')\nr = random.random()\n"
                     "exec('print(1)')\n",
    "app/tmp.py": "f = open('/tmp/x', 'w')\nassert f\n",
    "app/nested/deep.py": "import tarfile\ntarfile.open('x').extractall()\n",
    "app/clean.py": "def add(a, b):\n    return a + b\n",
}


def test_fidelity_with_bandit_run_directly(make_repo: Callable[..., Any],
                                           run_cli: Callable[..., Any]) -> None:
    repo = make_repo(VULNERABLE)
    result = run_cli(repo.root, "scan", "--scanners", "bandit", "--fail-on", "never")
    assert result.code == 0
    ours = {(f["path"], f["line"], f["rule"]) for f in result.json_report["findings"]}
    direct = subprocess.run([sys.executable, "-m", "bandit", "-r", ".", "-f", "json", "-q"],
                            cwd=repo.root, capture_output=True, text=True, check=False)
    theirs = {(os.path.normpath(r["filename"]), r["line_number"], r["test_id"])
              for r in json.loads(direct.stdout)["results"]}
    assert ours == theirs
    assert len(ours) >= 10


def test_repository_bandit_file_cannot_switch_tests_off(make_repo: Callable[..., Any],
                                                        run_cli: Callable[..., Any]) -> None:
    skips = ",".join(f"B{n}" for n in range(101, 704))
    repo = make_repo({".bandit": f"[bandit]\nskips: {skips}\nexclude: ./app\n",
                      "app/run.py": VULNERABLE["app/run.py"]})
    direct = subprocess.run([sys.executable, "-m", "bandit", "-r", ".", "-f", "json", "-q"],
                            cwd=repo.root, capture_output=True, text=True, check=False)
    assert json.loads(direct.stdout)["results"] == []  # bandit itself obeys the .bandit file
    result = run_cli(repo.root, "scan", "--scanners", "bandit")
    assert {f["rule"] for f in result.json_report["findings"]} == {"B404", "B602"}
    assert result.code == 1


def test_syntax_error_fails_closed_and_names_the_file(make_repo: Callable[..., Any],
                                                      run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"good.py": "x = 1\n", "pkg/bad.py": "def broken(:\n"})
    result = run_cli(repo.root, "scan", "--scanners", "bandit")
    assert result.code == 3
    bandit_status = result.json_report["scanners"][0]
    assert bandit_status["status"] == "error"
    assert "pkg/bad.py" in bandit_status["message"]
    assert "syntax error" in bandit_status["message"]


def test_syntax_error_with_on_scanner_error_warn(make_repo: Callable[..., Any],
                                                 run_cli: Callable[..., Any]) -> None:
    repo = make_repo({".secure-gate.yml": "on-scanner-error: warn\n", "bad.py": "def (:\n"})
    result = run_cli(repo.root, "scan", "--scanners", "bandit")
    assert result.code == 0
    assert result.json_report["passed"] is True
    assert any("did not complete" in n for n in result.json_report["notices"])


def test_nosec_is_honoured_and_counted(make_repo: Callable[..., Any],
                                       run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"a.py": "import subprocess  # nosec\nexec('x')  # nosec B102\n"})
    result = run_cli(repo.root, "scan", "--scanners", "bandit")
    # Still reported (issue 16), as suppressed inline, never blocking.
    assert sorted((f["line"], f["rule"], f["suppression"]["kind"], f["blocking"])
                  for f in result.json_report["findings"]) == [(1, "B404", "inline", False),
                                                         (2, "B102", "inline", False)]
    stats = result.json_report["scanners"][0]["stats"]
    assert (stats["nosec"], stats["skipped_tests"]) == (1, 1)
    assert "2 result(s) silenced by `# nosec`" in result.out


def test_batches_give_the_same_findings(make_repo: Callable[..., Any],
                                         run_cli: Callable[..., Any],
                                         monkeypatch: Any) -> None:
    many = {f"pkg/m{i}.py": "import pickle\npickle.loads(b'')\n" for i in range(12)}
    repo = make_repo(many)
    one = run_cli(repo.root, "scan", "--scanners", "bandit", "--jobs", "1", "--no-cache")
    monkeypatch.setattr("secure_gate.scanners._shards.MIN_BATCH_BYTES", 1)
    monkeypatch.setattr("secure_gate.scanners._shards.MAX_BATCH_FILES", 2)
    sharded = run_cli(repo.root, "scan", "--scanners", "bandit", "--jobs", "4", "--no-cache")
    key = lambda r: [(f["path"], f["line"], f["rule"]) for f in r.json_report["findings"]]  # noqa: E731
    assert key(one) == key(sharded)
    assert len(key(one)) == 24


def test_bandit_file_reading_helper_handles_missing_files(tmp_path: Path) -> None:
    missing = RepoFile("gone.py", tmp_path / "gone.py", 0, True)
    assert bandit._read_lines(missing) == []


# Where the gate rates a result differently (scanners/bandit/ratings.py): what bandit finds is
# unchanged, only the rating moves, and only to one bandit gives a comparable case.
RATED = {
    "app/cache.py": "import hashlib\n\n\ndef key(vary):\n"
                    "    return hashlib.sha1(vary.encode()).hexdigest()[:8]\n",
    "app/login.py": "from hashlib import md5\n\n\ndef check(stored, password):\n"
                    "    return stored == md5(password.encode()).hexdigest()\n",
    "app/rpc.py": "import xmlrpc.client\n",
    "app/untar.py": "import tarfile\n\n\ndef own(member, path):\n    return member\n\n\n"
                    "def a(t, d):\n    t.extractall(d, filter=own)\n\n\n"
                    "def b(t, d):\n    t.extractall(d)\n\n\n"
                    "def c(t, d):\n    t.extractall(d, filter='fully_trusted')\n\n\n"
                    "def e(t, d, chosen):\n    t.extractall(d, filter=chosen)\n\n\n"
                    "def g(t, d):\n    t.extractall(d, filter=tarfile.tar_filter)\n",
}


def test_rerated_results_keep_what_bandit_found(make_repo: Callable[..., Any],
                                                run_cli: Callable[..., Any]) -> None:
    repo = make_repo(RATED)
    result = run_cli(repo.root, "scan", "--scanners", "bandit,practices")
    got = {(f["path"], f["line"], f["scanner"], f["rule"]): (f["severity"], f["confidence"],
                                                             f["blocking"])
           for f in result.json_report["findings"]
           if f["rule"] in ("B324", "B411", "B202", "weak-password-hash")}
    assert got == {
        # a cache key: reported at medium, not blocking
        ("app/cache.py", 5, "bandit", "B324"): ("medium", "high", False),
        # a password: bandit's B324 at medium, and the practices rule blocks
        ("app/login.py", 5, "bandit", "B324"): ("medium", "high", False),
        ("app/login.py", 5, "practices", "weak-password-hash"): ("high", "medium", True),
        ("app/rpc.py", 1, "bandit", "B411"): ("medium", "high", False),
        ("app/untar.py", 9, "bandit", "B202"): ("low", "low", False),  # the module's filter
        ("app/untar.py", 13, "bandit", "B202"): ("high", "high", True),  # no filter
        ("app/untar.py", 17, "bandit", "B202"): ("high", "high", True),  # checks nothing
        ("app/untar.py", 21, "bandit", "B202"): ("medium", "medium", False),  # unknown
        ("app/untar.py", 25, "bandit", "B202"): ("low", "low", False),  # tarfile's own
    }
    rerated = [f for f in result.json_report["findings"] if "rerated" in f["tags"]]
    assert len(rerated) == 6
    b324 = next(f for f in rerated if f["rule"] == "B324")
    assert "bandit rates this high/high; secure-gate medium/high" in b324["message"]
    direct = subprocess.run([sys.executable, "-m", "bandit", "-r", ".", "-f", "json", "-q"],
                            cwd=repo.root, capture_output=True, text=True, check=False)
    theirs = {(os.path.normpath(r["filename"]), r["line_number"], r["test_id"])
              for r in json.loads(direct.stdout)["results"]}
    assert {k[0:2] + k[3:] for k in got if k[2] == "bandit"} <= theirs
    assert {(f["path"], f["line"], f["rule"]) for f in result.json_report["findings"]
            if f["scanner"] == "bandit"} == theirs


def test_a_rating_can_be_put_back(make_repo: Callable[..., Any],
                                  run_cli: Callable[..., Any]) -> None:
    repo = make_repo({"app/cache.py": RATED["app/cache.py"],
                      ".secure-gate.yml": "rules:\n  B324:\n    severity: high\n"})
    result = run_cli(repo.root, "scan", "--scanners", "bandit")
    (b324,) = [f for f in result.json_report["findings"] if f["rule"] == "B324"]
    assert (b324["severity"], b324["blocking"]) == ("high", True)
    assert result.code == 1


def test_rating_reads_hostile_or_broken_source_safely() -> None:
    from secure_gate.scanners.bandit import ratings

    high, sure = Severity.HIGH, Confidence.HIGH
    # Not Python (or not the file bandit read): bandit's rating stands.
    assert ratings.rate("B202", high, sure, ["def (:"], 1) == ratings.Rating(high, sure)
    assert ratings.rate("B202", high, sure, ["(" * 200_000], 1) == ratings.Rating(high, sure)
    assert ratings.rate("B202", high, sure, [], 1) == ratings.Rating(high, sure)
    # The line holds no extractall call: nothing to judge.
    assert ratings.rate("B202", high, sure, ["x = 1"], 1) == ratings.Rating(high, sure)
    # Lower ratings are bandit's own and stay.
    low = ratings.rate("B324", Severity.LOW, sure, [], 1)
    assert low == ratings.Rating(Severity.LOW, sure)
    # Other rules are untouched.
    assert ratings.rate("B602", high, sure, [], 1) == ratings.Rating(high, sure)
