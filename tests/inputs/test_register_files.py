"""The register as it really arrives: ';' and tab CSVs, German headers, xlsx and ods files,
and '#' lines that hide a car (issue 12: a comment is a comment only when it holds no VIN)."""
from __future__ import annotations


import openpyxl
import pytest
from odf.opendocument import OpenDocumentSpreadsheet
from odf.table import Table as OdfTable, TableCell, TableRow
from odf.text import P

from plaquegen.inputs.register import REGISTER_HELP, RegisterError, load_register
from plaquegen.inputs.vin import check_digit


def v(body: str) -> str:
    return body[:8] + check_digit(body[:8] + "0" + body[9:]) + body[9:]


A = v("WBSUR9C5?BVS96566")
B = v("WBSUR91500VS96570")
C = v("WBSUR92500VS96571")
D = v("WBSUR91500VS96600")


@pytest.mark.parametrize("text", [
    f"FIN;Verwendung;Markt\n{A};Kunde;US\n{B};intern;DE\n{C};Kunde;GB\n{D};kunde;DE\n",
    f"Fahrgestellnummer\tVerwendung\n{A}\tcustomer\n{B}\tINTERNAL\n{C}\tKunde\n{D}\tcustomer\n",
    f"vin,use\n{A},customer\n{B},intern\n{C},customer\n{D},customer\n",
])
def test_csv_delimiters_and_german_headers(tmp_path, text):
    p = tmp_path / "reg.csv"
    p.write_text(text, "utf-8")
    reg = load_register(p)
    assert [(c.vin, c.use, c.number, c.line) for c in reg.cars] == [
        (A, "customer", 1, 2), (B, "internal", None, 3), (C, "customer", 2, 4), (D, "customer", 3, 5)]
    assert reg.total == 3


def test_xlsx_register(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Register"
    ws.append(["FIN", "Verwendung", "Markt", "produziert"])
    ws.append([A, "Kunde", "US", None])
    ws.append([B, "intern", "DE", None])
    ws.append([])
    ws.append([C, "Kunde", "GB", None])
    p = tmp_path / "register.xlsx"
    wb.save(p)
    reg = load_register(p)
    assert reg.format == "xlsx, sheet 'Register'"
    assert [(c.vin, c.number, c.line, c.market) for c in reg.cars] == [
        (A, 1, 2, "US"), (B, None, 3, "DE"), (C, 2, 5, "GB")]
    ws.append([A, "Kunde"])
    wb.save(p)
    with pytest.raises(RegisterError, match=r"^register.xlsx row 6: duplicate VIN .* first seen on row 2\.$"):
        load_register(p)


def test_ods_register(tmp_path):
    doc = OpenDocumentSpreadsheet()
    t = OdfTable(name="Cars")
    for values in (["vin", "use"], [A, "customer"], [C, "customer"]):
        tr = TableRow()
        for x in values:
            c = TableCell(valuetype="string")
            c.addElement(P(text=x))
            tr.addElement(c)
        t.addElement(tr)
    doc.spreadsheet.addElement(t)
    p = tmp_path / "reg.ods"
    doc.save(str(p))
    reg = load_register(p)
    assert [c.vin for c in reg.cars] == [A, C] and reg.total == 2


def test_hash_note_in_first_column_holding_a_vin_is_fatal(tmp_path):
    p = tmp_path / "reg.csv"
    p.write_text(f"note,vin,use\n,{A},customer\n#repainted,{B},customer\n,{C},customer\n", "utf-8")
    with pytest.raises(RegisterError) as e:
        load_register(p)
    assert str(e.value) == (f"reg.csv line 3: the line starts with '#' (a comment) but holds the VIN {B}; "
                            "a car must not be skipped: move the '#' note out of the first column, "
                            "or remove the VIN from the comment.")


def test_commented_out_car_is_fatal_but_plain_comments_are_fine(tmp_path):
    p = tmp_path / "reg.csv"
    p.write_text(f"# the register, 2 cars\nvin,use\n{A},customer\n# {C[:3]} {C[3:]} customer\n", "utf-8")
    with pytest.raises(RegisterError, match=f"line 4: the line starts with '#'.*holds the VIN {C}"):
        load_register(p)
    p.write_text(f"# the register, 2 cars (WBS... VINs, see 2011-03-01)\nvin,use\n{A},customer\n"
                 f"# end\n{C},customer\n", "utf-8")
    assert [c.number for c in load_register(p).cars] == [1, 2]


def test_one_column_header_hints_at_the_delimiter(tmp_path):
    p = tmp_path / "reg.csv"
    p.write_text(f"vin:use\n{A}:customer\n", "utf-8")
    with pytest.raises(RegisterError, match=r"line 1: .*missing: vin, use; found: vin:use\) \(the line has one "
                                            r"column: is the delimiter one of , ; or tab\?\)\."):
        load_register(p)


def test_demo_register_comments_hold_no_vin():
    reg = load_register()
    assert reg.total == 6309 and reg.warnings == ()


def test_register_help_names_formats_and_columns():
    for word in ("xlsx", "ods", "Fahrgestellnummer", "Verwendung", "Kunde", "intern", "'#'"):
        assert word in REGISTER_HELP
