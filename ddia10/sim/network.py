"""The simulated network: who can reach whom, and how badly each link behaves.

A link is directed (``a -> b``). Its behaviour is a :class:`LinkSpec` (latency
distribution, loss, duplication and reordering probabilities); a default spec
applies unless a link has its own. Reachability is separate from behaviour: a
partition splits processes into groups that cannot talk across, and a single
process can be disconnected from everyone. Healing restores reachability but
keeps per-link behaviour.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass, field, replace

from ..validate import check_probability
from .latency import Latency, as_latency


@dataclass(frozen=True)
class LinkSpec:
    """How one directed link treats each message.

    ``reorder`` is the probability that a message is held back for 2-5x its
    normal delay, so that later messages overtake it.
    """

    latency: Latency = field(default_factory=lambda: as_latency(1.0))
    loss: float = 0.0
    duplicate: float = 0.0
    reorder: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "latency", as_latency(self.latency))
        for name in ("loss", "duplicate", "reorder"):
            check_probability(name, getattr(self, name))
        # what the simulator reads for every message, in one attribute
        hot = (self.loss, self.latency.fast, self.latency, self.reorder, self.duplicate)
        object.__setattr__(self, "hot", hot)


class Network:
    """Reachability (partitions, disconnections) and per-link behaviour."""

    def __init__(self, default: LinkSpec) -> None:
        self.default = default
        self.links: dict[tuple[Hashable, Hashable], LinkSpec] = {}
        self.group_of: dict[Hashable, int] = {}  # empty: no partition
        self.disconnected: set[Hashable] = set()

    def copy(self) -> Network:
        """An independent copy (link specs are immutable and shared)."""
        other = Network(self.default)
        other.links = dict(self.links)
        other.group_of = dict(self.group_of)
        other.disconnected = set(self.disconnected)
        return other

    def spec(self, src: Hashable, dst: Hashable) -> LinkSpec:
        return self.links.get((src, dst), self.default)

    def set_link(self, src: Hashable, dst: Hashable, **changes: object) -> None:
        if "latency" in changes:
            changes["latency"] = as_latency(changes["latency"])  # type: ignore[arg-type]
        self.links[(src, dst)] = replace(self.spec(src, dst), **changes)  # type: ignore[arg-type]

    def reachable(self, src: Hashable, dst: Hashable) -> bool:
        if src == dst:
            return True
        if src in self.disconnected or dst in self.disconnected:
            return False
        groups = self.group_of
        return not groups or groups.get(src, -1) == groups.get(dst, -1)

    def partition(self, groups: Iterable[Iterable[Hashable]], everyone: Iterable[Hashable]) -> list:
        """Split into ``groups``; processes named in none form one more group."""
        groups = [_group(i, g) for i, g in enumerate(groups)]
        known = set(everyone)
        if len(groups) < 1:
            raise ValueError("partition needs at least one group")
        seen: set = set()
        for i, g in enumerate(groups):
            if not g:
                raise ValueError(f"partition group {i} is empty")
            for p in g:
                if p not in known:
                    raise KeyError(f"unknown process id {p!r} in partition group {i}")
                if p in seen:
                    raise ValueError(f"process {p!r} appears in more than one partition group")
                seen.add(p)
        rest = sorted((p for p in known if p not in seen), key=repr)
        if rest:
            groups.append(rest)
        self.group_of = {p: i for i, g in enumerate(groups) for p in g}
        return groups

    def heal(self) -> None:
        self.group_of = {}
        self.disconnected = set()


def _group(index: int, group: object) -> list:
    """Partition group ``index`` as a list of hashable ids, or a clear error for the
    likely slips ``partition(1, 2)`` and ``partition([[1, 2], [3]])``."""
    if isinstance(group, (str, bytes)) or not isinstance(group, Iterable):
        raise ValueError(
            f"partition group {index} must be an iterable of process ids "
            f"(a list such as [1, 2]), got {group!r}"
        )
    members = list(group)
    for member in members:
        if not isinstance(member, Hashable):
            raise ValueError(
                f"partition group {index} holds {member!r}, which is not a process id: "
                "pass each group as its own argument, partition([1, 2], [3])"
            )
    return members
