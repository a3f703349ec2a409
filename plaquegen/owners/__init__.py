"""The owners' loop: outgoing mail (outgoing), who gets which proof or reminder (send), incoming answers from files, zip, mail files and IMAP (inbox), recording answers (approvals).

Contract: every returned answer is recorded or refused with its reason.
"""

__all__ = ['approvals', 'inbox', 'outgoing', 'send']
