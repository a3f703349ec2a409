"""Order CSV -> Order | Reject.

The register's exports come from spreadsheets: UTF-8 with or without BOM,
UTF-16 ("Unicode text"), Windows-1252; ',' ';' or tab; CRLF; quoted fields
that may span lines; stray blank lines; header names in German or English.
Every non-blank line after the header ends as an Order or a Reject carrying
its physical line number; only a missing file or a missing required column is
fatal (OrdersError, one sentence).
"""
from __future__ import annotations

import codecs
import csv
import io
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from .errors import PlaquegenError
from .records import Order, Reject
from .vin import normalize

csv.field_size_limit(16 * 1024 * 1024)

MAX_FILE_BYTES = 64 * 1024 * 1024


class OrdersError(PlaquegenError):
    """A fatal problem with an order file; str() is one sentence, on one line."""

    def __init__(self, message: str):
        # Header cells and file names come from the file: never let them break the line.
        super().__init__(" ".join(str(message).split()))


# Canonical field -> header spellings (compared after _key()).
ALIASES: dict[str, tuple[str, ...]] = {
    "order_id": ("orderid", "order", "ordernumber", "orderno", "ordernr", "bestellnummer",
                 "bestellnr", "bestellung", "auftragsnummer", "auftragsnr", "auftrag"),
    "vin": ("vin", "fin", "fahrgestellnummer", "fahrgestellnr", "chassis", "chassisnumber",
            "chassisno", "chassisnr", "vehicleidentificationnumber"),
    "name": ("name", "owner", "ownername", "besitzer", "halter", "customer", "kunde",
             "fullname", "vollständigername"),
    "email": ("email", "mail", "emailaddress", "emailadresse"),
    "country": ("country", "land", "countrycode", "ländercode", "landescode"),
    "language": ("language", "sprache", "lang", "locale"),
}
REQUIRED = ("order_id", "vin")
_LOOKED_FOR = {"order_id": "order_id, Order ID, Bestellnummer, Bestell-Nr",
               "vin": "vin, FIN, Fahrgestellnummer, chassis"}

COUNTRY_NAMES = {
    "deutschland": "DE", "germany": "DE", "österreich": "AT", "oesterreich": "AT", "austria": "AT",
    "schweiz": "CH", "switzerland": "CH", "suisse": "CH", "svizzera": "CH",
    "usa": "US", "unitedstates": "US", "unitedstatesofamerica": "US", "vereinigtestaaten": "US",
    "canada": "CA", "kanada": "CA", "uk": "GB", "unitedkingdom": "GB", "greatbritain": "GB",
    "england": "GB", "großbritannien": "GB", "grossbritannien": "GB", "australia": "AU",
    "australien": "AU", "southafrica": "ZA", "südafrika": "ZA", "france": "FR", "frankreich": "FR",
    "italy": "IT", "italien": "IT", "italia": "IT", "spain": "ES", "spanien": "ES", "españa": "ES",
    "netherlands": "NL", "niederlande": "NL", "nederland": "NL", "belgium": "BE", "belgien": "BE",
    "sweden": "SE", "schweden": "SE", "norway": "NO", "norwegen": "NO", "denmark": "DK",
    "dänemark": "DK", "poland": "PL", "polen": "PL", "japan": "JP", "luxembourg": "LU",
    "luxemburg": "LU", "czechia": "CZ", "tschechien": "CZ", "czechrepublic": "CZ",
    "turkey": "TR", "türkei": "TR", "türkiye": "TR", "finland": "FI", "finnland": "FI",
    "portugal": "PT", "ireland": "IE", "irland": "IE", "newzealand": "NZ", "neuseeland": "NZ",
}
LANGUAGE_NAMES = {"deutsch": "de", "german": "de", "english": "en", "englisch": "en",
                  "français": "fr", "francais": "fr", "french": "fr", "italiano": "it",
                  "italian": "it", "español": "es", "spanish": "es", "nederlands": "nl",
                  "dutch": "nl"}

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _key(header: str) -> str:
    """Header cell -> comparison key: case-folded, without spaces, dashes, dots, underscores."""
    return re.sub(r"[\s\-_.#:/()]+", "", unicodedata.normalize("NFKC", header).casefold())


