"""Order files -> Order | Reject.

Orders arrive as CSV/TSV exports (UTF-8 with or without BOM, UTF-16, Windows-1252, Mac
Roman; ',' ';' or tab; CRLF or CR; quoted fields that may span lines), as spreadsheets
(.xlsx/.xlsm, .xls, .ods) and as form exports (Google Forms, Microsoft Forms: a timestamp
first, question-style headers such as ``Fahrgestellnummer (FIN)`` or ``Ihr Name``, no order
id). The header row is found among the first 20 non-blank rows; rows above it are title lines,
skipped and named in the result. Every non-blank row after the header ends as an Order or a
Reject carrying its line number (the spreadsheet's row number, or the CSV's physical line);
only whole-file problems are fatal (OrdersError, one sentence).
"""
from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Mapping, Sequence

from ..core.errors import PlaquegenError
from ..core.records import Order, Reject
from .tables import FORMATS_HELP, HEADER_SEARCH_ROWS, Row, Table, TableError, parse_table, read_table, \
    reparse_csv
from .tables import sniff_delimiter as _sniff_lines
from .tables import decode_text as _decode_text
from .vin import normalize

__all__ = ["ALIASES", "COLUMNS_HELP", "FIELDS", "ORDERS_HELP", "OrderFile", "OrdersError",
           "clean_cell", "decode", "extract_vin", "normalize_country", "normalize_language",
           "parse_orders", "read_orders", "sniff_delimiter"]

MAX_FILE_BYTES = 64 * 1024 * 1024

class OrdersError(PlaquegenError):
    """A fatal problem with an order file; str() is one sentence, on one line."""

    def __init__(self, message: str):
        # Header cells and file names come from the file: never let them break the line.
        super().__init__(" ".join(str(message).split()))


# Canonical field -> header spellings (compared after _key() of the cleaned header: case-folded,
# words in parentheses, "Ihr/Your" and trailing colons removed, no spaces, dashes, dots).
ALIASES: dict[str, tuple[str, ...]] = {
    "order_id": ("orderid", "order", "ordernumber", "orderno", "ordernr", "bestellnummer",
                 "bestellnr", "bestellung", "bestellid", "auftragsnummer", "auftragsnr", "auftrag", "id"),
    "vin": ("vin", "fin", "fahrgestellnummer", "fahrgestellnr", "chassis", "chassisnumber",
            "chassisno", "chassisnr", "vehicleidentificationnumber", "fahrzeugidentifikationsnummer",
            "fahrzeugidentnummer", "vinnumber", "finnummer"),
    "name": ("name", "owner", "ownername", "besitzer", "halter", "customer", "kunde",
             "fullname", "vollständigername", "vorundnachname", "nameundvorname", "customername",
             "kundenname", "namedesbesitzers", "namedeshalters"),
    "first_name": ("firstname", "vorname", "givenname"),
    "last_name": ("lastname", "nachname", "surname", "familienname", "familyname"),
    "email": ("email", "mail", "emailaddress", "emailadresse", "mailadresse", "emailadress"),
    "country": ("country", "land", "countrycode", "ländercode", "landescode"),
    "language": ("language", "sprache", "lang", "locale"),
    "timestamp": ("zeitstempel", "timestamp", "submittedat", "submissiondate", "completiontime",
                  "fertigstellungszeit", "submittedon", "eingereicht", "datetime"),
}
FIELDS = tuple(ALIASES)
REQUIRED = ("vin",)
# Single words that name a field anywhere inside a longer question ("Wie lautet die FIN Ihres Autos?").
_TOKENS: dict[str, tuple[str, ...]] = {
    "vin": ("vin", "fin", "fahrgestellnummer", "fahrgestellnr", "chassisnummer", "chassisnumber"),
    "order_id": ("bestellnummer", "ordernumber", "auftragsnummer"),
    "email": ("email", "emailadresse", "emailaddress"),
    "name": ("name",),
    "country": ("country", "land"),
    "language": ("language", "sprache"),
    "timestamp": ("zeitstempel", "timestamp"),
}
_LOOKED_FOR = {"order_id": "order_id, Order ID, Bestellnummer, Bestell-Nr",
               "vin": "vin, VIN (17 characters), FIN, Fahrgestellnummer (FIN), chassis"}

