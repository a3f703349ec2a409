"""Any tabular file -> rows of text cells, as the person who made the file sees them.

Reads CSV/TSV/TXT exports (encoding and delimiter detected, or given) and spreadsheets
(.xlsx/.xlsm/.xlsb, .xls, .ods through python-calamine), from a path or from standard
input (``"-"``). The format is told by the file's first bytes, not by its name, so an
Excel file saved as ``orders.csv`` is still read as Excel.

Cells become text the way a spreadsheet shows them: ``1`` not ``1.0`` for a whole
number, dates as ISO text (``2025-09-01``, ``2025-09-01 14:03:00``), text cells as
typed (leading zeros kept), booleans ``TRUE``/``FALSE``. Row numbers are the
spreadsheet's own (row 1 is the sheet's first row) or the physical line of a CSV file
where the row starts, so a message can point at what the user sees.

Encodings of text files: a BOM (UTF-8, UTF-16, UTF-32) is honoured; UTF-16 without a
BOM is recognised by its zero bytes; valid UTF-8 is UTF-8; otherwise Windows-1252 and
Mac Roman (Excel for Mac's "CSV Macintosh") are told apart by which of the two decodings
reads as words (accented letters inside words, not symbols or capitals in mid-word).
When the guess is uncertain, or bytes had to be replaced, ``Table.warnings`` says so.
"""
from __future__ import annotations

import codecs
import csv
import datetime as _dt
import io
import os
import re
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, Callable, Sequence

from ..core.errors import PlaquegenError

__all__ = ["MAX_FILE_BYTES", "MAX_UNZIPPED_BYTES", "MAX_SHEET_XML_BYTES", "MAX_SHEET_CELLS", "FORMATS_HELP", "Row", "Table",
           "TableError", "cell_text", "detect_encoding", "parse_table", "read_table", "reparse_csv",
           "sniff_delimiter"]

csv.field_size_limit(16 * 1024 * 1024)

MAX_FILE_BYTES = 64 * 1024 * 1024          # any input file, compressed or not
MAX_UNZIPPED_BYTES = 128 * 1024 * 1024     # the parts of an .xlsx/.ods together, unpacked
MAX_SHEET_XML_BYTES = 64 * 1024 * 1024     # one worksheet's XML, unpacked (6,342 cars: ~1 MB)
MAX_SHEET_CELLS = 4_000_000                # rows x columns of a sheet's used range
HEADER_SEARCH_ROWS = 20                    # non-blank rows looked at for a header

FORMATS_HELP = ("CSV/TSV/TXT (UTF-8, UTF-16, Windows-1252 or Mac Roman; ',' ';' or tab), "
                "Excel .xlsx/.xlsm/.xls, OpenDocument .ods; '-' reads standard input")

_ENCODING_NAMES = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8", "utf-16": "UTF-16", "utf-16-le": "UTF-16",
                   "utf-16-be": "UTF-16", "utf-32": "UTF-32", "cp1252": "Windows-1252",
                   "mac_roman": "Mac Roman", "ascii": "ASCII"}
_DELIMITER_NAMES = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


class TableError(PlaquegenError):
    """The file cannot be read as a table; str() is one sentence on one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()))


@dataclass(frozen=True)
class Row:
    """One non-blank row. line: spreadsheet row number (1-based) or the physical line a CSV
    row starts on; end: the last physical line it spans (== line except for quoted line breaks)."""

    line: int
    cells: tuple[str, ...]
    end: int = 0


@dataclass(frozen=True)
class Table:
    """A file read as rows of text cells (blank rows left out, numbering kept).

    kind: "csv", "xlsx", "xls" or "ods"; sheet: the sheet read ("" for CSV);
    encoding: Python codec name for CSV ("" for spreadsheets); delimiter: CSV only;
    warnings: sentences the run must show (uncertain encoding, replaced bytes, ignored options).
    """

    name: str
    kind: str
    rows: tuple[Row, ...]
    sheet: str = ""
    sheets: tuple[str, ...] = ()
    encoding: str = ""
    delimiter: str = ""
    warnings: tuple[str, ...] = ()
    _lines: tuple[str, ...] = field(default=(), repr=False, compare=False)

    @property
    def format(self) -> str:
        """What was read, for a summary: "CSV (Windows-1252, ';')" or "xlsx, sheet 'Orders'"."""
        if self.kind == "csv":
            enc = _ENCODING_NAMES.get(self.encoding, self.encoding)
            return f"CSV ({enc}, {_DELIMITER_NAMES.get(self.delimiter, repr(self.delimiter))})"
        return f"{self.kind}, sheet '{self.sheet}'"


# --- cells -----------------------------------------------------------------------------------------
def cell_text(value: object) -> str:
    """A spreadsheet cell value -> the text a person sees in the cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value != value or value in (float("inf"), float("-inf")):
            return ""
        if value.is_integer() and abs(value) < 1e16:
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, _dt.datetime):
        if value.time() == _dt.time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ", timespec="seconds")
    if isinstance(value, (_dt.date, _dt.time)):
        return value.isoformat()
    return str(value)


