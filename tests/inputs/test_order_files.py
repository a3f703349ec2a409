"""Orders as they really arrive: spreadsheets written by openpyxl, odfpy and xlwt, form exports,
title lines, Mac Roman and Windows-1252 CSVs, standard input. Exact orders and rejects asserted."""
from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
import xlwt
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table as OdfTable, TableCell, TableRow
from odf.text import P

from plaquegen.inputs.numbering import number_orders
from plaquegen.inputs.orders import COLUMNS_HELP, ORDERS_HELP, OrdersError, extract_vin, \
    parse_orders, read_orders
from plaquegen.inputs.tables import cell_text, detect_encoding, read_table

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def cars():
    from plaquegen.inputs.register import load_register
    return load_register().customers()


def _xlsx(path: Path, cars) -> Path:
    """An Excel workbook as an admin keeps it: a title and a blank row above the header, an
    integer order id, a date cell, a postcode typed as text with a leading zero, a second sheet."""
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "Notizen"
    notes.append(["Nur Notizen hier"])
    ws = wb.create_sheet("Bestellungen")
    ws.append(["Bestellungen September 2025"])
    ws.append([])
    ws.append(["Bestell-Nr", "FIN", "Besitzer", "Bestelldatum", "PLZ", "Land"])
    ws.append([1, cars[0].vin, "Jürgen Müller", dt.date(2025, 9, 1), "01067", "Deutschland"])
    ws.append([2.0, f"VIN: {cars[1].vin}", "François Lefèvre", dt.datetime(2025, 9, 2, 14, 3), "07001", "FR"])
    ws.append([])
    ws.append([3, f"{cars[2].vin} / {cars[3].vin}", "Two Cars", dt.date(2025, 9, 3), "00100", "IT"])
    ws.append([4, None, "No Vin", None, None, None])
    ws.append(["0005", cars[4].short_vin.lower(), "Ann", None, None, "AT"])
    wb.save(path)
    return path


def test_xlsx_title_lines_second_sheet_and_cells_as_seen(tmp_path, cars, register):
    of = read_orders(_xlsx(tmp_path / "bestellungen.xlsx", cars))
    assert of.format == "xlsx, sheet 'Bestellungen'" and of.sheet == "Bestellungen"
    assert of.header_line == 3 and of.skipped == ((1, "Bestellungen September 2025"),)
    assert not of.ids_generated and of.warnings == ()
    assert [(o.line, o.order_id, o.vin, o.name, o.country) for o in of.orders] == [
        (4, "1", cars[0].vin, "Jürgen Müller", "DE"),
        (5, "2", cars[1].vin, "François Lefèvre", "FR"),
        (9, "0005", cars[4].short_vin, "Ann", "AT"),
    ]
    raw = dict(of.orders[0].raw)
    assert raw["Bestelldatum"] == "2025-09-01" and raw["PLZ"] == "01067"
    assert dict(of.orders[1].raw)["Bestelldatum"] == "2025-09-02 14:03:00"
    assert [(r.line, r.order_id, r.reason) for r in of.rejects] == [
        (7, "3", f"the VIN cell holds two VINs, {cars[2].vin} and {cars[3].vin}: one plaque per line, "
                 "put each on its own line"),
        (8, "4", "no VIN given"),
    ]
    numbered, refused = number_orders(of.orders, register)
    assert [(n.order.line, n.number) for n in numbered] == [(4, 1), (5, 2), (9, 5)] and refused == []
    assert "Skipped 1 title line above the header (line 1: 'Bestellungen September 2025')." in of.notes()


def test_xlsx_named_sheet_and_unknown_sheet(tmp_path, cars):
    p = _xlsx(tmp_path / "b.xlsx", cars)
    with pytest.raises(OrdersError, match=r"no VIN column .*found Nur Notizen hier"):
        read_orders(p, sheet="Notizen")
    with pytest.raises(OrdersError, match=r"b.xlsx has no sheet 'Orders' \(its sheets: 'Notizen', 'Bestellungen'\)"):
        read_orders(p, sheet="Orders")
    assert read_orders(p, sheet="bestellungen").sheet == "Bestellungen"