ORDERS_HELP = (
    f"Order files: {FORMATS_HELP}. The header row may follow title lines (it is looked for in "
    "the first 20 rows); the first sheet with such a header is read unless a sheet is named."
)
COLUMNS_HELP = (
    "Columns (German or English, question-style headers such as 'Fahrgestellnummer (FIN)' or "
    "'Ihr Name' are understood): VIN (required: vin, FIN, Fahrgestellnummer, chassis; 'VIN: ...' "
    "in a cell is fine); order id (optional: order_id, Order ID, Bestellnummer, Bestell-Nr, ID; "
    "without it ids are made from the file name and line, or the form's Zeitstempel/Timestamp); "
    "name (Name, Ihr Name, Besitzer, Owner, or Vorname + Nachname); email (E-Mail, "
    "E-Mail-Adresse); country (Land, Country); language (Sprache, Language). Override a column "
    "with FIELD=\"Header text\", e.g. vin=\"Fahrgestellnummer (FIN)\"; FIELD= (empty) ignores it."
)

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
    return re.sub(r"[\s\-_.#:/()?*!\[\]'\"’]+", "", unicodedata.normalize("NFKC", header).casefold())


_BRACKETS = re.compile(r"\([^)]*\)|\[[^\]]*\]|\{[^}]*\}")
_POSSESSIVE = re.compile(r"^(?:ihr|ihre|ihren|ihrer|ihres|dein|deine|deinen|your|the|bitte|please|"
                         r"enter|eingabe|angabe)\s+")


def _cleaned(header: str) -> str:
    """A question-style header reduced to its subject: 'Ihr Name:' -> 'name',
    'Fahrgestellnummer (FIN)' -> 'fahrgestellnummer', 'VIN (17 characters) *' -> 'vin'."""
    t = unicodedata.normalize("NFKC", header).casefold()
    t = _BRACKETS.sub(" ", t)
    t = re.sub(r"[\s:?*!.]+$", "", t.strip())
    t = " ".join(t.split())
    while True:
        u = _POSSESSIVE.sub("", t)
        if u == t:
            break
        t = u
    return _key(t)


def _tokens(header: str) -> set[str]:
    t = unicodedata.normalize("NFKC", header).casefold().replace("e-mail", "email")
    return set(re.findall(r"[^\W_]+", t))


_ALIAS_INDEX = {alias: f for f, names in ALIASES.items() for alias in names}


def decode(data: bytes) -> str:
    """Bytes of a text export -> text (BOMs honoured; UTF-8; Windows-1252 or Mac Roman)."""
    return _decode_text(data, "file")[0]


def sniff_delimiter(header_line: str) -> str:
    """The delimiter of CSV text (one line or several): tab, ';', ',' or '|'."""
    return _sniff_lines(header_line.splitlines(keepends=True) or [header_line])


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


def _brief(c: str, max_len: int = 40) -> str:
    c = " ".join(c.split())
    return c if len(c) <= max_len else c[:max_len - 1] + "\u2026"


def _brief_list(cells: Sequence[str], max_cells: int = 12, max_len: int = 40) -> str:
    """Header cells for a message: each on one line and shortened, at most ``max_cells``."""
    shown = ", ".join(_brief(c, max_len) for c in cells[:max_cells])
    more = len(cells) - max_cells
    return shown + (f" and {more} more" if more > 0 else "")


def clean_cell(text: str) -> str:
    """A cell as a person meant it: trimmed, NUL and control characters removed."""
    if text.isprintable():
        return text.strip()
    return _CONTROL.sub("", text).strip()


