"""The owners' loop: outgoing mail (outgoing), who gets which proof or reminder (send), incoming answers
walked from files and folders (inbox, sharing items), zip archives (archives), mail files (mailfiles),
IMAP (imap), a proof without its form (guess), recording answers (approvals, answers); the HTML
mail and its answer buttons (mailhtml, tokens), replies read as answers (replies, replytext,
htmltext), who was sent what and how they answered (contacts).

Contract: every returned answer is recorded or refused with its reason.
"""

__all__ = ['answers', 'approvals', 'archives', 'contacts', 'guess', 'htmltext', 'imap', 'inbox', 'items',
           'mailfiles', 'mailhtml', 'outgoing', 'replies', 'replytext', 'send', 'tokens']
