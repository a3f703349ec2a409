"""The season's memory: the SQLite ledger (ledger), the batch folder's contract (folder), where each plaque stands (states), register identity, the missing-ledger guard and rebuilds (season).

Contract: one car = one number; history is append-only; nothing is forgotten silently.
"""

__all__ = ['folder', 'ledger', 'season', 'states']
