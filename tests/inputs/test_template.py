"""Template loading and validation: one clear sentence naming the key."""
from __future__ import annotations

import tomllib

import pytest

from plaquegen.inputs.template import DEFAULT_TEMPLATE, TemplateError, load_template


def _write(tmp_path, edit):
    raw = tomllib.loads(DEFAULT_TEMPLATE.read_text())
    edit(raw)
    lines = []
    for section, table in raw.items():
        lines.append(f"[{section}]")
        for k, v in table.items():
            lines.append(f"{k} = {_toml(v)}")
    p = tmp_path / "t.toml"
    p.write_text("\n".join(lines) + "\n")
    return p


def _toml(v):
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, list):
        return "[" + ", ".join(_toml(x) for x in v) + "]"
    return repr(v)


def test_default_template_loads():
    t = load_template()
    assert (t.width, t.height) == (80.0, 24.0)
    assert t.format_number(462, 6309) == "0462 / 6309"
    assert t.silhouette.file.exists() and t.silhouette.mode == "fill"
    assert t.signature is not None and t.signature.mode == "line"
    assert t.colors == {"engrave": "#000000", "score": "#0000FF", "cut": "#FF0000", "guide": "#F36926"}
    for spec in (t.silhouette.place, t.signature.place, t.number.place):
        assert t.plate.contains(spec.box)
    assert t.bed.slots == t.bed.columns * t.bed.rows


def test_roundtrip_helper_gives_same_template(tmp_path):
    p = _write(tmp_path, lambda raw: None)
    t = load_template(p)
    assert t.number.place == load_template().number.place


@pytest.mark.parametrize("edit,message", [
    (lambda r: r["plate"].update(colour="red"), "unknown key plate.colour"),
    (lambda r: r.update(extra={"a": 1}), "unknown section [extra]"),
    (lambda r: r["plate"].update(width=-80.0), "plate.width must be a positive length"),
    (lambda r: r["plate"].update(width="80"), "plate.width must be a number"),
    (lambda r: r["plate"].update(height=1e9), "plate.height 1e+09 mm is absurd"),
    (lambda r: r["number"].update(box=[70.0, 10.0, 20.0, 5.0]), "number.box [70.0, 10.0, 20.0, 5.0] lies outside"),
    (lambda r: r["silhouette"].update(box=[1.0, 1.0, 0.0, 5.0]), "silhouette.box must have a positive width"),
    (lambda r: r["silhouette"].update(box=[1.0, 2.0]), "silhouette.box must be four numbers"),
    (lambda r: r["silhouette"].update(mode="paint"), "silhouette.mode must be one of fill, line"),
    (lambda r: r["number"].update(format="{number:04d} / {owner}"), "may only use {number} and {total}"),
    (lambda r: r["number"].update(format="{number:Q}"), "is not a valid format"),
    (lambda r: r["number"].update(cap_height=50.0), "number.cap_height 50.0 mm is taller"),
    (lambda r: r["colors"].update(guide="#ff0000"), "colors.guide must differ"),
    (lambda r: r["colors"].update(cut="red"), "colors.cut must be a colour like"),
    (lambda r: r["bed"].update(columns=20), "beyond the 600 x 400 mm bed"),
    (lambda r: r["bed"].update(pitch_x=50.0), "bed.pitch_x 50 mm is less than the plate width"),
    (lambda r: r["bed"].update(rows=0), "bed.rows must be a whole number from 1 to 1000"),
    (lambda r: r["bed"].pop("width"), "bed.width is missing"),
    (lambda r: r.pop("number"), "section [number] is missing"),
    (lambda r: r["plate"].update(corner_radius=20.0), "more than half"),
])
def test_validation_names_the_key(tmp_path, edit, message):
    p = _write(tmp_path, edit)
    with pytest.raises(TemplateError) as e:
        load_template(p)
    assert message in str(e.value)
    assert str(e.value).startswith("t.toml: ") and "\n" not in str(e.value)


def test_unreadable_templates(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[plate\nwidth=")
    with pytest.raises(TemplateError, match="is not valid TOML"):
        load_template(bad)
    with pytest.raises(TemplateError, match="does not exist"):
        load_template(tmp_path / "missing.toml")
    binary = tmp_path / "bin.toml"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(TemplateError, match="not UTF-8"):
        load_template(binary)
