"""Strict input with Jepsen's meaning, in every format people bring: each error names the
file and the operation."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ddia10.linearizability import HistoryError, check, history, load_history
from ddia10.linearizability.formats import guess_format, parse, read_edn


def write(tmp_path: Path, name: str, content) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content))
    return path


def op(**fields) -> dict:
    base = {"process": 0, "call": 0, "return": 1, "op": "read", "output": None, "status": "ok"}
    base.update(fields)
    return base


def without(d: dict, key: str) -> dict:
    return {k: v for k, v in d.items() if k != key}


BAD_FILES = [
    ("read-without-output.json",
     {"model": "register", "ops": [op(), without(op(process=1, call=2, **{"return": 3}),
                                                   "output")]},
     r"read-without-output\.json: operation 1 \('read' by process 1, called at 2\): "
     r"completed with status 'ok' but no 'output'"),
    ("write-without-value.json",
     {"model": "register", "ops": [without(op(op="write"), "output")]},
     r"write-without-value\.json: operation 0 \('write' by process 0.*no 'value'"),
    ("cas-without-output.json",
     {"model": "cas-register", "ops": [without(op(op="cas", value=[1, 2]), "output")]},
     r"cas-without-output\.json: operation 0 .*no 'output'"),
    ("overlap.json",
     {"model": "register", "ops": [op(), op(op="write", value=1, call=0.5, **{"return": 2})]},
     r"overlap\.json: operations 0 \(p0 read→None\) and 1 \(p0 write\(1\)\) of process 0 "
     r"overlap: 1 is called at 0.5 while 0, called at 0, returned at 1"),
    ("continues-after-info.json",
     {"model": "register", "ops": [op(op="write", value=1, status="info", **{"return": None}),
                                   op(call=3, **{"return": 4})]},
     r"continues-after-info\.json: operations 0 .* and 1 .* never returned \(a client that "
     r"gives up on an operation continues as a new process\)"),
    ("not-json.json", '{"model": "register", "ops": [\n {"process": 0,, }]}',
     r"not-json\.json: not valid JSON: .* at line 2, column 16"),
    ("ops-object.json", {"model": "register", "ops": {"a": 1}},
     r"ops-object\.json: 'ops' must be a list of operations, got a JSON object"),
    ("empty.json", "  \n", r"empty\.json: the file is empty"),
    ("nested-overlap.edn",
     "{:process 0 :type :invoke :f :read :value nil}\n"
     "{:process 0 :type :invoke :f :write :value 1}\n",
     r"nested-overlap\.edn: line 2: process 0 invokes write while its read invoked on "
     r"line 1 has not completed"),
    ("never-invoked.edn", "{:process 3 :type :ok :f :read :value 1}",
     r"never-invoked\.edn: line 1: process 3 completes a read it never invoked"),
    ("wrong-f.edn",
     "{:process 0 :type :invoke :f :read :value nil}\n{:process 0 :type :ok :f :write :value 1}",
     r"wrong-f\.edn: line 2: process 0 completes write but invoked read on line 1"),
    ("unknown-f.edn", "{:process 0 :type :invoke :f :dequeue :value nil}",
     r"unknown-f\.edn: line 1: unknown operation :f :dequeue; expected one of"),
    ("unclosed.edn", "[{:process 0 :type :invoke :f :read", r"unclosed\.edn: line 1: '\{' is "
     "never closed"),
]


@pytest.mark.parametrize(("name", "content", "message"), BAD_FILES,
                         ids=[name for name, _, _ in BAD_FILES])
def test_bad_input_is_refused_naming_the_file_and_the_operation(
    tmp_path: Path, name: str, content, message: str
) -> None:
    with pytest.raises(HistoryError, match=message):
        load_history(write(tmp_path, name, content))


def test_a_file_that_cannot_be_read_is_named(tmp_path: Path) -> None:
    with pytest.raises(HistoryError, match=r"missing\.json: cannot read the file"):
        load_history(tmp_path / "missing.json")


# --- Jepsen's meaning of ok / fail / info ---

def test_a_failed_write_did_not_happen() -> None:
    failed = {"process": "A", "op": "write", "value": 1, "call": 0, "return": 1,
              "status": "fail"}
    saw_it = history([failed, ("B", "read", None, 1, 2, 3)], model="register", init=0)
    assert check(saw_it).ok is False
    did_not = history([failed, ("B", "read", None, 0, 2, 3)], model="register", init=0)
    assert check(did_not).ok is True
    assert check(did_not).counts["failed"] == 1


def test_a_failed_cas_with_output_false_still_saw_another_value() -> None:
    ops = [("A", "write", 1, None, 0, 1),
           {"process": "B", "op": "cas", "value": [1, 2], "output": False, "call": 2,
            "return": 3, "status": "fail"}]
    assert check(history(ops, model="cas-register")).ok is False
    ops[1] = {**ops[1], "output": None}  # Jepsen's :fail says nothing more: it drops out
    assert check(history(ops, model="cas-register")).ok is True


def test_a_failed_cas_cannot_claim_it_swapped() -> None:
    with pytest.raises(HistoryError, match="a failed cas did not swap, yet its output is True"):
        history([{"process": 0, "op": "cas", "value": [1, 2], "output": True, "call": 0,
                  "return": 1, "status": "fail"}], model="cas-register")


def test_info_is_pending_even_with_a_completion_time() -> None:
    h = history([{"process": 0, "op": "write", "value": 1, "call": 0, "return": 1,
                  "status": "info"}, ("B", "read", None, 1, 5, 6)], model="register", init=0)
    assert h[0].pending and h[0].ret is None
    assert check(h).ok is True


# --- formats ---

KNOSSOS_STYLE = """[{:process 0, :type :invoke, :f :write, :value 3}
 {:process 1, :type :invoke, :f :read, :value nil}
 {:process :nemesis, :type :info, :f :start, :value nil}
 {:process 0, :type :ok, :f :write, :value 3}
 {:process 1, :type :ok, :f :read, :value 3}
 {:process 2, :type :invoke, :f :cas, :value [3 4]}
 {:process 3, :type :invoke, :f :cas, :value [1 2]}
 {:process 2, :type :info, :f :cas, :value [3 4]}
 {:process 3, :type :fail, :f :cas, :value [1 2]}
 #jepsen.history.Op{:process 1, :type :invoke, :f :read, :value nil} ; a tagged op
 #_{:process 9, :type :invoke, :f :read, :value nil}
 {:process 1, :type :ok, :f :read, :value 4}]
