"""The workflows that make files: a batch (batch), the one emitter batch and release share (emit), release of approved plaques (release), the hand-over: deliveries and the desk's hand-out (deliver).

Contract: a batch folder is complete or marked INCOMPLETE, never half-valid.
"""

__all__ = ['batch', 'deliver', 'emit', 'release']