# --- VIN cells --------------------------------------------------------------------------------------
_VIN_LABEL = re.compile(r"^\s*(?:vin|fin|fahrgestell(?:nummer|-?nr\.?)|chassis(?:\s*(?:number|no\.?|nr\.?))?|"
                        r"vehicle identification number)\s*(?:[:#=\-]|\.\s|\s)\s*", re.IGNORECASE)
_VIN_TOKEN = re.compile(r"(?<![A-Z0-9])[A-Z0-9]{17}(?![A-Z0-9])")
_SHORT = re.compile(r"^[A-Z]{2}[0-9]{5}$")
_SPLIT = re.compile(r"\s*(?:[,;/|&+\n\r]|\s(?:and|und|oder|or)\s)\s*", re.IGNORECASE)


_FULL = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")
_MANY = re.compile(r"[,;/|&+\n\r]|\s(?:and|und|oder|or)\s", re.IGNORECASE)


def _vin_shaped(n: str) -> bool:
    return bool(_FULL.match(n) or _SHORT.match(n))


def extract_vin(cell: str) -> tuple[str, str]:
    """(vin, problem) from a VIN cell as typed: the normalised VIN (17 or 7 characters when
    recognisable; otherwise the normalised cell, for the register to refuse with its reason),
    and a reason when the cell holds two VIN-shaped values ("" otherwise).
    'VIN: WBSUR915X0VS94332', 'FIN wbs ur91 5x0 vs94332' and 'WBS...332 (schwarz)' are accepted."""
    n = normalize(cell)
    if len(n) in (7, 17) and not _MANY.search(cell) and (cell.isalnum() or not _VIN_LABEL.match(cell)):
        return n, ""  # the common case: one VIN as typed, maybe with spaces or dashes
    found = [t for t in dict.fromkeys(_VIN_TOKEN.findall(cell.upper())) if _vin_shaped(t)
             and any(ch.isdigit() for ch in t) and any(ch.isalpha() for ch in t)]
    parts = [normalize(_VIN_LABEL.sub("", p)) for p in _SPLIT.split(cell) if p.strip()]
    shaped = list(dict.fromkeys([p for p in parts if _vin_shaped(p)] + found))
    if len(shaped) >= 2:
        return n, (f"the VIN cell holds two VINs, {shaped[0]} and {shaped[1]}"
                   f"{' (and more)' if len(shaped) > 2 else ''}: one plaque per line, put each on its own line")
    if len(n) in (7, 17):
        return n, ""
    if len(found) == 1:
        return found[0], ""
    rest = normalize(_VIN_LABEL.sub("", cell))
    if len(rest) in (7, 17):
        return rest, ""
    if len(shaped) == 1:
        return shaped[0], ""
    return n, ""


# --- the result ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class OrderFile:
    """What reading an order file gives: accepted orders and refused lines, in file order.

    path: the file's name as shown to the user ("standard input" for "-").
    format: what was read, e.g. "CSV (Mac Roman, ';')" or "xlsx, sheet 'Bestellungen'".
    header: the header row's cells; header_line: its line (spreadsheet row) number.
    columns: (field, header cell) for every column used, e.g. ("vin", "Fahrgestellnummer (FIN)").
    skipped: (line, text) of the title lines above the header.
    ids_generated: True when the file has no order id column and ids were made
    (id_note says how, in one sentence). warnings: sentences the summary must show
    (uncertain encoding, replaced bytes, ignored options).
    delimiter, encoding_note: CSV delimiter and codec ("" for spreadsheets); sheet: sheet read.
    """

    path: str
    orders: tuple[Order, ...]
    rejects: tuple[Reject, ...]
    header: tuple[str, ...]
    delimiter: str
    encoding_note: str
    format: str = ""
    sheet: str = ""
    header_line: int = 1
    columns: tuple[tuple[str, str], ...] = ()
    skipped: tuple[tuple[int, str], ...] = ()
    ids_generated: bool = False
    id_note: str = ""
    warnings: tuple[str, ...] = ()

    @property
    def lines_read(self) -> int:
        return len(self.orders) + len(self.rejects)

    def notes(self) -> tuple[str, ...]:
        """The sentences a summary shows before its counts: what was read, skipped title lines,
        generated ids, warnings."""
        out = [f"Read {self.path} as {self.format}, header on line {self.header_line}."]
        if self.skipped:
            shown = "; ".join(f"line {n}: {_brief(t)!r}" for n, t in self.skipped[:5])
            more = f" and {len(self.skipped) - 5} more" if len(self.skipped) > 5 else ""
            out.append(f"Skipped {len(self.skipped)} title line{'s' if len(self.skipped) != 1 else ''} "
                       f"above the header ({shown}{more}).")
        if self.id_note:
            out.append(self.id_note)
        out.extend(self.warnings)
        return tuple(out)


