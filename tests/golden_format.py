"""Golden files: a run pinned as its digest, chunk digests and a readable excerpt.

A run is a :class:`~ddia10.sim.Trace` (its events) or a plain result (a
number, a list, a dict or a dataclass: its items). Its golden file holds the
sha256 of the canonical JSON (``trace.to_json()`` for a trace), the number of
events or items, a digest of every chunk of :data:`CHUNK` of them (so a
mismatch can say where the run first changed), and the first :data:`HEAD` and
last :data:`TAIL` rendered one per line, for a person to read.

The renderer lives here, not in the package, so that a change to how the
package prints things never touches a golden file.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ddia10.sim import Trace
from ddia10.sim.trace import MESSAGE_KINDS, Event, jsonable

CHUNK = 200
"""Events (or items) per chunk digest."""

HEAD, TAIL = 25, 10
"""How many events of the start and of the end the excerpt shows."""

WIDTH = 110
"""The longest excerpt line."""

_CHUNK_HEX = 12  # a chunk digest only says where; the full sha256 says whether
_VALUE_CHARS = 28  # one field's value in an excerpt line
_EXCERPT_LINE = re.compile(r"#(\d+) ")


@dataclass(frozen=True)
class Snapshot:
    """What a golden file pins of one run: each event (or item) as canonical
    JSON and as one readable line, and the digest of the whole."""

    kind: str  # "trace" or "result"
    records: list[str]
    lines: list[str]
    sha256: str

    @property
    def chunks(self) -> list[str]:
        return [_sha("\n".join(self.records[i:i + CHUNK]))[:_CHUNK_HEX]
                for i in range(0, len(self.records), CHUNK)]

    def excerpt(self) -> list[str]:
        """The first HEAD and last TAIL lines, numbered, with a line for the gap."""
        n = len(self.lines)
        shown = list(range(n)) if n <= HEAD + TAIL else [*range(HEAD), *range(n - TAIL, n)]
        out = []
        for k, i in enumerate(shown):
            if k and i != shown[k - 1] + 1:
                out.append(f"… {i - shown[k - 1] - 1} not shown …")
            out.append(numbered(i, self.lines[i]))
        return out


@dataclass(frozen=True)
class Golden:
    """A golden file as read back from disk."""

    name: str
    about: str
    kind: str
    sha256: str
    count: int
    chunks: list[str]
    excerpt: list[str]

    def excerpt_lines(self) -> dict[int, str]:
        """The excerpt's event lines by event index."""
        return {int(m.group(1)): line for line in self.excerpt
                if (m := _EXCERPT_LINE.match(line))}


def snapshot(run: Any) -> Snapshot:
    """The snapshot of a trace, or of any JSON-able result."""
    if isinstance(run, Trace):
        events = run.events
        records = [_canonical(e.to_dict()) for e in events]
        return Snapshot("trace", records, [render_event(e) for e in events],
                        _sha(run.to_json()))
    items = _items(run)
    records = [_canonical(item) for item in items]
    return Snapshot("result", records, [render_item(item) for item in items],
                    _sha("[" + ",".join(records) + "]"))


def numbered(i: int, line: str) -> str:
    return _fit(f"#{i:<5} {line}")


def render_event(e: Event) -> str:
    """One event as a person reads it: time, kind, who, and what."""
    d = jsonable(e.data)
    head = f"{e.time:>9.3f} {e.kind:<8}"
    if e.kind in MESSAGE_KINDS:
        msg = d.get("msg")
        what = _fields(msg) if isinstance(msg, dict) else _value(msg)
        rest = {k: v for k, v in d.items() if k not in ("id", "src", "dst", "msg")}
        extra = f" [{_fields(rest)}]" if rest else ""  # a drop's reason, a duplicate's original
        return _fit(f"{head} {d.get('src')}→{d.get('dst')}{extra} {what}")
    if e.kind == "timer":
        return _fit(f"{head} @{e.pid} {_value(d.get('name'))}")
    if e.kind == "note":
        return _fit(f"{head} {d.get('text', _fields(d))}")
    return _fit(f"{head} @{e.pid} {_fields(d)}".rstrip())


def render_item(item: list) -> str:
    label, value = item
    what = _fields(value) if isinstance(value, dict) else _value(value, WIDTH)
    return _fit(f"{label}: {what}" if label != "" else what)