"""


def test_jepsen_edn_history_pairs_invocations_with_completions() -> None:
    h = parse(KNOSSOS_STYLE)
    assert h.model == "cas-register" and h.init is None
    shown = [(op.id, op.describe(), op.call, op.ret, op.status) for op in h.ops]
    assert shown == [
        (1, "p0 write(3)", 1, 4, "ok"),
        (2, "p1 read→3", 2, 5, "ok"),
        (6, "p2 cas(3→4)=?", 6, None, "info"),
        (7, "p3 cas(1→2)=failed", 7, 9, "fail"),
        (10, "p1 read→4", 10, 12, "ok"),
    ]
    assert check(h).ok is True  # the indeterminate cas took effect


def test_porcupine_key_value_lines_read_as_edn() -> None:
    text = "\n".join([
        '{:process 0, :type :invoke, :f :append, :key "4", :value "x 0 1 y"}',
        '{:process 1, :type :invoke, :f :get, :key "4", :value nil}',
        '{:process 0, :type :ok, :f :append, :key "4", :value "x 0 1 y"}',
        '{:process 1, :type :ok, :f :get, :key "4", :value "x 0 1 y"}',
        '{:process 1, :type :invoke, :f :get, :key "4", :value nil}',
        '{:process 1, :type :ok, :f :get, :key "4", :value ""}',
    ])
    h = parse(text)
    assert guess_format(text) == "edn" and h.model == "kv" and h.init == ""
    assert [op.describe() for op in h.ops] == [
        "p0 append[4]('x 0 1 y')", "p1 get[4]→'x 0 1 y'", "p1 get[4]→''"]
    assert check(h).ok is False and check(h).key == "4"


JEPSEN_LOG = """\
INFO  jepsen.core - Worker 0 starting
INFO  jepsen.util - 0\t:invoke\t:write\t2
INFO  jepsen.util - 1\t:invoke\t:read\tnil
INFO  jepsen.util - 0\t:ok\t:write\t2
INFO  jepsen.util - 1\t:ok\t:read\t2
INFO  jepsen.util - 2\t:invoke\t:cas\t[2 5]
INFO  jepsen.util - 2\t:fail\t:cas\t[2 5]
INFO  jepsen.util - 3\t:invoke\t:read\tnil
INFO  jepsen.util - 3\t:fail\t:read\t:timed-out
INFO  jepsen.util - 1\t:invoke\t:read\tnil
INFO  jepsen.util - 1\t:ok\t:read\t2
"""


def test_jepsen_log_lines_read_like_porcupine_test_data() -> None:
    h = parse(JEPSEN_LOG)
    assert guess_format(JEPSEN_LOG) == "jepsen-log" and h.model == "cas-register"
    assert [(op.id, op.describe()) for op in h.ops] == [
        (2, "p0 write(2)"), (3, "p1 read→2"), (6, "p2 cas(2→5)=failed"),
        (8, "p3 read→failed"), (10, "p1 read→2")]
    assert check(h).ok is True


def test_edn_reader_knows_the_forms_histories_use() -> None:
    forms = [form for _, form in read_edn('{:a [1 -2.5 "q\\"s"] :b #{:x} :c (nil true)} sym')]
    assert forms[0] == {"a": [1, -2.5, 'q"s'], "b": frozenset({"x"}), "c": [None, True]}
    assert forms[1] == "sym"


def test_format_must_be_known() -> None:
    with pytest.raises(HistoryError, match="unknown history format 'yaml'"):
        parse("{}", "yaml")
