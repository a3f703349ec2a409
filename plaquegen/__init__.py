"""plaquegen: individually numbered, laser-engraved plaques from a customer list."""

__version__ = "0.1.0"
