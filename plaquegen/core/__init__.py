"""The ground every other component stands on: the one exception family and the exit statuses (errors), the one clock (clock), atomic files and safe names (files), the records that flow through the pipeline (records), where the bundled assets are (assets), the version.

Contract: imports nothing from plaquegen outside core.
"""

__all__ = ['assets', 'clock', 'errors', 'files', 'records', 'version']