def _ods(path: Path, rows) -> Path:
    doc = OpenDocumentSpreadsheet()
    t = OdfTable(name="Tabelle1")
    for values in rows:
        tr = TableRow()
        for v in values:
            if isinstance(v, (int, float)):
                c = TableCell(valuetype="float", value=v)
            elif isinstance(v, dt.date):
                c = TableCell(valuetype="date", datevalue=v.isoformat())
            else:
                c = TableCell(valuetype="string")
            c.addElement(P(text=str(v)))
            tr.addElement(c)
        t.addElement(tr)
    doc.spreadsheet.addElement(t)
    doc.save(str(path))
    return path


def test_ods_from_libreoffice_shape(tmp_path, cars):
    p = _ods(tmp_path / "orders.ods", [["Order ID", "VIN (17 characters)", "Your name:", "Date"],
                                       [17, cars[5].vin, "Zoë Ødegård", dt.date(2025, 1, 2)],
                                       ["007", f"FIN {cars[6].vin[:3]} {cars[6].vin[3:]}", "Bob", ""]])
    of = read_orders(p)
    assert of.format == "ods, sheet 'Tabelle1'"
    assert [(o.line, o.order_id, o.vin, o.name) for o in of.orders] == [
        (2, "17", cars[5].vin, "Zoë Ødegård"), (3, "007", cars[6].vin, "Bob")]
    assert dict(of.orders[0].raw)["Date"] == "2025-01-02" and of.rejects == ()


def test_xls_written_by_xlwt(tmp_path, cars):
    wb = xlwt.Workbook()
    ws = wb.add_sheet("Sheet1")
    for r, row in enumerate([["Bestellnummer", "Fahrgestellnummer", "Name"],
                             [1001, cars[7].vin, "Łukasz"], [1002.5, "", "Nobody"]]):
        for c, v in enumerate(row):
            ws.write(r, c, v)
    p = tmp_path / "alt.xls"
    wb.save(str(p))
    of = read_orders(p)
    assert of.format == "xls, sheet 'Sheet1'"
    assert [(o.line, o.order_id, o.vin, o.name) for o in of.orders] == [(2, "1001", cars[7].vin, "Łukasz")]
    assert [(r.line, r.order_id, r.reason) for r in of.rejects] == [(3, "1002.5", "no VIN given")]


GOOGLE = ('"Zeitstempel","Fahrgestellnummer (FIN)","Ihr Name","E-Mail-Adresse","Land"\r\n'
          '"2025/09/14 10:23:45 vorm. OEZ","{0}","Jürgen Müller","jm@example.de","Deutschland"\r\n'
          '"2025/09/14 11:02:10 vorm. OEZ","VIN: {1}","Anna","a@example.at","Österreich"\r\n'
          '"2025/09/14 11:02:10 vorm. OEZ","{2}","Same Second","s@example.ch","Schweiz"\r\n'
          '"","{3}","No Stamp","n@example.de",""\r\n')


def test_google_forms_export_without_order_id(tmp_path, cars):
    p = tmp_path / "Plakette (Antworten) - Formularantworten 1.csv"
    p.write_text(GOOGLE.format(cars[0].vin, cars[1].vin, cars[2].vin, cars[3].vin), encoding="utf-8")
    of = read_orders(p)
    assert of.ids_generated and "Zeitstempel" in of.id_note and of.rejects == ()
    got = [(o.line, o.vin, o.name, o.email, o.country) for o in of.orders]
    assert got == [(2, cars[0].vin, "Jürgen Müller", "jm@example.de", "DE"),
                   (3, cars[1].vin, "Anna", "a@example.at", "AT"),
                   (4, cars[2].vin, "Same Second", "s@example.ch", "CH"),
                   (5, cars[3].vin, "No Stamp", "n@example.de", "")]
    ids = [o.order_id for o in of.orders]
    base = "Plakette-Antworten-Formu"
    assert all(i.startswith(base + "-") for i in ids) and len(set(ids)) == 4
    assert ids[2] == ids[1] + "-2" and ids[3] == base + "-L5"
    # stable: the same file read again, and with a response removed above, gives the same ids
    again = read_orders(p)
    assert [o.order_id for o in again.orders] == ids
    lines = GOOGLE.format(cars[0].vin, cars[1].vin, cars[2].vin, cars[3].vin).split("\r\n")
    p.write_text("\r\n".join([lines[0]] + lines[2:]), encoding="utf-8")
    assert [o.order_id for o in read_orders(p).orders][:2] == ids[1:3]
    assert dict(of.columns) == {"timestamp": "Zeitstempel", "vin": "Fahrgestellnummer (FIN)",
                                "name": "Ihr Name", "email": "E-Mail-Adresse", "country": "Land"}


