"""ddia10: the protocols, clocks, checkers and views of an executable textbook on
consistency and consensus. Every chapter notebook imports from here.

Where things live:

- **Protocols** — one module or package each, holding the protocol and nothing
  else: its messages, its nodes, the harness that runs them on the simulator, and
  its invariants (:mod:`ddia10.failover`, :mod:`ddia10.rsm`, :mod:`ddia10.clocks`,
  :mod:`ddia10.tob`, :mod:`ddia10.twopc`, :mod:`ddia10.raft`, :mod:`ddia10.paxos`,
  :mod:`ddia10.caspaxos`, :mod:`ddia10.zab`, :mod:`ddia10.vr`, :mod:`ddia10.epaxos`,
  :mod:`ddia10.coord`), with the shared pieces they stand on:
  :mod:`ddia10.sim` (the deterministic world, and :mod:`ddia10.sim.faults`, the one
  random fault generator), :mod:`ddia10.quorum` (quorum arithmetic),
  :mod:`ddia10.invariants` (the one :class:`~ddia10.invariants.InvariantViolation`),
  :mod:`ddia10.harness` (time, faults and snapshots of a protocol's harness),
  :mod:`ddia10.validate` (the argument checks every public function starts with),
  :mod:`ddia10.linearizability` (the checker), :mod:`ddia10.consistency` (the
  weaker models' checkers) and :mod:`ddia10.explore` (every interleaving of a
  small world, checked). A protocol module imports no
  pandas, matplotlib or ipywidgets and never :mod:`ddia10.viz`.
- **Drills** — :mod:`ddia10.drills`: the reader's exercises, and the checks
  that run the reader's code in the simulator and say what it broke.
- **Scenarios** — :mod:`ddia10.scenarios` holds one module (or package) per
  chapter, named after its notebook: everything the chapter stages (worked runs,
  players, experiments, tables, figures, campaigns).
- **Views** — :mod:`ddia10.viz` draws traces: space-time diagrams, cluster
  pictures, players, tables.

A new chapter adds a notebook, its protocol and its scenario module, and the
tests named for the rules they prove: ``CONTRIBUTING.md`` lists the files.
"""

__version__ = "0.1.0"
