"""The owners' loop: outgoing mail (outgoing), who gets which proof or reminder (send), incoming answers
walked from files and folders (inbox, sharing items), zip archives (archives), mail files (mailfiles),
IMAP (imap), a proof without its form (guess), recording answers (approvals, answers).

Contract: every returned answer is recorded or refused with its reason.
"""

__all__ = ['answers', 'approvals', 'archives', 'guess', 'imap', 'inbox', 'items', 'mailfiles',
           'outgoing', 'send']