# --- reading ---------------------------------------------------------------------------------------
def read_orders(path: str | os.PathLike, *, sheet: str | None = None,
                columns: Mapping[str, str] | None = None, encoding: str | None = None,
                stdin: BinaryIO | None = None) -> OrderFile:
    """Read an order file (CSV/TSV/TXT, .xlsx/.xlsm/.xls/.ods; ``"-"`` reads standard input).

    sheet: the sheet to read (default: the first with a recognisable header).
    columns: field -> header text overrides, e.g. ``{"vin": "Fahrgestellnummer (FIN)"}``
    (fields: see FIELDS; an empty text ignores that field). encoding: the codec of a text
    file (default: detected). Raises OrdersError for a fatal problem (one sentence).
    """
    overrides = _overrides(columns)
    try:
        table = read_table(path, sheet=sheet, encoding=encoding, what="order file", stdin=stdin,
                           has_header=lambda rows: _header_index(rows, overrides) is not None)
    except TableError as e:
        raise OrdersError(str(e)) from None
    return _from_table(table, overrides, _id_base(path))


def parse_orders(data: bytes, name: str = "orders", *, sheet: str | None = None,
                 columns: Mapping[str, str] | None = None, encoding: str | None = None) -> OrderFile:
    """Parse the bytes of an order file (see read_orders)."""
    overrides = _overrides(columns)
    try:
        table = parse_table(data, name=name, sheet=sheet, encoding=encoding, what="order file",
                            has_header=lambda rows: _header_index(rows, overrides) is not None)
    except TableError as e:
        raise OrdersError(str(e)) from None
    return _from_table(table, overrides, _id_base(name))


def _overrides(columns: Mapping[str, str] | None) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in (columns or {}).items():
        f = _ALIAS_INDEX.get(_key(str(k)), _key(str(k)).replace("orderid", "order_id"))
        f = {"firstname": "first_name", "lastname": "last_name", "orderid": "order_id"}.get(f, f)
        if f not in ALIASES:
            raise OrdersError(f"unknown column field {k!r} (fields: {', '.join(FIELDS)}).")
        out[f] = " ".join(str(v).split())
    return out


def _id_base(path: object) -> str:
    if str(path) in ("-", "standard input"):
        return "stdin"
    stem = Path(str(path)).stem
    base = re.sub(r"[^A-Za-z0-9]+", "-", unicodedata.normalize("NFKD", stem).encode("ascii", "ignore")
                  .decode()).strip("-")
    return base[:24].strip("-") or "orders"