def test_microsoft_forms_shape_with_ambiguous_name_and_override():
    text = ("ID,Start time,Completion time,Email,Name,Ihr Name,Fahrgestellnummer\n"
            "1,9/14/25 10:00:00,9/14/25 10:02:00,anonymous,,Jürgen,VS91531\n")
    with pytest.raises(OrdersError) as e:
        parse_orders(text.encode(), "ms.csv")
    assert str(e.value) == ("ms.csv line 1: more than one column could be the name ('Name' and 'Ihr Name'): "
                            "say which one, e.g. name=\"Name\".")
    of = parse_orders(text.encode(), "ms.csv", columns={"name": "Ihr Name"})
    (o,) = of.orders
    assert (o.order_id, o.vin, o.name, o.email) == ("1", "VS91531", "Jürgen", "anonymous")


def test_column_override_and_its_errors():
    text = "Nummer;Fahrzeug;Wer\nA-1;VS91531;Eva\n"
    with pytest.raises(OrdersError, match="has no VIN column"):
        parse_orders(text.encode())
    of = parse_orders(text.encode(), columns={"vin": "Fahrzeug", "order_id": "Nummer", "name": "wer"})
    assert [(o.order_id, o.vin, o.name) for o in of.orders] == [("A-1", "VS91531", "Eva")]
    with pytest.raises(OrdersError, match=r"there is no column 'Chassis' for vin"):
        parse_orders(text.encode(), "x.csv", columns={"vin": "Chassis"})
    with pytest.raises(OrdersError, match=r"unknown column field 'colour'"):
        parse_orders(text.encode(), columns={"colour": "Fahrzeug"})
    # an empty text ignores a column: the order id is made instead
    of = parse_orders(b"order_id,vin\n9,VS91531\n", "o.csv", columns={"order_id": ""})
    assert of.ids_generated and of.orders[0].order_id == "o-L2"


def test_two_vin_columns_are_ambiguous():
    with pytest.raises(OrdersError, match=r"could be the VIN \('VIN' and 'FIN'\)"):
        parse_orders(b"order,VIN,FIN\n1,VS91531,VS91547\n")


@pytest.mark.parametrize("cell, vin, problem", [
    ("VIN: WBSUR915X0VS94332", "WBSUR915X0VS94332", ""),
    ("FIN wbs ur91 5x0 vs94332", "WBSUR915X0VS94332", ""),
    ("Fahrgestellnummer: WBSUR915X0VS94332 (schwarz)", "WBSUR915X0VS94332", ""),
    ("vin-VS94332", "VS94332", ""),
    ("WBSUR915X0VS94332, WBSUR9C50BVS96566", "", "the VIN cell holds two VINs, WBSUR915X0VS94332 and "
     "WBSUR9C50BVS96566: one plaque per line, put each on its own line"),
    ("VS94332 und VS96566", "", "the VIN cell holds two VINs, VS94332 and VS96566: one plaque per line, "
     "put each on its own line"),
    ("WBS-UR91-5X0-VS94332", "WBSUR915X0VS94332", ""),
    ("keine Ahnung", "KEINEAHNUNG", ""),
])
def test_vin_inside_a_cell(cell, vin, problem):
    got, why = extract_vin(cell)
    assert why == problem
    if not problem:
        assert got == vin


