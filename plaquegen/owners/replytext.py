"""The owner's own words from a reply mail (German + English): quoted original, attribution
lines, signature and "Sent from my iPhone" removed, in the quoting styles of Gmail, Outlook,
Apple Mail and Thunderbird (adapted from the research in /tmp/research/replies).

    owner_words(msg: email.message.EmailMessage) -> str

= mail-parser-reply (MIT, pure Python, no deps) + a small pre-pass for what it misses.

1. Body: text/plain if the mail has one; otherwise its HTML as text (stdlib html.parser, see
   htmltext.py) with the clients' quote containers cut away and <blockquote> as "> ".
   (With cut_html_first=True a multipart mail's HTML part is used too: its quote markers are
   structural, so no language rules are needed for them.)
2. Pre-pass (RULES below), each a plain regex over lines:
   R1 drop '>'-quoted lines, and an attribution line directly above a quoted block
      ("On ... wrote:", "Am ... schrieb ...:", "X schrieb am ...:", wrapped over 2 lines)
      -> handles top-, bottom- and interleaved posting of '>'-quoting clients alike.
   R2 cut at a quote separator line: 20+ underscores, "-----Original Message-----",
      "-------- Ursprüngliche Nachricht --------", "-------- Original message --------",
      "Begin forwarded message:", "Anfang der weitergeleiteten Nachricht:".
   R3 cut at an attribution line even without '>' below it (Gmail Android/iOS German:
      "<sender> schrieb am Fr., 4. Dez. 2026, 10:15:", Yahoo's indented "On ... wrote:").
   R4 drop client boilerplate lines: "Von meinem iPhone gesendet", "Sent from my iPhone",
      "Von Outlook für Android gesendet<url>", "Get Outlook for iOS<url>", "Outlook für iOS
      beziehen", "Von meinem Samsung Galaxy Smartphone gesendet.", "Gesendet mit der WEB.DE
      Mail App", "Sent with Proton Mail", ...
3. mail-parser-reply on the result:
      EmailMessage(text=..., languages=["de", "en"], keep_hyphen_lists=True).read().replies[0].body
   (.body = without its signature/"Grüße" block; keep_hyphen_lists keeps "- Nummer größer".)
4. R6: if mail-parser-reply returns nothing although the pre-pass left text, keep that text.
5. Post-pass R5 (optional, needs the sender's name): drop a trailing sign-off that mail-parser-
   reply does not know ("Cheers,", "Danke, Hans", "LG", "Viele Grüße") and a last line that is
   just the sender's first/full name.
"""
from __future__ import annotations

import re
from email.message import EmailMessage as _Msg
from email.utils import parseaddr

from mailparser_reply.parser import EmailMessage as _MPRMessage

from .htmltext import html_to_text

__all__ = ["owner_words", "body_text", "pre_pass", "mpr_body", "post_pass", "words_of"]

LANGS = ["de", "en"]

# --- R1/R3: attribution lines ("header" above the quoted original)
_ATTR = re.compile(
    r"^\s*(?:>\s*)*(?:"
    r"On\b.{4,200}\bwrote:?"                         # On Dec 4, 2026, at 10:15, X <y> wrote:
    r"|Am\b.{4,200}\bschrieb\b.{0,200}:"             # Am 04.12.2026 um 10:15 schrieb X <y>:
    r"|.{1,200}\bschrieb am\b.{4,100}:"              # X <y> schrieb am Fr., 4. Dez. 2026, 10:15:
    r"|.{1,200}\bschrieb:"                           # "X schrieb:" (older clients)
    r"|.{1,200}\bwrote:"                             # "X <y> wrote:" (Gmail mobile en)
    r")\s*$", re.I)
_ATTR_START = re.compile(r"^\s*(?:>\s*)*(?:On|Am)\s|\bschrieb am\b|<\s*$", re.I)
# an attribution that cuts without a '>' block below it must name an address or a time
_ATTR_EVIDENCE = re.compile(r"@|\b\d{1,2}:\d{2}\b|\b\d{4}\b")

# --- R2: separator lines; everything from here on is the quoted original
_SEPARATOR = re.compile(
    r"^\s*(?:"
    r"_{20,}"
    r"|-{2,}\s*(?:Original Message|Original message|Ursprüngliche Nachricht|Urspr\S+ngliche "
    r"Nachricht|Weitergeleitete Nachricht|Forwarded message)\s*-{2,}"
    r"|Begin forwarded message:|Anfang der weitergeleiteten Nachricht:"
    r")\s*$", re.I)

# --- R4: client boilerplate (whole line, optional <url> / trailing dot)
_BOILER = re.compile(
    r"^\s*(?:"
    r"Sent from my [\w\- ]{1,40}"
    r"|Sent from (?:Outlook|Mail for Windows|Yahoo Mail|Proton Mail|my mobile)[\w\- ]{0,40}"
    r"|Sent with Proton Mail[\w\- ]{0,40}"
    r"|Get Outlook for \w+"
    r"|Von meinem [\w\- ]{1,40} gesendet"
    r"|Gesendet (?:von|mit) [\w\-. ]{1,60}"
    r"|Von (?:Outlook|Mail) für \w+ gesendet"
    r"|Outlook für \w+ beziehen"
    r")\.?\s*(?:<[^>\s]+>)?\s*$", re.I)

