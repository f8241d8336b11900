"""What a two-phase commit process shows of itself in the trace."""

from __future__ import annotations

from ..sim.context import Context


class Published:
    """A process whose ``view()`` goes into the trace after every step it takes:
    the fields that changed since last time, as one ``state`` event."""

    _published: dict

    def view(self) -> dict:
        raise NotImplementedError

    def _publish(self, ctx: Context) -> None:
        view = self.view()
        changed = {k: v for k, v in view.items() if self._published.get(k) != v}
        if changed:
            self._published = view
            ctx.annotate(**changed)

    def fingerprint(self) -> dict:
        """Its state without what the trace was last told (a cache of its view)."""
        state = dict(vars(self))
        state.pop("_published", None)
        return state