def _match_columns(header: Sequence[str], overrides: Mapping[str, str],
                   name: str, line: int, strict: bool) -> dict[str, int] | None:
    """field -> column index for a header row; None if it has no VIN column.
    strict: raise OrdersError for an ambiguous match or a missing override column."""
    cells = [clean_cell(h) for h in header]
    columns: dict[str, int] = {}
    claimed: set[int] = set()
    for f, text in overrides.items():
        if not text:
            columns[f] = -1
            continue
        want = text.casefold()
        hits = [i for i, h in enumerate(cells) if " ".join(h.split()).casefold() == want]
        if not hits:
            hits = [i for i, h in enumerate(cells) if h and _key(h) == _key(text)]
        if not hits:
            if strict:
                raise OrdersError(f"{name} line {line}: there is no column {text!r} for {f} "
                                  f"(the header has {_brief_list([h for h in cells if h]) or 'nothing'}).")
            return None
        columns[f] = hits[0]
        claimed.add(hits[0])
    for level in (1, 2):
        found: dict[str, list[int]] = {}
        for i, h in enumerate(cells):
            if not h or i in claimed:
                continue
            if level == 1:
                f = _ALIAS_INDEX.get(_cleaned(h)) or _ALIAS_INDEX.get(_key(h))
                hits = [f] if f else []
            else:
                toks = _tokens(h)
                hits = [f for f, words in _TOKENS.items() if toks.intersection(words)]
            for f in hits[:1]:
                if f not in columns:
                    found.setdefault(f, []).append(i)
        for f, idx in found.items():
            if len(idx) > 1 and f != "timestamp" and strict:
                label = "VIN" if f == "vin" else f.replace("_", " ")
                raise OrdersError(
                    f"{name} line {line}: more than one column could be the {label} "
                    f"({' and '.join(repr(_brief(cells[i])) for i in idx[:4])}): say which one, "
                    f"e.g. {f}=\"{_brief(cells[idx[0]])}\".")
            columns[f] = idx[0]
            claimed.add(idx[0])
    columns = {f: i for f, i in columns.items() if i >= 0}
    return columns if "vin" in columns else None


def _header_index(rows: Sequence[tuple[str, ...]], overrides: Mapping[str, str]) -> int | None:
    """Index of the header among the first rows: the row with a VIN column and the most recognised
    columns (the earliest of equals); a one-cell row only when no row has more cells."""
    widest = max((sum(1 for c in r if c.strip()) for r in rows[:HEADER_SEARCH_ROWS]), default=0)
    best, best_n = None, 0
    for i, cells in enumerate(rows[:HEADER_SEARCH_ROWS]):
        width = sum(1 for c in cells if c.strip())
        if width < 2 and widest >= 2:
            continue
        cols = _match_columns(cells, overrides, "", 0, strict=False)
        if cols is not None and len(cols) > best_n:
            best, best_n = i, len(cols)
    return best


def _from_table(table: Table, overrides: Mapping[str, str], id_base: str) -> OrderFile:
    name = table.name
    rows = list(table.rows)
    if not rows:
        raise OrdersError(f"{name} is empty: it has no header line and no orders.")
    h = _header_index([r.cells for r in rows], overrides)
    if h is None:
        if overrides.get("vin"):
            _match_columns(rows[0].cells, overrides, name, rows[0].line, strict=True)
        top = rows[:HEADER_SEARCH_ROWS]
        guess = max(top, key=lambda r: sum(1 for c in r.cells if c.strip()))
        found = _brief_list([clean_cell(c) for c in guess.cells if c.strip()]) or "nothing"
        where = f" (sheet {table.sheet!r})" if table.sheet else ""
        raise OrdersError(f"{name}{where} has no VIN column in its first {HEADER_SEARCH_ROWS} rows "
                          f"(looked for {_LOOKED_FOR['vin']}; found {found}).")
    head = rows[h]
    header = tuple(clean_cell(c) for c in head.cells)
    columns = _match_columns(head.cells, overrides, name, head.line, strict=True)
    assert columns is not None
    skipped = tuple((r.line, " ".join(clean_cell(c) for c in r.cells if c.strip())) for r in rows[:h])
    ids_generated = "order_id" not in columns
    stamp_col = columns.get("timestamp")
    id_note = ""
    if ids_generated:
        how = (f"the form's timestamp ({header[stamp_col]!r})" if stamp_col is not None
               else "the line number")
        id_note = (f"{name} has no order id column: each line got an id made from the file name and "
                   f"{how}, e.g. {id_base}-{'T…' if stamp_col is not None else f'L{head.line + 1}'}.")

    csv_kind = table.kind == "csv"
    orders: list[Order] = []
    rejects: list[Reject] = []
    stamps_seen: dict[str, int] = {}
    body = rows[h + 1:]
    i = 0
    while i < len(body):
        row = body[i]
        i += 1
        if csv_kind and row.end > row.line and _swallows_lines(row.cells, table.delimiter, len(header),
                                                               columns["vin"]):
            # An unclosed quote ran on into the next lines: refuse this line only, and
            # read the following lines again on their own, so none is silently lost.
            oid, vin = (clean_cell(row.cells[columns[f]]) if f in columns and columns[f] < len(row.cells)
                        and not _BREAK.search(row.cells[columns[f]]) else "" for f in ("order_id", "vin"))
            rejects.append(Reject(row.line, oid, vin, f"unclosed quote: a quoted value on this line "
                                  f"runs on to line {row.end}; close the quote and order again",
                                  (("line as written", clean_cell(table._lines[row.line - 1])),)))
            body[i:] = reparse_csv(table._lines, table.delimiter, row.line + 1)
            continue
        gen = ""
        if ids_generated:
            stamp = clean_cell(row.cells[stamp_col]) if stamp_col is not None and stamp_col < len(row.cells) \
                else ""
            if stamp:
                n = stamps_seen[stamp] = stamps_seen.get(stamp, 0) + 1
                digest = hashlib.sha256(stamp.encode()).hexdigest()[:8]
                gen = f"{id_base}-T{digest}" + (f"-{n}" if n > 1 else "")
            else:
                gen = f"{id_base}-L{row.line}"
        result = _row(row, header, columns, csv_kind, gen)
        (orders if isinstance(result, Order) else rejects).append(result)
    return OrderFile(path=name, orders=tuple(orders), rejects=tuple(rejects), header=header,
                     delimiter=table.delimiter, encoding_note=table.encoding, format=table.format,
                     sheet=table.sheet, header_line=head.line,
                     columns=tuple((f, header[i]) for f, i in sorted(columns.items(), key=lambda x: x[1])),
                     skipped=skipped, ids_generated=ids_generated, id_note=id_note,
                     warnings=table.warnings)


