"""The proof mail's buttons and HTML part: the plaque shown in the mail, two answers a tap away.

:func:`answer_links` makes the two ``mailto:`` links ("Approve", "Request changes") to the
reply address; each carries its answer token (:mod:`plaquegen.owners.tokens`) in the subject
and in the body, so a reply says which plaque, which version and which answer.
:func:`text_lines` is the same two links for the text part. :func:`html_body` is the HTML
part: inline CSS only, no remote image (the plaque is ``cid:`` inline), one column at most
600 px wide that fits a 360 px phone, and ``color-scheme`` light/dark (the plaque PNG has
its own white ground). Every value from an order or the manifest is HTML-escaped here.
Languages: de and en (as the proof and the text part).
"""
from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import quote

__all__ = ["AnswerLinks", "answer_links", "text_lines", "html_body", "plaque_png", "BUTTONS", "PNG_WIDTH"]

PNG_WIDTH = 600  # px: the plaque in the mail

BUTTONS = {
    "en": {"approve": "Approve", "changes": "Request changes",
           "approve_subject": "Approved: plaque {label}", "changes_subject": "Changes: plaque {label}",
           "approve_body": "I approve the plaque {label} as shown.",
           "changes_body": "Please change the following:\n\n\n",
           "keep": "(please leave this line as it is: {token})",
           "tap": "Answer with one tap (your mail program opens a reply; just send it):",
           "check": "Please check the number, the VIN and the drawing.",
           "number": "Number", "vin": "VIN", "pdf": "The same proof is attached as a PDF ({file}); "
           "you can also fill in its form and send it back.",
           "alt": "Your plaque {label}"},
    "de": {"approve": "Freigeben", "changes": "\u00c4nderung w\u00fcnschen",
           "approve_subject": "Freigabe: Plakette {label}",
           "changes_subject": "\u00c4nderung: Plakette {label}",
           "approve_body": "Ich gebe die Plakette {label} so frei, wie sie gezeigt ist.",
           "changes_body": "Bitte \u00e4ndern Sie Folgendes:\n\n\n",
           "keep": "(bitte diese Zeile so stehen lassen: {token})",
           "tap": "Antworten Sie mit einem Tipp (Ihr Mailprogramm \u00f6ffnet eine Antwort; "
                  "einfach absenden):",
           "check": "Bitte pr\u00fcfen Sie Nummer, Fahrgestellnummer und Zeichnung.",
           "number": "Nummer", "vin": "Fahrgestellnummer",
           "pdf": "Derselbe Abzug ist als PDF angeh\u00e4ngt ({file}); Sie k\u00f6nnen auch "
                  "dessen Formular ausf\u00fcllen und zur\u00fccksenden.",
           "alt": "Ihre Plakette {label}"},
}


@dataclass(frozen=True)
class AnswerLinks:
    approve: str  # mailto: URL
    changes: str
    approve_token: str
    changes_token: str


def plaque_png(svg: bytes, width_px: int = PNG_WIDTH) -> bytes:
    """The engrave SVG (mm units) rendered about ``width_px`` wide, on white (cairosvg, safe mode)."""
    import re

    from ..writers.png import svg_to_png

    m = re.search(rb'<svg[^>]*?\swidth="([0-9.]+)mm"', svg[:4000])
    width_mm = float(m.group(1)) if m else 100.0
    return svg_to_png(svg, dpi=max(10, round(width_px * 25.4 / width_mm)))


def _mailto(to: str, subject: str, body: str) -> str:
    return f"mailto:{quote(to, safe='@')}?subject={quote(subject, safe='')}&body={quote(body, safe='')}"


def answer_links(lang: str, reply_to: str, label: str, approve_token: str,
                 changes_token: str) -> AnswerLinks:
    """The two mailto: links; ``reply_to`` is a checked plain address."""
    B = BUTTONS.get(lang, BUTTONS["en"])
    a = _mailto(reply_to, f"{B['approve_subject'].format(label=label)} [{approve_token}]",
                B["approve_body"].format(label=label) + "\n\n" + B["keep"].format(token=approve_token))
    c = _mailto(reply_to, f"{B['changes_subject'].format(label=label)} [{changes_token}]",
                B["changes_body"] + B["keep"].format(token=changes_token))
    return AnswerLinks(a, c, approve_token, changes_token)


def text_lines(lang: str, links: AnswerLinks) -> list[str]:
    """The links for the text part."""
    B = BUTTONS.get(lang, BUTTONS["en"])
    return [B["tap"], "", f"{B['approve']}:", links.approve, "", f"{B['changes']}:", links.changes]


_BTN = ("display:inline-block;margin:6px 8px 6px 0;padding:14px 22px;border-radius:8px;"
        "font:bold 17px/1.2 -apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;"
        "text-decoration:none;")


def html_body(lang: str, *, hello: str, intro: str, label: str, vin: str, file_name: str,
              links: AnswerLinks, image_cid: str | None, closing: str, signature: str) -> str:
    """The HTML part (a whole document); every argument is plain text and escaped here."""
    B = BUTTONS.get(lang, BUTTONS["en"])
    e = lambda s: html.escape(str(s), quote=True)  # noqa: E731
    img = (f'<img src="cid:{e(image_cid)}" width="600" alt="{e(B["alt"].format(label=label))}" '
           'style="display:block;box-sizing:border-box;width:100%;max-width:600px;height:auto;border:1px solid #8889;'
           'border-radius:6px;background:#ffffff">') if image_cid else ""
    return f"""<!DOCTYPE html>
<html lang="{e(lang)}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="color-scheme" content="light dark"><meta name="supported-color-schemes" content="light dark">
<title>{e(B["alt"].format(label=label))}</title></head>
<body style="margin:0;padding:0;">
<div style="max-width:600px;margin:0 auto;padding:16px;font:16px/1.5 -apple-system,Segoe UI,Roboto,Helvetica,Arial,sans-serif;">
<p style="margin:0 0 12px">{e(hello)}</p>
<p style="margin:0 0 16px">{e(intro)}</p>
{img}
<table role="presentation" style="margin:14px 0;border-collapse:collapse;font-size:16px">
<tr><td style="padding:2px 14px 2px 0;opacity:.75">{e(B["number"])}</td><td style="font-weight:bold">{e(label)}</td></tr>
<tr><td style="padding:2px 14px 2px 0;opacity:.75">{e(B["vin"])}</td><td style="font-weight:bold;font-family:Menlo,Consolas,monospace;word-break:break-all">{e(vin)}</td></tr>
</table>
<p style="margin:0 0 8px">{e(B["check"])}</p>
<p style="margin:0 0 8px">{e(B["tap"])}</p>
<p style="margin:0 0 16px"><a href="{e(links.approve)}" style="{_BTN}background:#1a7f37;color:#ffffff">{e(B["approve"])}</a><a href="{e(links.changes)}" style="{_BTN}background:#1c5fd4;color:#ffffff">{e(B["changes"])}</a></p>
<p style="margin:0 0 16px;font-size:14px;opacity:.8">{e(B["pdf"].format(file=file_name))}</p>
<p style="margin:0 0 4px">{e(closing)}</p>
<p style="margin:0">{e(signature)}</p>
</div></body></html>
"""
