"""The command line: verdict and explanation on stdout, the report as one HTML file, and the
exit status 0 / 1 / 2 for linearizable / not / unknown or refused."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ddia10.linearizability import history, save_history
from ddia10.linearizability.__main__ import main
from ddia10.linearizability.generate import lost_write

FINE = history([("A", "write", 1, None, 0, 2), ("B", "read", None, 1, 1, 3)],
               model="register", init=0)
STALE = history([("A", "write", 1, None, 0, 2), ("B", "read", None, 1, 1, 3),
                 ("C", "read", None, 0, 2.5, 3.5)], model="register", init=0)


@pytest.fixture
def files(tmp_path: Path) -> Path:
    save_history(FINE, tmp_path / "fine.json")
    save_history(STALE, tmp_path / "stale.json")
    # hard enough that a 0.05 MB memo runs out before the search decides
    save_history(lost_write(0, model="cas-register", clients=12, ops_per_client=15,
                            pending=0.2, values=4), tmp_path / "hard.json")
    return tmp_path


def test_linearizable_exits_0_and_can_print_the_order(files: Path, capsys) -> None:
    assert main(["check", str(files / "fine.json"), "--order"]) == 0
    out = capsys.readouterr().out
    assert "fine.json: 2 operations, 2 processes, model register" in out
    assert "linearizable: 2 operations on 1 key" in out
    assert "  1. A write(1) [0, 2] → 1\n  2. B read→1 [1, 3] → 1" in out


def test_a_violation_exits_1_with_its_explanation_and_core(files: Path, capsys) -> None:
    assert main(["check", str(files / "stale.json")]) == 1
    out = capsys.readouterr().out
    assert "not linearizable" in out and "C read→0 [2.5, 3.5]" in out
    assert "The core: 2 operations that fail on their own" in out
    assert main(["check", str(files / "stale.json"), "--no-core"]) == 1
    assert "The core" not in capsys.readouterr().out


def test_unknown_exits_2(files: Path, capsys) -> None:
    assert main(["check", str(files / "hard.json"), "--memory", "0.05"]) == 2
    assert "unknown: the checker reached its memory bound" in capsys.readouterr().out
    assert main(["check", str(files / "hard.json")]) == 1


def test_bad_input_exits_2_naming_the_file_and_the_operation(files: Path, capsys) -> None:
    bad = files / "bad.json"
    bad.write_text(json.dumps({"model": "register", "ops": [
        {"process": 0, "op": "write", "call": 0, "return": 1}]}))
    assert main(["check", str(bad)]) == 2
    assert "error: bad.json: operation 0 ('write' by process 0" in capsys.readouterr().err
    assert main(["check", str(files / "missing.json")]) == 2
    assert "missing.json: cannot read the file" in capsys.readouterr().err
    assert main(["check", str(files / "fine.json"), "--timeout", "-1"]) == 2
    assert "timeout_s must be None or a finite number > 0" in capsys.readouterr().err


def test_model_can_be_chosen_on_the_command_line(files: Path, capsys) -> None:
    assert main(["check", str(files / "fine.json"), "--model", "kv"]) == 2
    assert ("error: fine.json as a kv history: operation 0 ('write' by process 'A', called at "
            "0): unknown op for a kv model") in capsys.readouterr().err
    assert main(["check", str(files / "fine.json"), "--model", "cas-register"]) == 0


def test_jepsen_edn_from_the_command_line(tmp_path: Path, capsys) -> None:
    edn = tmp_path / "history.edn"
    edn.write_text("{:process 0, :type :invoke, :f :write, :value 1}\n"
                   "{:process 0, :type :ok, :f :write, :value 1}\n"
                   "{:process 1, :type :invoke, :f :read, :value nil}\n"
                   "{:process 1, :type :ok, :f :read, :value 2}\n")
    assert main(["check", str(edn), "--no-core"]) == 1
    assert "model register" in capsys.readouterr().out


def test_the_html_report_is_one_self_contained_file(files: Path, capsys) -> None:
    report = files / "report.html"
    assert main(["check", str(files / "stale.json"), "--html", str(report)]) == 1
    page = report.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "stale.json: not linearizable" in page
    assert page.count('class="ddia10-history"') == 1 and "<script src" not in page
    assert "The core: 2 operations" in page and "http" not in page
    data = json.loads(page.split('class="lz-data">')[1].split("</script>")[0])
    assert [op[6] & 4 for op in data["ops"]] == [4, 0, 4]  # A's write and C's read: the core
    assert main(["check", str(files / "fine.json"), "--html",
                 str(files / "no-such-dir" / "r.html")]) == 2


def test_the_module_runs_as_a_program(files: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "ddia10.linearizability", "check",
                           str(files / "stale.json"), "--no-core"],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 1 and "not linearizable" in done.stdout
    usage = subprocess.run([sys.executable, "-m", "ddia10.linearizability"],
                           capture_output=True, text=True, check=False)
    assert usage.returncode == 2 and "usage:" in usage.stderr
