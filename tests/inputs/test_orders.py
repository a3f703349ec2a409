"""Order reading: encodings, delimiters, headers, per-line refusals, line numbers."""
from __future__ import annotations

import pytest

from plaquegen.inputs.orders import OrdersError, parse_orders, read_orders
from plaquegen.core.records import Order, Reject


def test_german_excel_export_cp1252_semicolon_crlf():
    text = ("Bestell-Nr;FIN;Besitzer;Land;Sprache\r\n"
            "B-1001;wbs ur91 0 0 bvs 12345;Jürgen Müller;Deutschland;Deutsch\r\n"
            "\r\n"
            "B-1002;WBS-UR92-00BV-S12346;Zoë Ødegård;Österreich;\r\n")
    of = parse_orders(text.encode("cp1252"), "bestellungen.csv")
    assert of.delimiter == ";"
    assert [o.line for o in of.orders] == [2, 4]  # the blank line 3 is skipped, numbering kept
    a, b = of.orders
    assert a.order_id == "B-1001" and a.vin == "WBSUR9100BVS12345"
    assert a.name == "Jürgen Müller" and a.country == "DE" and a.language == "de"
    assert b.vin == "WBSUR9200BVS12346" and b.name == "Zoë Ødegård" and b.country == "AT"
    assert b.language == ""
    assert of.rejects == ()


@pytest.mark.parametrize("bom,enc", [(b"\xef\xbb\xbf", "utf-8"), (b"", "utf-8"),
                                     (b"\xff\xfe", "utf-16-le")])
def test_bom_and_utf16(bom, enc):
    text = "order_id,vin,name\n1,WBSUR9C50BVS96566,Łukasz Dvořák\n"
    of = parse_orders(bom + text.encode(enc))
    assert len(of.orders) == 1
    o = of.orders[0]
    assert o.order_id == "1" and o.name == "Łukasz Dvořák" and o.line == 2


def test_tab_delimited_and_english_headers_in_any_case():
    text = "Order ID\tChassis\tOWNER\tE-Mail\tCountry\tLanguage\n7\tVS96566\tŞahin\ts@x.tr\tTR\ten-GB\n"
    of = parse_orders(text.encode())
    assert of.delimiter == "\t"
    o = of.orders[0]
    assert (o.order_id, o.vin, o.name, o.email, o.country, o.language) == \
        ("7", "VS96566", "Şahin", "s@x.tr", "TR", "en")


def test_quoted_fields_spanning_lines_keep_physical_line_numbers():
    text = ('order_id,vin,name\n'
            '1,WBSUR9C50BVS96566,"Smith, John"\n'
            '2,WBSUR9C50BVS96567,"two\nline name"\n'
            '3,,Nobody\n')
    of = parse_orders(text.encode())
    assert [o.line for o in of.orders] == [2, 3]
    assert of.orders[0].name == "Smith, John"
    assert of.rejects[0].line == 5 and of.rejects[0].reason == "no VIN given"


def test_every_line_is_an_order_or_a_reject():
    text = ("order_id,vin\n"
            ",WBSUR9C50BVS96566\n"       # no order id
            "2,\n"                       # no VIN
            "3,WBS,extra,cells\n"        # too many fields
            "4,VS96566\n"
            ",,\n")                      # only delimiters: blank
    of = parse_orders(text.encode())
    assert [o.line for o in of.orders] == [5]
    reasons = {r.line: r.reason for r in of.rejects}
    assert reasons[2] == "no order id given"
    assert reasons[3] == "no VIN given"
    assert "4 fields but the header has 2" in reasons[4]
    assert of.lines_read == 4


def test_raw_values_kept_for_the_rejects_report():
    of = parse_orders(b"order_id;vin;name\n9;;Anna\n")
    r = of.rejects[0]
    assert isinstance(r, Reject)
    assert dict(r.raw) == {"order_id": "9", "vin": "", "name": "Anna"}


def test_control_characters_and_nul_are_removed():
    of = parse_orders(b"order_id,vin,name\n1\x00,VS96566,Ann\x07a\n")
    assert of.orders[0].order_id == "1" and of.orders[0].name == "Anna"


def test_missing_vin_column_is_fatal_with_one_sentence():
    with pytest.raises(OrdersError) as e:
        parse_orders(b"order_id,name\n1,Anna\n", "x.csv")
    msg = str(e.value)
    assert msg.startswith("x.csv has no VIN column") and "Fahrgestellnummer" in msg
    assert "found order_id, name" in msg and "\n" not in msg


def test_missing_order_id_column_gives_generated_ids():
    of = parse_orders(b"vin\nVS96566\n\nVS91531\n", "Sept 2025.csv")
    assert [(o.line, o.order_id, o.vin) for o in of.orders] == \
        [(2, "Sept-2025-L2", "VS96566"), (4, "Sept-2025-L4", "VS91531")]
    assert of.ids_generated and "no order id column" in of.id_note and "Sept-2025-L2" in of.id_note


def test_empty_and_missing_files(tmp_path):
    with pytest.raises(OrdersError, match="is empty"):
        parse_orders(b"\r\n  \n")
    with pytest.raises(OrdersError, match="does not exist"):
        read_orders(tmp_path / "nope.csv")
    with pytest.raises(OrdersError, match="is a folder"):
        read_orders(tmp_path)


def test_read_orders_from_file(tmp_path):
    p = tmp_path / "o.csv"
    p.write_bytes(b"Bestellnummer,Fahrgestellnummer\nA1, vs 96566 \n")
    of = read_orders(p)
    assert of.orders == (Order(line=2, order_id="A1", vin="VS96566",
                               raw=(("Bestellnummer", "A1"), ("Fahrgestellnummer", "vs 96566"))),)


def test_unclosed_quote_refuses_its_line_and_keeps_the_following_ones():
    text = ('order_id,vin,name\n'
            'A1,VS91531,Ann\n'
            'A2,VS91547,"Bob the ""Builder\n'
            'A3,VS92119,Cy\n'
            'A4,VS94332,"Dee\nSmith"\n')
    of = parse_orders(text.encode())
    assert [(o.line, o.order_id) for o in of.orders] == [(2, "A1"), (4, "A3"), (5, "A4")]
    assert of.orders[2].name == "Dee Smith" or of.orders[2].name == "Dee\nSmith"
    (r,) = of.rejects
    assert (r.line, r.order_id, r.vin) == (3, "A2", "VS91547")
    assert r.reason.startswith("unclosed quote")
    assert dict(r.raw)["line as written"] == 'A2,VS91547,"Bob the ""Builder'


def test_excel_sep_hint_line():
    of = parse_orders(b"sep=;\r\nBestell-Nr;FIN\r\nX1;VS91531\r\n")
    assert of.delimiter == ";" and [(o.line, o.order_id) for o in of.orders] == [(3, "X1")]


def test_a_nul_inside_a_vin_is_refused_not_dropped():
    """Dropping the NUL would turn a damaged cell into a valid VIN, maybe another car's."""
    of = parse_orders(b"order_id,vin,name\n1,WBSUR92530VS9\x001528,Bob\n2,\x00VS96566\x00,Ann\n")
    (bad,), (ok,) = of.rejects, of.orders
    assert bad.line == 2 and "control character" in bad.reason and "type the VIN again" in bad.reason
    assert ok.vin == "VS96566"  # NULs around the VIN (padding) are harmless
    assert any("NUL byte" in w for w in of.warnings)