_ALIAS_INDEX = {alias: field for field, names in ALIASES.items() for alias in names}


def decode(data: bytes) -> str:
    """Bytes of a spreadsheet export -> text: BOMs honoured, UTF-8, else Windows-1252."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
                     (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        # cp1252 leaves five bytes undefined; those become U+FFFD, visible in rejects.
        return data.decode("cp1252", errors="replace")


def sniff_delimiter(header_line: str) -> str:
    """The delimiter used in the header line: the most frequent of tab, ';' and ','."""
    counts = {d: header_line.count(d) for d in ("\t", ";", ",")}
    best = max(counts, key=lambda d: (counts[d], d == ","))
    return best if counts[best] else ","


def normalize_country(text: str) -> str:
    """'DE', 'de', 'Deutschland', 'Germany' -> 'DE'; unknown names -> '' (empty)."""
    t = text.strip()
    if len(t) == 2 and t.isascii() and t.isalpha():
        return t.upper()
    return COUNTRY_NAMES.get(_key(t), "")


def normalize_language(text: str) -> str:
    """'de', 'DE-de', 'Deutsch', 'German' -> 'de'; unknown -> ''."""
    t = text.strip().casefold()
    m = re.match(r"^([a-z]{2})(?:[-_][a-z]{2,4})?$", t)
    if m:
        return m.group(1)
    return LANGUAGE_NAMES.get(_key(t), "")


def _brief_list(cells: list[str], max_cells: int = 12, max_len: int = 40) -> str:
    """Header cells for a message: each on one line and shortened, at most ``max_cells``."""
    def brief(c: str) -> str:
        c = " ".join(c.split())
        return c if len(c) <= max_len else c[:max_len - 1] + "\u2026"
    shown = ", ".join(brief(c) for c in cells[:max_cells])
    more = len(cells) - max_cells
    return shown + (f" and {more} more" if more > 0 else "")


def clean_cell(text: str) -> str:
    """A cell as a person meant it: trimmed, NUL and control characters removed."""
    return _CONTROL.sub("", text).strip()


@dataclass(frozen=True)
class OrderFile:
    """What reading an order file gives: accepted orders and refused lines, in file order."""

    path: str
    orders: tuple[Order, ...]
    rejects: tuple[Reject, ...]
    header: tuple[str, ...]
    delimiter: str
    encoding_note: str

    @property
    def lines_read(self) -> int:
        return len(self.orders) + len(self.rejects)


def read_orders(path: str | os.PathLike) -> OrderFile:
    """Read an order CSV file. Raises OrdersError for a fatal problem (one sentence)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if p.is_dir():
            raise OrdersError(f"{p} is a folder, not an order file.")
        if size > MAX_FILE_BYTES:
            raise OrdersError(f"{p.name} is {size // 1_000_000} MB; order files over "
                              f"{MAX_FILE_BYTES // 1_000_000} MB are refused.")
        data = p.read_bytes()
    except FileNotFoundError:
        raise OrdersError(f"order file {p} does not exist.") from None
    except PermissionError:
        raise OrdersError(f"order file {p} cannot be read (permission denied).") from None
    except OSError as e:
        raise OrdersError(f"order file {p} cannot be read: {e.strerror or e}.") from None
    return parse_orders(data, name=p.name)


