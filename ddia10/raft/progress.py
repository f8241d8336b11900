"""What a leader knows about each follower, and the rules that change it.

A leader keeps one :class:`Progress` per follower, as etcd's
``tracker.Progress`` does. It is a small state machine of its own, and it
owns every change of its state; the leader only tells it what happened (an
AppendEntries went out, a reply came back, a heartbeat interval passed).

``state`` is ``"probe"`` while the leader does not know where the logs
match. It sends one probe at ``next_index`` — an AppendEntries with entries,
or the snapshot if those are compacted away — and waits for the answer;
``inflight`` holds the probe's last index. A probe still unanswered at the
next heartbeat is not sent again in full: the follower is probably cut off,
so the heartbeat carries only the consistency check
(``prev_log_index``/``prev_log_term``), once per interval: a partition costs
heartbeats, not the same entries again and again. A rejection moves
``next_index`` back and the next probe goes at once; a success means the
logs match.

Then the state is ``"replicate"``: the leader pipelines, ``inflight``
holding the last index of each unanswered batch, and advances
``next_index`` as soon as it sends, at most ``max_inflight`` batches ahead.
Pipelining bets on messages arriving in order and none being lost; a
rejection (the network reordered them) or a heartbeat interval without
progress while batches are in flight (they were lost) sends the follower
back to probing — still correct, only slower.

Throughout, ``match_index < next_index``: the leader never sends a follower
what it knows the follower has.
"""

from __future__ import annotations

PROBE, REPLICATE = "probe", "replicate"


class Progress:
    """One follower as its leader sees it (see the module docstring).

    ``acked_round`` is the latest heartbeat round the follower echoed (for
    ReadIndex and leases); ``recent_active`` whether it answered since the
    last CheckQuorum tick; ``progressed`` whether its replies moved anything
    since the last heartbeat.
    """

    __slots__ = ("next_index", "match_index", "state", "inflight", "acked_round",
                 "recent_active", "progressed")

    def __init__(self, next_index: int) -> None:
        self.next_index = next_index
        self.match_index = 0
        self.state = PROBE
        self.inflight: list[int] = []
        self.acked_round = 0
        self.recent_active = False
        self.progressed = False

    # ---------------------------------------------------------------- state changes
    def become_probe(self, next_index: int) -> None:
        """Start probing at ``next_index``: whatever was in flight no longer counts."""
        self.state = PROBE
        self.next_index = next_index
        self.inflight.clear()

    def become_replicate(self) -> None:
        """The logs match up to ``match_index``: pipeline from just after it."""
        self.state = REPLICATE
        self.inflight.clear()
        self.next_index = self.match_index + 1

    def maybe_update(self, match: int) -> bool:
        """A success reply: the follower's log matches ours up to ``match``.
        Returns whether ``match_index`` advanced (then the commit index may)."""
        advanced = match > self.match_index
        if advanced:
            self.match_index = match
            self.progressed = True
        if self.state == PROBE:
            self.become_replicate()
        else:
            self.inflight = [i for i in self.inflight if i > match]
            self.next_index = max(self.next_index, self.match_index + 1)
        return advanced

    def maybe_decrease(self, rejected: int, hint: int) -> bool:
        """A rejection of the AppendEntries after ``rejected``; ``hint`` is where
        the leader would probe next (the follower's conflict hint, or
        ``rejected`` itself without hints). A rejection at or below
        ``match_index`` is stale (a reordered reply): ignored, returns False."""
        if rejected <= self.match_index:
            return False
        self.become_probe(max(self.match_index + 1, min(hint, rejected)))
        self.progressed = True
        return True

    def sent(self, last: int) -> None:
        """An AppendEntries (or a snapshot) up to ``last`` went out: while
        replicating, the next one starts after it without waiting."""
        self.inflight.append(last)
        if self.state == REPLICATE:
            self.next_index = last + 1

    def heartbeat_elapsed(self) -> None:
        """A heartbeat interval passed: batches in flight that brought no answer
        during all of it are presumed lost, and the follower is probed again."""
        if self.state == REPLICATE and self.inflight and not self.progressed:
            self.become_probe(self.match_index + 1)
        self.progressed = False

    def heard(self, round_: int) -> bool:
        """The follower answered, echoing heartbeat round ``round_``: it is
        active. Returns whether that echo is newer than any before."""
        self.recent_active = True
        if round_ > self.acked_round:
            self.acked_round = round_
            return True
        return False

    # ---------------------------------------------------------------- questions
    def is_paused(self, max_inflight: int) -> bool:
        """Must the leader wait before sending more? A probe waits for its
        answer; a pipeline waits once ``max_inflight`` batches are out."""
        if self.state == PROBE:
            return bool(self.inflight)
        return len(self.inflight) >= max_inflight

    def heartbeat_prev(self) -> int:
        """Where an empty AppendEntries (a heartbeat) checks the follower's log:
        just before the probe, or at the last index known to match while
        batches are in flight."""
        if self.state == REPLICATE and self.inflight:
            return self.match_index
        return self.next_index - 1

    def __repr__(self) -> str:
        return (f"Progress(next={self.next_index}, match={self.match_index}, "
                f"{self.state}, inflight={self.inflight})")
