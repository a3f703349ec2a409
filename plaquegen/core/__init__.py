"""The ground every other component stands on: the one exception family and the outcomes (errors), the one clock (clock), verified caches of parsed inputs in a season folder (cache), atomic files and safe names (files), the records that flow through the pipeline (records), what the season overview shows per plaque (overview), where the bundled assets are (assets), workers that die with their parent (children), the version.

Contract: imports nothing from plaquegen outside core.
"""

__all__ = ['assets', 'cache', 'children', 'clock', 'errors', 'files', 'overview', 'records', 'version']
