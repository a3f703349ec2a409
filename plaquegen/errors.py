class PlaquegenError(Exception):
    """A fatal problem; str() is the one sentence the user sees."""
