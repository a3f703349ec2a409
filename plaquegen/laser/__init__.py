"""How the beam moves: the laser order of paths (solve: which path next, where it starts, which way it runs) and machine-time estimates (estimate).

Contract: decisions are deterministic (the golden pins hold them); lengths mm, speeds mm/s, times s.
"""

__all__ = ['estimate', 'solve']
