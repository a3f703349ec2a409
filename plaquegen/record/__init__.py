"""The season's memory: the SQLite ledger (ledger), the batch folder's contract (folder), where each plaque stands (states), register identity, the missing-ledger guard and rebuilds (season), every plaque's state and step dates over the season (season_view), the season pages on disk (pages).

Contract: one car = one number; history is append-only; nothing is forgotten silently.
"""

__all__ = ['folder', 'ledger', 'pages', 'season', 'season_view', 'states']
