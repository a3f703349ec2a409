"""VIN handling: normalisation, the ISO 3779 / 49 CFR 565 check digit, what a 1M VIN says.

Nothing here knows about the production register; it only knows what a VIN
looks like. A person types VINs with spaces, dashes, dots and lower case:
``normalize`` turns whatever they typed into the plain upper-case form.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

__all__ = [
    "ALPHABET", "VinInfo", "check_digit", "decode", "is_short_vin", "normalize",
    "short_vin", "vin_problem",
]

#: The characters a VIN may use: digits and capital letters except I, O and Q.
ALPHABET = frozenset("0123456789ABCDEFGHJKLMNPRSTUVWXYZ")

# 49 CFR 565.15: letters transliterate to digits; each position has a weight.
_VALUES: dict[str, int] = {str(d): d for d in range(10)}
_VALUES.update(dict(zip("ABCDEFGH", range(1, 9))))
_VALUES.update(dict(zip("JKLMN", range(1, 6))))
_VALUES.update({"P": 7, "R": 9})
_VALUES.update(dict(zip("STUVWXYZ", range(2, 10))))
_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)

# Characters removed from typed VINs: whitespace (NBSP included), dots, underscores, every
# Unicode dash (category Pd) and the minus sign, and invisible format characters.
_DROP = re.compile(
    r"[\s._\u00b7\u00ad\u2212\u200b-\u200d\u2060\ufeff"
    r"\u002d\u058a\u05be\u1400\u1806\u2010-\u2015\u2e17\u2e1a\u2e3a\u2e3b\u2e40\u2e5d"
    r"\u301c\u3030\u30a0\ufe31\ufe32\ufe58\ufe63\uff0d\U00010ead]"
)


def normalize(text: str) -> str:
    """What a person typed -> plain upper-case VIN text (NFKC; no spaces, dashes, dots, underscores).

    Never raises for a ``str``; characters that a VIN cannot contain (other
    than the separators removed) are kept, so ``vin_problem`` can name them.
    """
    if not isinstance(text, str):
        text = "" if text is None else str(text)
    if text.isascii() and text.isalnum():          # the common case, already clean
        return text.upper()
    for _ in range(4):      # removing a separator can let NFKC compose again ("U\u00a8" -> "\u00dc")
        new = _DROP.sub("", unicodedata.normalize("NFKC", text).upper())
        if new == text:
            break
        text = new
    return new


def check_digit(vin: str) -> str:
    """The check digit ('0'..'9' or 'X') a 17-character VIN must carry at position 9.

    The character at position 9 itself is ignored (its weight is 0).
    Raises ValueError for a wrong length or characters outside the VIN alphabet.
    """
    if len(vin) != 17:
        raise ValueError(f"a VIN has 17 characters, not {len(vin)}")
    try:
        total = sum(_VALUES[ch] * w for ch, w in zip(vin, _WEIGHTS))
    except (KeyError, TypeError):
        pos, ch = next((i, c) for i, c in enumerate(vin, start=1) if c not in _VALUES)
        raise ValueError(f"{ch!r} (position {pos}) is not a VIN character") from None
    r = total % 11
    return "X" if r == 10 else str(r)


def _bad_characters(s: str) -> str | None:
    """A phrase naming the characters of ``s`` outside the VIN alphabet, or None."""
    bad = [(i, ch) for i, ch in enumerate(s, start=1) if ch not in ALPHABET]
    if not bad:
        return None
    where = ", ".join(f"position {i}: {ch!r}" for i, ch in bad)
    if all(ch in "IOQ" for _, ch in bad):
        return f"VIN contains I, O or Q, which VINs never use ({where})"
    return f"VIN contains characters a VIN never uses ({where})"


def vin_problem(vin: str) -> str | None:
    """None for a correct full VIN (normalised text); otherwise what is wrong with it, in one phrase."""
    n = len(vin)
    if n != 17:
        return f"VIN has {n} character{'s' if n != 1 else ''}, a full VIN has 17"
    bad = _bad_characters(vin)
    if bad:
        return bad
    want = check_digit(vin)
    if vin[8] != want:
        return f"check digit (position 9) should be {want}, not {vin[8]}: the VIN is probably mistyped"
    return None


def is_short_vin(s: str) -> bool:
    """True for a 7-character short VIN (VIN positions 11-17): plant letter + 6-character serial."""
    return (len(s) == 7 and s[0].isalpha() and s[0] in ALPHABET
            and all(ch in ALPHABET for ch in s[1:]))


def short_vin(vin: str) -> str:
    """The short VIN enthusiasts quote: plant letter + serial (positions 11-17)."""
    return vin[10:17]


_TYPES = {
    "UR91": ("LHD", "Europe (left-hand drive)"),
    "UR92": ("RHD", "right-hand-drive markets"),
    "UR9C": ("LHD", "North America"),
}
_PLANTS = {"V": "Leipzig"}


@dataclass(frozen=True)
class VinInfo:
    """What a VIN says about a BMW 1M Coupé (E82)."""
    vin: str
    wmi: str          # world manufacturer identifier, WBS = BMW M GmbH
    type_code: str    # positions 4-7
    steering: str     # "LHD", "RHD", or "" when the type code is not a 1M's
    region: str       # e.g. "Europe (left-hand drive)", "North America"
    year_code: str    # position 10: 'B' (2011) on US/Canadian cars, '0' elsewhere
    plant: str        # "Leipzig" for 'V'
    serial: str       # positions 12-17
    is_1m: bool


def decode(vin: str) -> VinInfo:
    """Split a 17-character VIN into what it says. Raises ValueError for anything not 17 VIN characters.

    The check digit is not checked here (see ``vin_problem``).
    """
    v = normalize(vin)
    if len(v) != 17 or _bad_characters(v):
        raise ValueError(vin_problem(v) or "not a VIN")
    wmi, type_code = v[:3], v[3:7]
    steering, region = _TYPES.get(type_code, ("", "unknown (not a 1M Coupé type code)"))
    plant = _PLANTS.get(v[10], f"unknown plant {v[10]!r}")
    return VinInfo(vin=v, wmi=wmi, type_code=type_code, steering=steering, region=region,
                   year_code=v[9], plant=plant, serial=v[11:17],
                   is_1m=(wmi == "WBS" and type_code in _TYPES))