def test_mac_roman_csv_names_are_right_without_a_warning(tmp_path, cars):
    text = (f"Bestell-Nr;FIN;Name\rB1;{cars[0].vin};Jürgen Müller\rB2;{cars[1].vin};François Lefèvre\r")
    p = tmp_path / "mac.csv"
    p.write_bytes(text.encode("mac_roman"))
    of = read_orders(p)
    assert of.format == "CSV (Mac Roman, ';')" and of.warnings == ()
    assert [(o.line, o.name) for o in of.orders] == [(2, "Jürgen Müller"), (3, "François Lefèvre")]


def test_windows_1252_csv_is_not_taken_for_mac_roman(tmp_path, cars):
    text = f"order_id,vin,name\r\n1,{cars[0].vin},Jürgen Müller\r\n2,{cars[1].vin},José Ødegård\r\n"
    of = parse_orders(text.encode("cp1252"), "win.csv")
    assert of.format == "CSV (Windows-1252, ',')" and of.warnings == ()
    assert [o.name for o in of.orders] == ["Jürgen Müller", "José Ødegård"]


def test_uncertain_guess_warns_and_encoding_overrides(cars):
    data = f"order_id,vin,name\n1,{cars[0].vin},Jörg\n".encode("mac_roman")
    of = parse_orders(data, "j.csv")
    assert len(of.warnings) == 1 and of.warnings[0].startswith("j.csv: the encoding is a guess")
    assert "Jörg" in of.warnings[0] and "Jšrg" in of.warnings[0]
    forced = parse_orders(data, "j.csv", encoding="mac_roman")
    assert forced.orders[0].name == "Jörg" and forced.warnings == ()
    assert parse_orders(data, "j.csv", encoding="cp1252").orders[0].name == "Jšrg"
    with pytest.raises(OrdersError, match="unknown encoding 'klingon'"):
        parse_orders(data, encoding="klingon")


def test_mostly_utf8_with_a_broken_byte_warns(cars):
    data = f"order_id,vin,name\n1,{cars[0].vin},Jürgen\n2,{cars[1].vin},M\xfcller\n".encode("utf-8")
    data = data.replace("M\xfcller".encode(), b"M\xfcller")
    of = parse_orders(data, "mix.csv")
    assert [o.name for o in of.orders] == ["Jürgen", "M\ufffdller"]
    assert of.warnings == ("mix.csv is UTF-8 text with 1 broken byte(s), shown as \ufffd (first on line 3); "
                           "check the names on those lines.",)


def test_utf16_without_bom(cars):
    data = f"order_id\tvin\tname\n1\t{cars[0].vin}\tŞahin\n".encode("utf-16-le")
    of = parse_orders(data)
    assert of.format == "CSV (UTF-16, tab)" and of.orders[0].name == "Şahin"


def test_stdin(cars):
    data = f"order_id,vin\n1,{cars[0].vin}\n".encode()
    of = read_orders("-", stdin=io.BytesIO(data))
    assert of.path == "standard input" and of.orders[0].vin == cars[0].vin
    # through a real process and a real pipe
    code = ("import sys; from plaquegen.inputs.orders import read_orders; of = read_orders('-'); "
            "print(of.path, of.format, [o.order_id for o in of.orders])")
    wb = io.BytesIO()
    book = openpyxl.Workbook()
    book.active.append(["VIN"])
    book.active.append([cars[0].vin])
    book.save(wb)
    r = subprocess.run([sys.executable, "-c", code], input=wb.getvalue(), capture_output=True, cwd=ROOT)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().strip() == "standard input xlsx, sheet 'Sheet' ['stdin-L2']"


def test_title_lines_in_csv_and_numbers_table_name(cars):
    text = f"Table 1\n\nBestellung,FIN,Name\nX1,{cars[0].vin},Eva\n"
    of = parse_orders(text.encode(), "numbers.csv")
    assert of.skipped == ((1, "Table 1"),) and of.header_line == 3
    assert [(o.line, o.order_id) for o in of.orders] == [(4, "X1")]


