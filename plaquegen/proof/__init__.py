"""The owner's proof: the page (page), its form fields and reader (form), the fast template writer (writer), its words per language (strings), the entry point (render).

Contract: the proof shows exactly the engraved geometry; its hidden id names plaque and version.
"""

__all__ = ['form', 'page', 'render', 'strings', 'writer']
