"""The one exception every protocol's safety checks raise.

Each protocol states its safety properties as code (Raft's five in
:mod:`ddia10.raft.invariants`, quorum failover's three promises in
:mod:`ddia10.failover`); a monitor on the harness checks them, never the
servers themselves. A property that fails is an :class:`InvariantViolation`
naming the property and showing the evidence, whichever protocol broke it.
"""


class InvariantViolation(AssertionError):
    """A safety property failed: ``invariant`` names it, ``evidence`` shows how."""

    def __init__(self, invariant: str, evidence: str) -> None:
        self.invariant = invariant
        self.evidence = evidence
        super().__init__(f"{invariant} violated: {evidence}")
