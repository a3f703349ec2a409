"""Postal address columns of an order file, for the plaques that go by post.

An order file may carry its owners' addresses in any columns ("Straße", "PLZ", "Ort",
"Address line 1", "Postcode", "City", ...). They are recognised by their header and kept in
the file's own column order; :func:`address_lines` gives one line per non-empty cell, as the
order file had it (nothing is reformatted: a person reads it on the parcel).
"""
from __future__ import annotations

import re
import unicodedata

__all__ = ["is_address_header", "address_lines", "ADDRESS_SEPARATOR"]

ADDRESS_SEPARATOR = "\n"  # how owners.csv joins the lines in its one address cell

# Compared with the header case-folded, without spaces and punctuation.
_EXACT = frozenset({
    "zip", "zipcode", "plz", "postcode", "postalcode", "postleitzahl", "postnummer", "cap",
    "codepostal", "city", "ort", "stadt", "town", "wohnort", "ortschaft", "gemeinde", "state",
    "region", "province", "provinz", "bundesland", "county", "kanton", "co", "zusatz",
    "adresszusatz", "housenumber", "hausnummer", "hausnr", "str", "rue", "via", "calle",
    "plzort", "plzundort", "postleitzahlundort", "zipcity", "postcodecity",
})
_PREFIXES = ("address", "adress", "adresse", "anschrift", "street", "strasse", "straße",
             "postanschrift", "postaladdress", "postaddress", "lieferadresse", "lieferanschrift",
             "versandadresse", "shippingaddress", "deliveryaddress", "mailingaddress")
# Headers that start like an address column but are something else.
_NOT = frozenset({"emailadresse", "emailaddress", "mailadresse", "emailadress", "streetview"})


def _key(header: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", header).casefold())


def is_address_header(header: str) -> bool:
    """True for a header that names part of a postal address (street, postcode, city...)."""
    k = _key(header)
    if not k or k in _NOT or "mail" in k:
        return False
    if k in _EXACT or k.rstrip("0123456789") in _EXACT:
        return True
    return any(k.startswith(p) for p in _PREFIXES)


def address_lines(raw: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    """The non-empty address cells of an order line (its ``raw`` header/value pairs), in the
    file's column order, each stripped of surrounding space."""
    return tuple(" ".join(v.split()) for h, v in raw if v and v.strip() and is_address_header(h))
