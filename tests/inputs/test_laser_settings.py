"""The [laser] section: defaults, the commented example in plaque.toml, one-sentence errors."""
from __future__ import annotations

import re
import tomllib

import pytest

from plaquegen.core.errors import PlaquegenError
from plaquegen.inputs.laser_settings import DEFAULT_LASER, LaserSettingsError, parse_laser
from plaquegen.inputs.template import DEFAULT_TEMPLATE, TemplateError, load_template


def test_default_template_uses_the_defaults(template):
    assert template.laser == DEFAULT_LASER
    assert DEFAULT_LASER.engrave.interval == 0.03 and DEFAULT_LASER.cut.passes == 60


def test_commented_example_equals_the_defaults_and_loads(tmp_path):
    text = DEFAULT_TEMPLATE.read_text(encoding="utf-8")
    live = re.sub(r"^# (\[laser[.a-z]*\][ \t]*(#.*)?$|[a-z_]+ = )", r"\1", text, flags=re.M)
    raw = tomllib.loads(live)
    assert set(raw["laser"]) == {"rapid_speed", "pass_overhead", "engrave", "score", "cut"}
    assert parse_laser(raw["laser"], "plaque.toml") == DEFAULT_LASER
    f = tmp_path / "plaque.toml"
    f.write_text(live.replace("speed = 1000.0", "speed = 750.0"), encoding="utf-8")
    for art in ("silhouette.svg", "signature.svg"):
        (tmp_path / art).write_bytes((DEFAULT_TEMPLATE.parent / art).read_bytes())
    (tmp_path / "fonts").symlink_to(DEFAULT_TEMPLATE.parent / "fonts")
    assert load_template(f).laser.engrave.speed == 750.0


@pytest.mark.parametrize("table, words", [
    ({"engrave": {"speed": 0}}, "laser.engrave.speed must be a speed in mm/s"),
    ({"engrave": {"interval": 10}}, "laser.engrave.interval must be a line interval in mm"),
    ({"engrave": {"bidirectional": 1}}, "laser.engrave.bidirectional must be true or false"),
    ({"score": {"power": 0.5e3}}, "laser.score.power must be a power in percent"),
    ({"cut": {"passes": 0}}, "laser.cut.passes must be a whole number from 1 to 1000"),
    ({"cut": {"interval": 0.1}}, "unknown key laser.cut.interval"),
    ({"speed": 3}, "unknown key laser.speed"),
    ({"engrave": {"speed": float("nan")}}, "must be a finite number"),
    ({"score": []}, "laser.score must be a table"),
])
def test_bad_values_are_one_sentence(table, words):
    with pytest.raises(LaserSettingsError) as e:
        parse_laser(table, "plaque.toml")
    msg = str(e.value)
    assert msg.startswith("plaque.toml: ") and words in msg and msg.endswith(".")
    assert isinstance(e.value, PlaquegenError)


def test_template_reports_laser_errors_as_template_errors(tmp_path):
    text = DEFAULT_TEMPLATE.read_text(encoding="utf-8") + "\n[laser.engrave]\npower = 120\n"
    f = tmp_path / "plaque.toml"
    f.write_text(text, encoding="utf-8")
    with pytest.raises(TemplateError, match="laser.engrave.power must be a power in percent"):
        load_template(f)


def test_frequency_zero_means_machine_default():
    assert parse_laser({"score": {"frequency": 0}}, "t").score.frequency is None