_BREAK = re.compile(r"\r\n|\r|\n")
_EDGES = re.compile(r"^[\W_]+|[\W_]+$")  # padding around a cell's text


def _swallows_lines(row: Sequence[str], delimiter: str, width: int, vin_col: int) -> bool:
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


def _row(row: Row, header: tuple[str, ...], columns: dict[str, int], csv_kind: bool,
         generated_id: str) -> Order | Reject:
    cells = row.cells

    def cell(f: str) -> str:
        i = columns.get(f)
        return clean_cell(cells[i]) if i is not None and i < len(cells) else ""

    raw = tuple((header[i] if i < len(header) and header[i] else f"column {i + 1}", clean_cell(v))
                for i, v in enumerate(cells))
    order_id = generated_id or cell("order_id")
    typed_vin = cell("vin")
    vin, problem = extract_vin(typed_vin)
    raw_vin = cells[columns["vin"]] if columns["vin"] < len(cells) else ""
    if vin and _CONTROL.search(_EDGES.sub("", raw_vin)):
        # A NUL or control character between a VIN's characters is a damaged cell: what is left
        # after removing it may be another car's VIN, so it is never silently dropped.
        problem = ("the VIN cell holds a control character (a NUL or similar from a damaged export) "
                   "between its characters; type the VIN again")
    if csv_kind and len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        return Reject(row.line, order_id, typed_vin,
                      f"line has {len(cells)} fields but the header has {len(header)}: "
                      "probably an unquoted delimiter inside a value", raw)
    if not order_id:
        return Reject(row.line, order_id, typed_vin, "no order id given", raw)
    if not vin:
        return Reject(row.line, order_id, typed_vin, "no VIN given", raw)
    if problem:
        return Reject(row.line, order_id, typed_vin, problem, raw)
    name = cell("name")
    if not name:
        name = " ".join(p for p in (cell("first_name"), cell("last_name")) if p)
    return Order(line=row.line, order_id=order_id, vin=vin, name=name, email=cell("email"),
                 country=normalize_country(cell("country")),
                 language=normalize_language(cell("language")), raw=raw)
