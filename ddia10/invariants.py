"""The one exception a broken safety property raises, whatever the protocol.

Every protocol in the book states its safety properties as code: a monitor
that belongs to the harness hears what the servers did (or reads the trace)
and judges it; the servers never check themselves. When a property fails,
the monitor raises :class:`InvariantViolation` naming the property and
showing the evidence. Each protocol package re-exports this class rather
than defining its own, so one ``except InvariantViolation`` catches a
violation of Raft, of a failover protocol, or of any later one.
"""

from __future__ import annotations


class InvariantViolation(AssertionError):
    """A safety property failed: ``invariant`` names it, ``evidence`` shows how."""

    def __init__(self, invariant: str, evidence: str) -> None:
        self.invariant = invariant
        self.evidence = evidence
        super().__init__(f"{invariant} violated: {evidence}")
