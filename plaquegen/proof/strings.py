"""The proof's words: one table of strings per language, and how an order picks its
language and paper size.

German for orders whose language starts with "de" (or, with no language given, from DE, AT
or CH); English otherwise. US Letter for the US and Canada, A4 everywhere else.
"""
from __future__ import annotations

from ..core.records import Numbered

__all__ = ["STRINGS", "LANGUAGES", "GERMAN_COUNTRIES", "LETTER_COUNTRIES", "proof_language", "language_for",
           "letter_paper", "format_int", "format_scale"]

LETTER_COUNTRIES = frozenset({"US", "CA"})
GERMAN_COUNTRIES = frozenset({"DE", "AT", "CH", "LI"})

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Proof of your plaque",
        "subtitle": "Please check every detail. Your plaque is engraved exactly as drawn here.",
        "watermark": "PROOF",
        "actual": "Actual size (1:1)",
        "enlarged": "Enlarged ({scale} : 1)",
        "print_note1": "Print at 100 % (\u201cActual size\u201d), not \u201cFit to page\u201d.",
        "print_note2": "Check with a ruler: the bar is exactly 50 mm long.",
        "details": "Details",
        "owner": "Owner",
        "order": "Order",
        "vin": "VIN",
        "number": "Build number",
        "number_hint": "car {n} of {total} customer cars",
        "market": "Market",
        "batch": "Batch",
        "date": "Date",
        "approval": "Approval",
        "approve": "I approve this plaque",
        "approve_hint": "for engraving exactly as shown above.",
        "changes": "Requested changes (leave empty if none):",
        "name": "Name",
        "sign_date": "Date",
        "return": ("Fill in the form in your PDF reader, save it and send the file back to the "
                   "register. Nothing is engraved before your approval."),
        "legend": "Black: engraved \u00b7 thin black line: scored \u00b7 red line: plate outline (cut)",
        "tip_approve": "Tick to approve the plaque for engraving",
        "tip_changes": "Describe any change you need",
        "tip_name": "Your name",
        "tip_date": "Today's date",
        "unknown": "\u2014",
    },
    "de": {
        "title": "Korrekturabzug Ihrer Plakette",
        "subtitle": "Bitte pr\u00fcfen Sie alle Angaben. Die Plakette wird genau so graviert wie hier gezeigt.",
        "watermark": "KORREKTURABZUG",
        "actual": "Originalgr\u00f6\u00dfe (1:1)",
        "enlarged": "Vergr\u00f6\u00dfert ({scale} : 1)",
        "print_note1": "Mit 100 % drucken (\u201eTats\u00e4chliche Gr\u00f6\u00dfe\u201c), nicht \u201eAn Seite anpassen\u201c.",
        "print_note2": "Mit dem Lineal pr\u00fcfen: der Balken ist genau 50 mm lang.",
        "details": "Angaben",
        "owner": "Besitzer",
        "order": "Bestellung",
        "vin": "Fahrgestellnummer",
        "number": "Baunummer",
        "number_hint": "Fahrzeug {n} von {total} Kundenfahrzeugen",
        "market": "Markt",
        "batch": "Charge",
        "date": "Datum",
        "approval": "Freigabe",
        "approve": "Ich gebe diese Plakette frei",
        "approve_hint": "zur Gravur genau wie oben gezeigt.",
        "changes": "Gew\u00fcnschte \u00c4nderungen (leer lassen, wenn keine):",
        "name": "Name",
        "sign_date": "Datum",
        "return": ("Formular im PDF-Programm ausf\u00fcllen, speichern und die Datei an das Register "
                   "zur\u00fccksenden. Graviert wird erst nach Ihrer Freigabe."),
        "legend": "Schwarz: graviert \u00b7 d\u00fcnne schwarze Linie: geritzt \u00b7 rote Linie: Plattenkontur (Schnitt)",
        "tip_approve": "Ankreuzen, um die Plakette zur Gravur freizugeben",
        "tip_changes": "Gew\u00fcnschte \u00c4nderungen beschreiben",
        "tip_name": "Ihr Name",
        "tip_date": "Heutiges Datum",
        "unknown": "\u2014",
    },
}

LANGUAGES = tuple(STRINGS)


def language_for(language: str | None, country: str | None) -> str:
    """The owner's language, for the proof and the mail alike: 'de' when the order's language
    starts with 'de', or (no language) the country is German-speaking; else 'en'."""
    lang = (language or "").strip().lower()
    if lang:
        return "de" if lang.startswith("de") else "en"
    return "de" if (country or "").strip().upper() in GERMAN_COUNTRIES else "en"


def proof_language(numbered: Numbered) -> str:
    return language_for(numbered.order.language, numbered.order.country)


def letter_paper(numbered: Numbered) -> bool:
    """True for US Letter (orders from the US and Canada), False for A4."""
    return (numbered.order.country or "").strip().upper() in LETTER_COUNTRIES


def format_int(n: int, lang: str) -> str:
    """Thousands separated the reader's way: 6,309 (en) or 6.309 (de)."""
    s = f"{n:,}"
    return s.replace(",", ".") if lang == "de" else s


def format_scale(scale: float, lang: str) -> str:
    """A scale factor as printed: 2.25 (en) or 2,25 (de)."""
    s = f"{scale:g}"
    return s.replace(".", ",") if lang == "de" else s