def parse_orders(data: bytes, name: str = "orders") -> OrderFile:
    """Parse the bytes of an order file (see read_orders)."""
    text = decode(data)
    enc = "utf-8" if not data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) else "utf-16"
    text = text.replace("\x00", "")  # NULs from broken exports; csv would choke on them
    lines = list(io.StringIO(text, newline=""))  # split on \n, \r\n, \r only, as csv does
    first = next((i for i, l in enumerate(lines) if l.strip()), None)
    if first is None:
        raise OrdersError(f"{name} is empty: it has no header line and no orders.")
    sep = _SEP_LINE.match(lines[first].strip())
    if sep:  # Excel's "sep=;" hint line names the delimiter
        first = next((i for i in range(first + 1, len(lines)) if lines[i].strip()), None)
        if first is None:
            raise OrdersError(f"{name} is empty: it has no header line and no orders.")
    delimiter = sep.group(1) if sep else sniff_delimiter(lines[first])

    def reader_from(index: int):
        return csv.reader(io.StringIO("".join(lines[index:]), newline=""), delimiter=delimiter,
                          strict=False)

    reader = reader_from(first)
    try:
        header = [clean_cell(h) for h in next(reader)]
    except csv.Error as e:  # pragma: no cover - strict=False rarely raises
        raise OrdersError(f"{name}: the header line cannot be read ({e}).") from None
    header_end = first + reader.line_num
    columns: dict[str, int] = {}
    for i, h in enumerate(header):
        field = _ALIAS_INDEX.get(_key(h))
        if field and field not in columns:
            columns[field] = i
    for field in REQUIRED:
        if field not in columns:
            found = _brief_list([h for h in header if h]) or "nothing"
            label = "VIN" if field == "vin" else "order id"
            raise OrdersError(f"{name} has no {label} column (looked for {_LOOKED_FOR[field]}; "
                              f"found {found}).")

    orders: list[Order] = []
    rejects: list[Reject] = []
    prev_end = header_end
    base = first  # physical line number of the reader's last line = base + reader.line_num
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as e:  # pragma: no cover - defensive
            rejects.append(Reject(prev_end + 1, "", "", f"line cannot be read as CSV ({e})"))
            prev_end = base + reader.line_num
            continue
        line = prev_end + 1
        prev_end = base + reader.line_num
        if not any(c.strip() for c in row):
            continue  # blank line (or only delimiters)
        if prev_end > line and _swallows_lines(row, delimiter, len(header), columns["vin"]):
            # An unclosed quote ran on into the next lines: refuse this line only, and
            # read the following lines again on their own, so none is silently lost.
            oid, vin = (clean_cell(row[columns[f]]) if columns[f] < len(row) and
                        not _BREAK.search(row[columns[f]]) else "" for f in ("order_id", "vin"))
            rejects.append(Reject(line, oid, vin, f"unclosed quote: a quoted value on this line "
                                  f"runs on to line {prev_end}; close the quote and order again",
                                  (("line as written", clean_cell(lines[line - 1])),)))
            base, prev_end = line, line
            reader = reader_from(line)
            continue
        result = _row(row, header, columns, line)
        (orders if isinstance(result, Order) else rejects).append(result)
    return OrderFile(name, tuple(orders), tuple(rejects), tuple(header), delimiter, enc)


_SEP_LINE = re.compile(r"^sep=(.)$", re.IGNORECASE)
_BREAK = re.compile(r"\r\n|\r|\n")


def _swallows_lines(row: list[str], delimiter: str, width: int, vin_col: int) -> bool:
    """A cell whose continuation lines look like whole order lines (a full set of fields
    and a VIN-shaped value in the VIN column): an unclosed quote ate them. A quoted value
    that merely spans lines, even with the delimiter in it, does not qualify."""
    for cell in row:
        for part in _BREAK.split(cell)[1:]:
            fields = part.split(delimiter)
            if len(fields) >= max(width, 2) and vin_col < len(fields):
                if len(normalize(fields[vin_col].strip('"'))) in (7, 17):
                    return True
    return False


def _row(row: list[str], header: list[str], columns: dict[str, int], line: int) -> Order | Reject:
    def cell(field: str) -> str:
        i = columns.get(field)
        return clean_cell(row[i]) if i is not None and i < len(row) else ""

    raw = tuple((header[i] if i < len(header) and header[i] else f"column {i + 1}", clean_cell(v))
                for i, v in enumerate(row))
    order_id, typed_vin = cell("order_id"), cell("vin")
    vin = normalize(typed_vin)
    if len(row) > len(header) and any(c.strip() for c in row[len(header):]):
        return Reject(line, order_id, typed_vin,
                      f"line has {len(row)} fields but the header has {len(header)}: "
                      "probably an unquoted delimiter inside a value", raw)
    if not order_id:
        return Reject(line, order_id, typed_vin, "no order id given", raw)
    if not vin:
        return Reject(line, order_id, typed_vin, "no VIN given", raw)
    return Order(line=line, order_id=order_id, vin=vin, name=cell("name"), email=cell("email"),
                 country=normalize_country(cell("country")),
                 language=normalize_language(cell("language")), raw=raw)
