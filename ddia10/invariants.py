class InvariantViolation(AssertionError):
    """A safety property failed: ``invariant`` names it, ``evidence`` shows how."""
    def __init__(self, invariant: str, evidence: str) -> None:
        self.invariant = invariant
        self.evidence = evidence
        super().__init__(f"{invariant} violated: {evidence}")