# --- reading ---------------------------------------------------------------------------------------
def _read_bytes(path: str | os.PathLike, what: str, stdin: BinaryIO | None) -> tuple[bytes, str]:
    """The file's bytes and the name used in messages; TableError for a file that cannot be read."""
    if str(path) == "-":
        src = stdin if stdin is not None else sys.stdin.buffer
        data = src.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            raise TableError(f"standard input holds more than {MAX_FILE_BYTES // 1_000_000} MB; "
                             f"{what}s over that are refused.")
        return data, "standard input"
    p = Path(path)
    try:
        if p.is_dir():
            raise TableError(f"{p} is a folder, not {_a(what)}.")
        size = p.stat().st_size
        if size > MAX_FILE_BYTES:
            raise TableError(f"{p.name} is {size // 1_000_000} MB; {what}s over "
                             f"{MAX_FILE_BYTES // 1_000_000} MB are refused.")
        return p.read_bytes(), p.name or str(p)
    except FileNotFoundError:
        raise TableError(f"{what} {p} does not exist.") from None
    except PermissionError:
        raise TableError(f"{what} {p} cannot be read (permission denied).") from None
    except OSError as e:
        raise TableError(f"{what} {p} cannot be read: {e.strerror or e}.") from None


def _a(what: str) -> str:
    return ("an " if what[:1] in "aeiou" else "a ") + what


def read_table(path: str | os.PathLike, *, sheet: str | None = None, encoding: str | None = None,
               has_header: Callable[[Sequence[tuple[str, ...]]], bool] | None = None,
               what: str = "file", stdin: BinaryIO | None = None, strict: bool = False) -> Table:
    """Read a CSV or spreadsheet file (``"-"``: standard input) as a Table.

    sheet: the sheet to read by name (default: the first sheet whose first non-blank rows
    satisfy ``has_header``, else the first sheet). encoding: the codec of a text file
    (default: detected). what: the kind of file for messages ("order file"). strict: a file
    whose cells never hold a line break or a NUL (a register): a quoted cell that runs over
    lines (a stray quote would swallow the rows up to the next one) or a NUL is refused.
    Raises TableError (one sentence) when the file cannot be read.
    """
    data, name = _read_bytes(path, what, stdin)
    table = parse_table(data, name=name, sheet=sheet, encoding=encoding, has_header=has_header, what=what)
    if strict:
        _refuse_broken_cells(table, what)
    return table


def _refuse_broken_cells(table: Table, what: str) -> None:
    """TableError for the first row of a strict file whose cells span lines or hold a NUL."""
    for row in table.rows:
        if row.end > row.line:
            raise TableError(f"{table.name} line {row.line}: a quote opens a value that runs on to line "
                             f"{row.end}, swallowing the rows between (a stray quote?); a {what} has no "
                             "line breaks inside values: fix the quoting.")
        if any("\x00" in c or "\n" in c or "\r" in c for c in row.cells):
            raise TableError(f"{table.name} row {row.line} holds a NUL byte or a line break inside a value: "
                             f"a damaged {what}; export it again.")