def test_a_title_that_mentions_vins_is_not_the_header(cars):
    text = f"VIN list\nOrder ID;VIN;Name\n1;{cars[0].vin};Eva\n"
    of = parse_orders(text.encode())
    assert of.header_line == 2 and of.orders[0].order_id == "1"


def test_files_that_are_not_tables(tmp_path):
    with pytest.raises(OrdersError, match="is a PDF document"):
        parse_orders(b"%PDF-1.7\n...", "x.pdf")
    import zipfile
    p = tmp_path / "x.numbers"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("Index/Document.iwa", b"x")
    with pytest.raises(OrdersError, match="Apple Numbers file"):
        read_orders(p)
    with pytest.raises(OrdersError, match="cannot be read as a xlsx spreadsheet"):
        with zipfile.ZipFile(tmp_path / "bad.xlsx", "w") as z:
            z.writestr("xl/workbook.xml", b"<not xml")
        read_orders(tmp_path / "bad.xlsx")


def test_cell_text_as_a_spreadsheet_shows_it():
    assert [cell_text(v) for v in (1.0, 2, 0.1 + 0.2, 1.5, True, None, dt.date(2025, 9, 1),
                                   dt.datetime(2025, 9, 1, 8, 5, 9), dt.time(10, 3), "007")] == \
        ["1", "2", "0.3", "1.5", "TRUE", "", "2025-09-01", "2025-09-01 08:05:09", "10:03:00", "007"]


def test_detect_encoding_rule_on_real_samples():
    words = ["Jürgen Müller", "François Lefèvre", "Zoë Ødegård", "Ångström", "Renée Straße", "Grün"]
    for w in words:
        assert detect_encoding(f"a;b;{w}\n".encode("cp1252")) == ("cp1252", w != "Ångström")
        assert detect_encoding(f"a;b;{w}\n".encode("mac_roman"))[0] == "mac_roman"
    assert detect_encoding("ok".encode()) == ("utf-8", True)


def test_help_texts_name_formats_columns_and_exit_status():
    for word in (".xlsx", ".ods", ".xls", "Mac Roman", "standard input"):
        assert word in ORDERS_HELP
    for word in ("Fahrgestellnummer", "Bestellnummer", "Zeitstempel", "E-Mail-Adresse", 'vin="Fahrgestellnummer (FIN)"'):
        assert word in COLUMNS_HELP
    from plaquegen.cli.exits import EXIT_STATUS
    from plaquegen.core.errors import Outcome
    assert EXIT_STATUS[Outcome.REFUSED] not in (0, 1, 2)  # 1 fatal, 2 click's usage error


def test_read_table_is_reusable(tmp_path):
    p = tmp_path / "t.tsv"
    p.write_text("a\tb\n\n1\t2\n")
    t = read_table(p)
    assert t.kind == "csv" and t.delimiter == "\t" and [(r.line, r.cells) for r in t.rows] == \
        [(1, ("a", "b")), (3, ("1", "2"))]


def test_a_comma_header_is_not_read_whole_as_one_tab_column():
    """Hypothesis found it: blank-ish lines with tabs outvoted the header's commas, and the
    whole header line became one "VIN" column (a ',' cell then passed as a VIN)."""
    of = parse_orders("order_id,vin,name,email\r\n\t\r\n,\t\r\n".encode())
    assert of.delimiter == "," and of.orders == () and of.header == ("order_id", "vin", "name", "email")


def test_a_second_sheet_of_orders_is_never_ignored_without_a_word(tmp_path, cars):
    p = _xlsx(tmp_path / "b.xlsx", cars)
    wb = openpyxl.load_workbook(p)
    more = wb.create_sheet("Nachbestellung")
    more.append(["Bestellnummer", "FIN", "Besitzer"])
    more.append(["9", cars[5].vin, "Eve"])
    wb.save(p)
    of = read_orders(p)
    assert of.sheet == "Bestellungen"
    assert of.warnings == ("sheet 'Nachbestellung' of b.xlsx also has a header like this one's and was not "
                           "read; read it with --sheet 'Nachbestellung' (as its own batch).",)
    assert [o.name for o in read_orders(p, sheet="Nachbestellung").orders] == ["Eve"]