def write(path: Path, name: str, about: str, snap: Snapshot) -> None:
    unit = "events" if snap.kind == "trace" else "items"
    lines = [
        f"name: {name}",
        f"about: {about}",
        f"kind: {snap.kind}",
        f"sha256: {snap.sha256}",
        f"count: {len(snap.records)}",
        f"chunk digests ({CHUNK} {unit} each; first {_CHUNK_HEX} hex digits of sha256):",
        *(f"  {i * CHUNK} {digest}" for i, digest in enumerate(snap.chunks)),
        f"excerpt (first {HEAD} and last {TAIL} {unit}):",
        *snap.excerpt(),
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read(path: Path) -> Golden:
    lines = path.read_text(encoding="utf-8").splitlines()
    try:
        header = dict(line.split(": ", 1) for line in lines[:5])
        at = lines.index(next(line for line in lines if line.startswith("excerpt")))
        chunks = [line.split()[1] for line in lines[6:at]]
        return Golden(header["name"], header["about"], header["kind"], header["sha256"],
                      int(header["count"]), chunks, lines[at + 1:])
    except (ValueError, KeyError, IndexError, StopIteration) as exc:
        raise ValueError(f"{path} is not a golden file ({exc!r}); rewrite it") from None


def mismatch(name: str, golden: Golden, snap: Snapshot, update_hint: str) -> str:
    """What changed, for a person: where the run first differs, the events
    there as they are now (with the golden line under any that changed), and
    a diff of the excerpts."""
    unit = "events" if snap.kind == "trace" else "items"
    now_chunks = snap.chunks
    pairs = zip(golden.chunks, now_chunks, strict=False)  # either may have more chunks
    first = next((i for i, (a, b) in enumerate(pairs) if a != b),
                 min(len(golden.chunks), len(now_chunks)))
    lo, hi = first * CHUNK, min((first + 1) * CHUNK, max(golden.count, len(snap.lines))) - 1
    out = [
        f"golden run {name!r} changed: {golden.about}",
        f"  golden: {golden.count} {unit}, sha256 {golden.sha256}",
        f"  now:    {len(snap.lines)} {unit}, sha256 {snap.sha256}",
        f"first differing chunk: {unit} {lo}–{hi} (chunk {first} of "
        f"{len(golden.chunks)} in the golden file, {len(now_chunks)} now)",
    ]
    expected = golden.excerpt_lines()
    changed = [i for i in range(lo, hi + 1) if i in expected
               and (i >= len(snap.lines) or numbered(i, snap.lines[i]) != expected[i])]
    if changed:
        out.append(f"first {unit[:-1]} that differs from the golden excerpt: #{changed[0]}")
    out.append(f"{unit} {lo}–{hi} now ('was' under a line: the golden excerpt there):")
    for i in range(lo, hi + 1):
        if i < len(snap.lines):
            out.append("  now " + numbered(i, snap.lines[i]))
        if i in changed:
            out.append("  was " + expected[i])
    out.append("the excerpts (--- golden, +++ now):")
    out += difflib.unified_diff(golden.excerpt, snap.excerpt(), "golden", "now", lineterm="",
                                n=2)
    out.append(update_hint)
    return "\n".join(out)


# ---------------------------------------------------------------------- rendering helpers
def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _canonical(obj: Any) -> str:
    return json.dumps(jsonable(obj), separators=(",", ":"), sort_keys=True)


def _items(result: Any) -> list[list]:
    """A result as ``[label, value]`` items: a dataclass's or dict's fields, a
    list's elements (label ``""``), or the value itself."""
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        pairs = [(f.name, getattr(result, f.name)) for f in dataclasses.fields(result)
                 if f.compare]
    elif isinstance(result, dict):
        pairs = list(result.items())
    elif isinstance(result, (list, tuple)):
        pairs = [("", v) for v in result]
    else:
        pairs = [("", result)]
    return [[str(label), jsonable(value)] for label, value in pairs]


def _fields(d: dict) -> str:
    name = f"{d['type']} " if "type" in d else ""
    return name + " ".join(f"{k}={_value(v)}" for k, v in d.items() if k != "type")


def _value(v: Any, limit: int = _VALUE_CHARS) -> str:
    s = _compact(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _compact(v: Any) -> str:
    if isinstance(v, float):
        return format(v, ".6g")
    if isinstance(v, dict):
        if "type" in v:
            return v["type"] + "(" + ",".join(f"{k}={_compact(x)}" for k, x in v.items()
                                              if k != "type") + ")"
        return "{" + ",".join(f"{k}:{_compact(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ",".join(_compact(x) for x in v) + "]"
    return str(v)


def _fit(line: str) -> str:
    line = line.replace("\n", " ")
    return line if len(line) <= WIDTH else line[: WIDTH - 1] + "…"