# --- R5: closings mail-parser-reply does not know (it has "Best regards", "Thanks,", "Grüße"...)
_CLOSING = re.compile(
    r"^\s*(?:Cheers|Thanks|Thank you|Many thanks|Best|Regards|Kind regards|Best wishes|"
    r"Danke|Vielen Dank|Danke schön|Dankeschön|LG|VG|MfG|Liebe Grüße|Viele Grüße|Beste Grüße|"
    r"Schöne Grüße|Herzliche Grüße|Freundliche Grüße|Gruß|Grüße|Servus|Ciao|Tschüss)"
    r"[,!.]?(?:\s+[\w.\-]+){0,3}\s*$", re.I)


def _is_quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def pre_pass(text: str) -> str:
    lines = text.replace("\r\n", "\n").replace("\ufeff", "").split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        ln = lines[i]
        if _SEPARATOR.match(ln):                                        # R2
            break
        nxt = next((l for l in lines[i + 1:] if l.strip()), "")
        two = ln.rstrip() + " " + lines[i + 1].strip() if i + 1 < len(lines) else ln
        if _ATTR.match(ln):                                             # R1 / R3
            if _is_quoted(nxt):
                i += 1
                continue          # attribution of a '>' block: drop it, keep reading (bottom post)
            if _ATTR_EVIDENCE.search(ln):
                break             # attribution of an unquoted original (Gmail mobile, Yahoo): cut
        elif (i + 1 < len(lines) and ln.strip() and not _is_quoted(ln) and _ATTR_START.search(ln)
              and _ATTR.match(two) and _ATTR_EVIDENCE.search(two)):
            # attribution wrapped over two lines ("... Register <\nplaques@x> wrote:")
            nxt2 = next((l for l in lines[i + 2:] if l.strip()), "")
            if _is_quoted(nxt2):
                i += 2
                continue
            break
        if _is_quoted(ln):                                              # R1
            i += 1
            continue
        if _BOILER.match(ln):                                           # R4
            i += 1
            continue
        out.append(ln)
        i += 1
    return "\n".join(out).strip("\n") + "\n"


def mpr_body(text: str) -> str:
    msg = _MPRMessage(text=text, languages=list(LANGS), keep_hyphen_lists=True).read()
    return msg.replies[0].body if msg.replies else ""


def post_pass(text: str, sender_name: str = "") -> str:
    lines = [l.rstrip() for l in text.strip().split("\n")]
    tokens = {t.lower() for t in re.findall(r"[^\W\d_][\w\-]+", sender_name)}
    names = {n.lower() for n in (sender_name, sender_name.split(" ")[0] if sender_name else "") if n}
    # v2: a closing whose next line names the sender starts the signature block
    #     ("Freundliche Grüße / Dr. Thomas Brandt / Rechtsanwalt")
    for i in range(1, len(lines) - 1):
        if _CLOSING.match(lines[i]) and tokens & {t.lower() for t in re.findall(r"[\w\-]+", lines[i + 1])}:
            lines = lines[:i]
            break
    changed = True
    while changed and len(lines) > 1:
        changed = False
        last = lines[-1].strip()
        if not last:
            lines.pop()
            changed = True
        elif last.lower().strip(",.!").lstrip("-\u2013\u2014 ") in names:   # v2: "-Mark"
            lines.pop()
            changed = True
        elif _CLOSING.match(last) and len(lines) > 1 and any(l.strip() for l in lines[:-1]):
            # a closing, optionally with the name on the same line ("Danke, Hans", "LG Peter")
            words = re.sub(r"^[^,!.]*[,!.]?", "", last).split()
            if len(last.split()) <= 3 or not words or " ".join(words).lower() in names:
                lines.pop()
                changed = True
    return "\n".join(lines).strip()


def body_text(msg: _Msg, cut_html_first: bool = False) -> str:
    plain = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    if html is not None and (plain is None or cut_html_first):
        return html_to_text(html.get_content(), quote_blockquotes=True, cut_quotes=True)
    return plain.get_content() if plain is not None else ""


def owner_words(msg: _Msg, *, cut_html_first: bool = False, signoff: bool = True) -> str:
    text = pre_pass(body_text(msg, cut_html_first))
    words = mpr_body(text)
    if not words.strip() and text.strip():
        # R6 safety net: mail-parser-reply's "Sent from my ..." rule eats a whole first line such as
        # "Sent from my desk: approved." (and all after it); never drop every word the owner wrote.
        words = text.strip()
    if signoff:
        words = post_pass(words, parseaddr(str(msg.get("From", "")))[0])
    return words


def words_of(text: str, sender_name: str = "") -> str:
    """owner_words for a body already taken from its mail (:func:`body_text`)."""
    cut = pre_pass(text)
    words = mpr_body(cut)
    if not words.strip() and cut.strip():
        words = cut.strip()
    return post_pass(words, sender_name)