def parse_table(data: bytes, *, name: str = "file", sheet: str | None = None, encoding: str | None = None,
                has_header: Callable[[Sequence[tuple[str, ...]]], bool] | None = None,
                what: str = "file") -> Table:
    """Read the bytes of a CSV or spreadsheet file as a Table (see read_table)."""
    kind = _sniff_kind(data, name)
    if kind == "csv":
        warnings = []
        if sheet:
            warnings.append(f"{name} is a text file with no sheets: the sheet name {sheet!r} was ignored.")
        return _parse_csv(data, name, encoding, warnings, has_header)
    warnings = []
    if encoding:
        warnings.append(f"{name} is a {kind} spreadsheet, which names its own encoding: "
                        f"the encoding {encoding!r} was ignored.")
    return _parse_sheet(data, name, kind, sheet, has_header, warnings)


def _sniff_kind(data: bytes, name: str) -> str:
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as z:
                infos = z.infolist()
                names = {i.filename for i in infos}
        except (zipfile.BadZipFile, ValueError, OSError) as e:
            raise TableError(f"{name} looks like a zip file (an Excel or OpenDocument file) "
                             f"but cannot be opened ({e}).") from None
        if sum(i.file_size for i in infos) > MAX_UNZIPPED_BYTES or len(infos) > 10_000:
            raise TableError(f"{name} unpacks to more than {MAX_UNZIPPED_BYTES // 1_000_000} MB; "
                             "such spreadsheets are refused.")
        if "xl/workbook.xml" in names or "xl/workbook.bin" in names:
            return "xlsx"
        if "content.xml" in names:
            return "ods"
        if any(n.startswith("Index/") and n.endswith(".iwa") for n in names):
            raise TableError(f"{name} is an Apple Numbers file, which cannot be read: export it as "
                             "CSV or Excel (File > Export To).")
        raise TableError(f"{name} is a zip file but not an Excel (.xlsx) or OpenDocument (.ods) "
                         "spreadsheet.")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "xls"
    if data.startswith(b"%PDF"):
        raise TableError(f"{name} is a PDF document, not a table: export the orders as CSV or Excel.")
    return "csv"


# --- spreadsheets ------------------------------------------------------------------------------------
def _parse_sheet(data: bytes, name: str, kind: str, sheet: str | None,
                 has_header: Callable[[Sequence[tuple[str, ...]]], bool] | None,
                 warnings: list[str]) -> Table:
    try:
        import python_calamine as pc
    except ImportError:  # pragma: no cover - a declared dependency
        raise TableError(f"{name} is a spreadsheet, and reading spreadsheets needs the package "
                         "python-calamine (pip install python-calamine).") from None
    if kind == "xlsx":
        _check_xlsx_extent(data, name)  # before calamine allocates the sheet's range
    try:
        wb = pc.CalamineWorkbook.from_filelike(io.BytesIO(data))
        names = tuple(wb.sheet_names)
    except Exception as e:  # calamine raises its own errors, and ValueError/OSError
        raise TableError(f"{name} cannot be read as a {kind} spreadsheet ({_brief(e)}).") from None
    if not names:
        raise TableError(f"{name} has no sheets.")
    try:
        if sheet is not None:
            chosen = next((s for s in names if s == sheet), None) or \
                next((s for s in names if s.casefold() == sheet.strip().casefold()), None)
            if chosen is None:
                raise TableError(f"{name} has no sheet {sheet!r} (its sheets: "
                                 f"{', '.join(repr(s) for s in names[:12])}).")
        else:
            chosen = names[0]
            if has_header is not None and len(names) > 1:
                headed = [s for s in names
                          if has_header([r.cells for r in _sheet_rows(wb, s, name, HEADER_SEARCH_ROWS)])]
                chosen = headed[0] if headed else chosen
                for other in headed[1:]:  # never ignored without a word
                    warnings.append(f"sheet {other!r} of {name} also has a header like this one's and was "
                                    f"not read; read it with --sheet {other!r} (as its own batch).")
        rows = _sheet_rows(wb, chosen, name, None)
    except TableError:
        raise
    except Exception as e:
        raise TableError(f"{name} cannot be read as a {kind} spreadsheet ({_brief(e)}).") from None
    return Table(name=name, kind=kind, rows=tuple(rows), sheet=chosen, sheets=names,
                 warnings=tuple(warnings))


