"""The command line: click commands that parse options, call the library and map outcomes to exit statuses. Nothing else lives here; nothing imports it.
"""
from .main import main

__all__ = ["main", "answers", "batches", "cars", "exits", "options", "season"]
