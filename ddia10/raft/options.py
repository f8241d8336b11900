"""The knobs of a Raft node, checked once, in one place.

Timing follows the paper's advice (§5.6): heartbeats much more often than the
shortest election timeout, and election timeouts drawn at random from a range
so that split votes are rare. The paper's own setting was 150–300 ms.

``election_timer`` picks when a server's election timer starts again:

- ``"etcd"`` (the default) — whenever the server becomes a follower, on
  seeing a higher term too, and a candidate that a majority refuses becomes a
  follower at once; etcd's raft library does both.
- ``"paper"`` — Figure 2 of the paper, to the letter: a follower restarts
  its timer only on "receiving AppendEntries RPC from current leader or
  granting vote to candidate" (or on InstallSnapshot, which §7 sends in place
  of AppendEntries), a candidate only "on conversion to candidate";
  a server that steps down to a higher term keeps the timer it was running (a
  leader, which runs none, starts one, as LogCabin does), and a refused
  candidate stays a candidate until "election timeout elapses: start new
  election". A pre-candidate that loses waits the same way.

The ``bug_*`` switches each remove one rule of the protocol, so a reader can
watch the invariant checker catch what that rule prevents. They are off by
default and are never on in a correct cluster:

- ``bug_commit_old_terms`` — commit an entry as soon as a majority stores it,
  even from an earlier term (the paper's Figure 8 shows why this loses data).
- ``bug_no_election_restriction`` — grant votes without checking that the
  candidate's log is at least as up to date (§5.4.1).
- ``bug_vote_per_term_not_candidate`` — remember the *term* one voted in
  instead of the *candidate* one voted for, and grant whenever that term
  matches: a voter then votes for every candidate of a term, and two leaders
  can be elected in one term.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

from ..validate import check_bool, check_choice, check_int, check_number

ELECTION_TIMERS = ("etcd", "paper")
"""The two rules for restarting the election timer (see the module docstring)."""


@dataclass(frozen=True)
class RaftOptions:
    """Every option of :class:`~ddia10.raft.RaftNode` (times in simulated ms).

    ``max_batch`` bounds the entries in one AppendEntries; ``max_inflight``
    bounds the AppendEntries a leader keeps in flight to one follower while it
    pipelines (it advances ``next_index`` optimistically, before the reply).
    ``conflict_hints`` lets a leader use the hint a rejecting follower sends
    (its conflicting term and where that term starts) to skip back a whole
    term at once; ``False`` is the paper's basic rule, one entry per rejection.
    ``snapshot_threshold`` compacts the log once that many applied entries sit
    after the last snapshot (``None``: never). ``clock_drift_bound`` is the
    fraction by which any two clocks may disagree in rate; lease reads shorten
    their lease by it. ``election_timer`` is ``"etcd"`` or ``"paper"`` (see
    the module docstring). ``disk_latency`` is how long one synchronous write
    to stable storage (an ``fsync``) takes; 0 is a disk with no delay (see
    :mod:`~ddia10.raft.node` for what waits for it).
    """

    election_timeout: tuple[float, float] = (150.0, 300.0)
    heartbeat_interval: float = 50.0
    max_batch: int = 256
    max_inflight: int = 4
    conflict_hints: bool = True
    snapshot_threshold: int | None = None
    prevote: bool = False
    check_quorum: bool = False
    clock_drift_bound: float = 0.01
    election_timer: str = "etcd"
    disk_latency: float = 0.0
    bug_commit_old_terms: bool = False
    bug_no_election_restriction: bool = False
    bug_vote_per_term_not_candidate: bool = False

    def __post_init__(self) -> None:
        timeout = self.election_timeout
        if isinstance(timeout, (int, float)) and not isinstance(timeout, bool):
            timeout = (timeout, timeout)
        if not (isinstance(timeout, (tuple, list)) and len(timeout) == 2):
            raise ValueError(f"election_timeout must be a (min, max) pair of ms, got {timeout!r}")
        lo = float(check_number("election_timeout min", timeout[0], positive=True, unit="ms"))
        hi = float(check_number("election_timeout max", timeout[1], positive=True, unit="ms"))
        if lo > hi:
            raise ValueError(f"election_timeout min must be <= max, got min={lo} > max={hi}")
        object.__setattr__(self, "election_timeout", (lo, hi))
        beat = float(check_number("heartbeat_interval", self.heartbeat_interval, positive=True,
                                  unit="ms"))
        if beat >= lo:
            raise ValueError(
                f"heartbeat_interval ({beat} ms) must be shorter than the minimum election "
                f"timeout ({lo} ms), or followers start elections against a live leader"
            )
        check_int("max_batch", self.max_batch, min=1)
        check_int("max_inflight", self.max_inflight, min=1)
        check_int("snapshot_threshold", self.snapshot_threshold, min=1, none=True)
        check_number("clock_drift_bound", self.clock_drift_bound, min=0, below=1)
        check_choice("election_timer", self.election_timer, ELECTION_TIMERS)
        disk = check_number("disk_latency", self.disk_latency, min=0, unit="ms")
        object.__setattr__(self, "disk_latency", float(disk))
        for f in fields(self):
            if f.type == "bool":
                check_bool(f.name, getattr(self, f.name))

    @property
    def lease_duration(self) -> float:
        """How long (on the leader's clock) a confirmed heartbeat round lets it
        serve reads alone: followers refuse votes for the minimum election
        timeout after hearing from it, on *their* clocks, so the lease is that
        timeout shrunk by the worst rate disagreement."""
        drift = self.clock_drift_bound
        return self.election_timeout[0] * (1 - drift) / (1 + drift)

    @classmethod
    def names(cls) -> frozenset:
        return frozenset(f.name for f in fields(cls))
