"""How the beam moves: the laser order of paths and machine-time estimates.

order: one layer's paths in laser order (which path next, where a closed one starts, which
way an open one runs), the per-plaque number spliced in, runs reversed and measured;
units: a path's ways of being run (start nodes, directions, a block's sub-path orders);
solve: the solver (nearest neighbour, 2-opt, or-opt, variant choice); sweep: how the laser
visits a jig's pockets; estimate: machine time per plaque and per sheet.
Imports go estimate -> units -> solve, and order -> units, solve; sweep -> order, units, solve.

Contract: decisions are deterministic (the golden pins hold them); lengths mm, speeds mm/s, times s.
"""

__all__ = ['estimate', 'order', 'solve', 'sweep', 'units']
