"""The package version: the one place it is written (pyproject reads the same number)."""

__all__ = ["__version__"]

__version__ = "0.1.0"
