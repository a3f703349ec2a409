"""The shop's bed: plaques laid out into the jig's pockets, one bed load per sheet (layout), the sheet's laser run and its guides (pockets, slot labels).

Contract: a sheet's guides are never laser geometry; writers decide where they may go.
"""

__all__ = ['layout']