_CELL_REF = re.compile(rb'<(?:\w+:)?c\b[^>]*?\sr="([A-Z]{1,3})([0-9]{1,7})"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="(?:[A-Z]{1,3}[0-9]{1,7}:)?([A-Z]{1,3})([0-9]{1,7})"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _check_xlsx_extent(data: bytes, name: str) -> None:
    """Refuse an .xlsx whose sheets would be too big to load, before loading them: each
    worksheet is unpacked in pieces (never more than MAX_SHEET_XML_BYTES, whatever the zip
    claims) and its declared dimension and every cell reference are read, so one cell at
    XFD1048576 or twelve million copies of a row are refused in a second, not after
    gigabytes (a reader that trusts them allocates the whole range, or aborts)."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        for info in z.infolist():
            if not (info.filename.startswith("xl/worksheets/") and info.filename.endswith(".xml")):
                continue
            rows = cols = 0
            size = 0
            tail = b""
            with z.open(info) as f:
                while True:
                    chunk = f.read(1 << 20)
                    if not chunk:
                        break
                    size += len(chunk)
                    if size > MAX_SHEET_XML_BYTES:
                        raise TableError(f"a sheet of {name} unpacks to more than "
                                         f"{MAX_SHEET_XML_BYTES // 1_000_000} MB; such spreadsheets are "
                                         "refused (save only the rows you need).")
                    buf = tail + chunk
                    for pattern in (_DIMENSION, _CELL_REF):
                        for m in pattern.finditer(buf):
                            cols = max(cols, _column_number(m.group(1)))
                            rows = max(rows, int(m.group(2)))
                    tail = buf[-256:]
            if rows * max(cols, 1) > MAX_SHEET_CELLS:
                raise TableError(f"a sheet of {name} spans {rows:,} rows by {cols:,} columns; sheets over "
                                 f"{MAX_SHEET_CELLS:,} cells are refused (delete the stray far-away cells).")


def _sheet_rows(wb, sheet: str, name: str, limit: int | None) -> list[Row]:
    """Non-blank rows of a sheet with their spreadsheet row numbers (trailing blank cells cut)."""
    sh = wb.get_sheet_by_name(sheet)
    if sh.height * max(sh.width, 1) > MAX_SHEET_CELLS:
        raise TableError(f"sheet {sheet!r} of {name} spans {sh.height:,} rows by {sh.width:,} columns; "
                         f"sheets over {MAX_SHEET_CELLS:,} cells are refused (delete the stray far-away cells).")
    rows: list[Row] = []
    for i, values in enumerate(sh.iter_rows(), start=1):
        cells = [cell_text(v) for v in values]
        while cells and not cells[-1].strip():
            cells.pop()
        if cells:
            rows.append(Row(i, tuple(cells), i))
            if limit is not None and len(rows) >= limit:
                break
    return rows


def _brief(e: Exception) -> str:
    text = " ".join(str(e).split()) or type(e).__name__
    return text if len(text) <= 120 else text[:119] + "\u2026"


# --- text files ----------------------------------------------------------------------------------
def _parse_csv(data: bytes, name: str, encoding: str | None, warnings: list[str],
               has_header: Callable[[Sequence[tuple[str, ...]]], bool] | None = None) -> Table:
    text, enc, notes = decode_text(data, name, encoding)
    warnings.extend(notes)
    sample = data[:8192]
    controls = sum(1 for b in sample if b < 9 or 13 < b < 32) if not enc.startswith(("utf-16", "utf-32")) else 0
    if controls > max(16, len(sample) // 10):
        raise TableError(f"{name} is not a text table (it holds binary data): save it as CSV or Excel.")
    nuls = text.count("\x00")
    if nuls:  # kept in the cells: each reader decides (a NUL inside a VIN is refused, not dropped)
        warnings.append(f"{name} holds {nuls} NUL byte(s) (first on line {_line_of(text, text.index(chr(0)))}): "
                        "a damaged export; check those lines.")
    lines = tuple(io.StringIO(text, newline=""))  # split on \n, \r\n, \r only, as csv does
    first = next((i for i, ln in enumerate(lines) if ln.strip()), None)
    start = 0
    hint = _SEP_LINE.match(lines[first].strip()) if first is not None else None
    if hint:  # Excel's "sep=;" line names the delimiter and is no row
        start = first + 1
    if hint:
        delimiter = hint.group(1)
    else:
        ranking = _delimiter_ranking(lines[start:start + 60])
        delimiter = ranking[0]
        if has_header is not None and len(ranking) > 1:
            # The delimiter under which a header is found wins (a title line or a column of
            # names with commas can outvote the header line).
            # Of those, the one that splits the header into the most columns: a header read whole
            # as one column (a tab-delimited guess for a comma header) names a VIN column too.
            head = lines[start:start + 200]
            best = -1
            for d in ranking:
                found = [r.cells for r in reparse_csv(head, d, 1)[:HEADER_SEARCH_ROWS]]
                if has_header(found) and len(found[0]) > best:
                    delimiter, best = d, len(found[0])
    rows = reparse_csv(lines, delimiter, start + 1)
    return Table(name=name, kind="csv", rows=tuple(rows), encoding=enc, delimiter=delimiter,
                 warnings=tuple(warnings), _lines=lines)


_SEP_LINE = re.compile(r"^sep=(.)$", re.IGNORECASE)


def reparse_csv(lines: Sequence[str], delimiter: str, from_line: int) -> list[Row]:
    """Rows of the CSV text ``lines`` (physical lines with their ends) read from physical line
    ``from_line`` (1-based) on; blank rows and rows of only delimiters are left out."""
    index = from_line - 1
    reader = csv.reader(io.StringIO("".join(lines[index:]), newline=""), delimiter=delimiter, strict=False)
    rows: list[Row] = []
    prev_end = index  # physical line of the reader's last line = index + reader.line_num
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:  # pragma: no cover - strict=False rarely raises
            prev_end = index + reader.line_num
            continue
        line = prev_end + 1
        prev_end = index + reader.line_num
        if any(c.replace("\x00", "").strip() for c in cells):
            rows.append(Row(line, tuple(cells), prev_end))
    return rows


def _delimiter_ranking(lines: Sequence[str]) -> list[str]:
    """Candidate delimiters, best first: the one that splits the most of the first lines into
    more than one field, then the most lines of one width; ties in the order , ; tab |."""
    sample = "".join(ln for ln in lines[:40])
    scored = []
    for rank, d in enumerate((",", ";", "\t", "|")):
        wide = [len(r) for r in csv.reader(io.StringIO(sample, newline=""), delimiter=d, strict=False)
                if len(r) > 1]
        mode = max(set(wide), key=lambda w: (wide.count(w), w)) if wide else 0
        scored.append(((len(wide), wide.count(mode), mode, -rank), d))
    return [d for score, d in sorted(scored, reverse=True) if score[0]] or [","]


def sniff_delimiter(lines: Sequence[str]) -> str:
    """The delimiter of CSV text: of ',', ';', tab and '|', the one that splits the most of the
    first lines into more than one field (then: the most lines of one width); ',' when none does."""
    return _delimiter_ranking(lines)[0]


# --- encodings ---------------------------------------------------------------------------------------
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))

# Letters of names in the languages of the register's owners, as both single-byte decodings give them.
_NAME_LETTERS = set("àáâãäåæçèéêëìíîïñòóôõöøùúûüýÿßœ" "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜÝŒ" "ðþÐÞ")
_HARMLESS = set("€£¥°§«»–—‘’“”„…•·\u00a0²³½¼¾µ©®™×±¢")


def _oddities(text: str) -> tuple[int, int, int]:
    """(score, odd, first odd position) of a single-byte decoding: +2 per accented letter that sits
    in a word as letters do, and an "odd" mark per undefined byte, control character, symbol
    inside a word, or capital letter in mid-word (J\u0178rgen, Fran\u00c1ois)."""
    score = odd = 0
    first = -1
    n = len(text)
    for i, c in enumerate(text):
        if c < "\x80":
            continue
        prev = text[i - 1] if i else " "
        nxt = text[i + 1] if i + 1 < n else " "
        bad = False
        if c == "\ufffd" or c < "\xa0" or "\ue000" <= c <= "\uf8ff":
            bad = True
        elif c.isalpha():
            if c.isupper() and (prev.islower() or (prev.isupper() and nxt.islower())):
                bad = True
            elif c in _NAME_LETTERS:
                score += 2
            else:
                score -= 1
        elif prev.isalpha() and nxt.isalpha():
            bad = True  # a symbol in mid-word: M\u00b8ller
        elif c not in _HARMLESS:
            score -= 1
        if bad:
            odd += 1
            if first < 0:
                first = i
    return score, odd, first


def detect_encoding(data: bytes) -> tuple[str, bool]:
    """(codec, certain) for the bytes of a text file; see the module docstring for the rule."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return enc, True
    head = data[:4096]
    if len(head) >= 4:
        even, odd = head[0::2].count(0), head[1::2].count(0)
        pairs = len(head) // 2
        if odd > pairs * 0.4 and even < pairs * 0.05:
            return "utf-16-le", True
        if even > pairs * 0.4 and odd < pairs * 0.05:
            return "utf-16-be", True
    try:
        data.decode("utf-8")
        return "utf-8", True
    except UnicodeDecodeError:
        pass
    probe = data.decode("utf-8", errors="replace")
    good = sum(1 for c in probe if c > "\x7f" and c != "\ufffd")
    if good and good >= probe.count("\ufffd"):
        return "utf-8", False  # UTF-8 with some broken bytes
    win = _oddities(data.decode("cp1252", errors="replace"))
    mac = _oddities(data.decode("mac_roman", errors="replace"))
    cr_only = b"\r" in data and b"\n" not in data  # classic Mac line ends: Excel's "CSV Macintosh"
    key_w = (win[1], -win[0], 1 if cr_only else 0)
    key_m = (mac[1], -mac[0], 0 if cr_only else 1)
    if key_m < key_w:
        return "mac_roman", mac[1] == 0 and win[1] > 0
    return "cp1252", win[1] == 0 and mac[1] > 0


def decode_text(data: bytes, name: str, encoding: str | None = None) -> tuple[str, str, list[str]]:
    """(text, codec, warnings) for the bytes of a text file; ``encoding`` overrides detection."""
    notes: list[str] = []
    if encoding:
        try:
            codec = codecs.lookup(encoding.strip().replace(" ", "-")).name
        except LookupError:
            raise TableError(f"unknown encoding {encoding!r} (try utf-8, cp1252, mac_roman or utf-16).") from None
        if codec == "utf-8" and data.startswith(codecs.BOM_UTF8):
            codec = "utf-8-sig"
        text = data.decode(codec, errors="replace")
        bad = text.count("\ufffd")
        if bad:
            notes.append(f"{name}: {bad} byte(s) are not {encoding} and show as \ufffd "
                         f"(first on line {_line_of(text, text.index(chr(0xFFFD)))}).")
        return text, codec, notes
    codec, certain = detect_encoding(data)
    text = data.decode(codec, errors="replace")
    if codec in ("utf-8", "utf-8-sig", "utf-16", "utf-16-le", "utf-16-be", "utf-32"):
        if not certain or "\ufffd" in text:
            i = text.find("\ufffd")
            notes.append(f"{name} is UTF-8 text with {text.count(chr(0xFFFD))} broken byte(s), shown as "
                         f"\ufffd (first on line {_line_of(text, i)}); check the names on those lines.")
        return text, codec, notes
    if not certain:
        other = "mac_roman" if codec == "cp1252" else "cp1252"
        alt = data.decode(other, errors="replace")
        here, pos = _example(text, alt)
        label, other_label = _ENCODING_NAMES[codec], _ENCODING_NAMES[other]
        sample = f": line {_line_of(text, pos)} reads {here[0]!r} (as {other_label}: {here[1]!r})" if here else ""
        notes.append(f"{name}: the encoding is a guess, {label}{sample}; if names look wrong, "
                     f"give the encoding (cp1252, mac_roman, utf-8).")
    return text, codec, notes


def _example(text: str, alt: str) -> tuple[tuple[str, str] | None, int]:
    """The first word that two single-byte decodings read differently (same length texts)."""
    for m in re.finditer(r"[^\s,;|\t\"]*[^\x00-\x7f][^\s,;|\t\"]*", text):
        a, b = m.group(), alt[m.start():m.end()]
        if a != b:
            return (a[:40], b[:40]), m.start()
    return None, 0


def _line_of(text: str, pos: int) -> int:
    if pos < 0:
        return 1
    head = text[:pos]
    return head.count("\n") + head.count("\r") - head.count("\r\n") + 1
