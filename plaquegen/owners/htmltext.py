"""HTML mail body -> plain text with the stdlib only (html.parser), for reading replies.

(Adapted from the research prototype /tmp/research/replies/htmltext.py.)

html_to_text(html, quote_blockquotes=True, cut_quotes=False)

* <head>, <style>, <script>, <title>, comments (incl. Outlook's <!--[if mso]>) are dropped.
* Block elements (p, div, br, li, tr, h1-h6, blockquote, pre, hr, table) end a line; other
  whitespace collapses to one space (inside <pre> it is kept); &nbsp; becomes a space.
* quote_blockquotes: text inside <blockquote> gets "> " per nesting level, so a plain-text
  reply parser sees it as quoted, exactly like a text/plain reply.
* cut_quotes: drop what the mail clients mark as the quoted original:
    - subtree only: div.gmail_quote / blockquote.gmail_quote (Gmail), blockquote[type=cite]
      (Apple, Thunderbird), div.moz-cite-prefix (Thunderbird's "Am ... schrieb"),
      div.yahoo_quoted (Yahoo), div[name=quote] (GMX/WEB.DE)
    - this element and everything after it in the document: div#appendonsend,
      div#divRplyFwdMsg, div#mail-editor-reference-message-container (Outlook web/new/
      mobile/Mac), hr directly before #divRplyFwdMsg, Outlook Word's header div
      (style "border:none;border-top:solid #E1E1E1 1.0pt" / #B5C4DF), and Samsung's
      "-------- Ursprüngliche/Original message --------" div is left to the text rules.
"""
from __future__ import annotations

import re
from html.parser import HTMLParser

__all__ = ["html_to_text"]

BLOCK = {"p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
         "hr", "table", "ul", "ol", "dl", "dt", "dd", "section", "article", "header", "footer",
         "address", "center", "form", "fieldset"}
SKIP = {"head", "style", "script", "title", "template", "xml"}
VOID = {"br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "param",
        "source", "track", "wbr"}
_OUTLOOK_BORDER = re.compile(r"border-top:\s*solid\s+#(?:E1E1E1|B5C4DF)", re.I)


def _is_subtree_quote(tag: str, a: dict) -> bool:
    cls = (a.get("class") or "").split()
    if "gmail_quote" in cls or "gmail_quote_container" in cls or "moz-cite-prefix" in cls:
        return True
    if "yahoo_quoted" in cls:
        return True
    if tag == "blockquote" and (a.get("type") or "").lower() == "cite":
        return True
    if tag == "div" and (a.get("name") or "").lower() == "quote":
        return True
    return False


def _is_rest_quote(tag: str, a: dict) -> bool:
    if a.get("id") in {"appendonsend", "divRplyFwdMsg", "mail-editor-reference-message-container"}:
        return True
    if tag == "div" and _OUTLOOK_BORDER.search(a.get("style") or ""):
        return True
    return False


class _Text(HTMLParser):
    def __init__(self, quote_blockquotes: bool, cut_quotes: bool):
        super().__init__(convert_charrefs=True)
        self.qb, self.cut = quote_blockquotes, cut_quotes
        self.lines: list[str] = []
        self.cur: list[str] = []
        self.depth = 0        # blockquote nesting
        self.skip = 0         # inside head/style/script
        self.pre = 0
        self.stack: list[str] = []   # open tags (for subtree skipping)
        self.drop_at: int | None = None  # stack depth where a dropped subtree started
        self.done = False     # everything after a "rest" marker is dropped

    # -- helpers
    def _flush(self) -> None:
        text = "".join(self.cur)
        self.cur = []
        if not self.pre:
            text = text.replace("\n", " ")  # a newline in HTML source is just a space
        for ln in text.split("\n"):
            if not self.pre:
                ln = re.sub(r"[ \t\r\f\v\u00a0]+", " ", ln).strip()
            else:
                ln = ln.replace("\u00a0", " ").rstrip()
            self.lines.append(("> " * self.depth if self.qb else "") + ln)

    def _newline(self) -> None:
        text = "".join(self.cur)
        if text.strip(" \t\r\n\u00a0"):
            self._flush()
        elif "\u00a0" in text:   # <p>&nbsp;</p>, <div>&nbsp;</div>: a deliberate empty line
            self.cur = []
            self.lines.append(("> " * self.depth if self.qb else "").rstrip())
        else:
            self.cur = []

    @property
    def _dropping(self) -> bool:
        return self.done or self.skip > 0 or self.drop_at is not None

    # -- parser callbacks
    def handle_starttag(self, tag, attrs):
        a = {k: (v or "") for k, v in attrs}
        if self.done:
            return
        if self.cut and self.drop_at is None and not self.skip:
            if _is_rest_quote(tag, a):
                self._newline()
                self.done = True
                # an <hr> right before #divRplyFwdMsg is part of the separator
                if self.lines and self.lines[-1] == "\x00hr":
                    self.lines.pop()
                return
            if _is_subtree_quote(tag, a):
                self._newline()
                self.drop_at = len(self.stack)
        if tag not in VOID:
            self.stack.append(tag)
        if tag in SKIP:
            self.skip += 1
        if self._dropping:
            return
        if tag == "br":
            if self.cur:
                self._flush()
            else:
                self.lines.append(("> " * self.depth if self.qb else "").rstrip())
        elif tag in BLOCK:
            self._newline()
            if tag == "hr":
                self.lines.append("\x00hr")
        if tag == "blockquote":
            self.depth += 1
        if tag == "pre":
            self.pre += 1

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.handle_endtag(tag)

    def handle_endtag(self, tag):
        if self.done:
            return
        if tag in VOID:
            return
        # pop to the matching open tag (tolerates unclosed <p>, <o:p> etc.)
        if tag in self.stack:
            while self.stack:
                t = self.stack.pop()
                if not (self.drop_at is not None or self.skip):
                    if t == "blockquote":
                        self._newline()
                        self.depth = max(0, self.depth - 1)
                    elif t == "pre":
                        self._newline()
                        self.pre = max(0, self.pre - 1)
                    elif t in BLOCK:
                        self._newline()
                if t in SKIP:
                    self.skip = max(0, self.skip - 1)
                if self.drop_at is not None and len(self.stack) <= self.drop_at:
                    self.drop_at = None
                if t == tag:
                    break

    def handle_data(self, data):
        if self._dropping:
            return
        self.cur.append(data)

    def close(self):
        super().close()
        if self.cur and not self.done:
            self._flush()


def html_to_text(html: str, quote_blockquotes: bool = True, cut_quotes: bool = False) -> str:
    p = _Text(quote_blockquotes, cut_quotes)
    p.feed(html)
    p.close()
    out: list[str] = []
    for ln in p.lines:
        if ln == "\x00hr" or ln.endswith("\x00hr"):
            ln = "________________________________"
        if ln.strip() == "" and out and out[-1].strip() == "":
            continue  # at most one empty line in a row
        out.append(ln)
    return "\n".join(out).strip("\n") + "\n"
