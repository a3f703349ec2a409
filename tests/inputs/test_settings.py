"""plaquegen.toml (issue 24): found, checked (file and line in every refusal), command-line
options win, `plaquegen send BATCH_DIR` with only the file writes the outbox, `init` writes
a commented example that loads."""
from __future__ import annotations

import email
from email import policy

import pytest
from click.testing import CliRunner

from conftest import EXAMPLE, assert_refused
from plaquegen.cli import main
from plaquegen.inputs.settings import EXAMPLE as EXAMPLE_TOML, SettingsError, find_settings, load_settings


def run(*args, env=None):
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def test_send_with_only_the_settings_file_writes_the_outbox(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("PLAQUEGEN_FROM", raising=False)
    monkeypatch.delenv("PLAQUEGEN_CONFIG", raising=False)
    (tmp_path / "plaquegen.toml").write_text(
        '[mail]\nfrom = "plaques@register.example"\nfrom_name = "1M Register"\n'
        'reply_to = "answers@register.example"\n\n[paths]\nout = "output"\n', "utf-8")
    r = run("batch", EXAMPLE, "--workers", "1")
    assert r.exit_code == 3, r.output
    assert (tmp_path / "output" / "example" / "manifest.csv").is_file()  # [paths] out was used
    r = run("send", "output/example")
    assert r.exit_code in (0, 3), r.output
    emls = sorted((tmp_path / "output" / "example" / "outbox").glob("*.eml"))
    assert emls, r.output
    msg = email.message_from_bytes(emls[0].read_bytes(), policy=policy.default)
    assert msg["From"].addresses[0].addr_spec == "plaques@register.example"
    assert msg["From"].addresses[0].display_name == "1M Register"
    assert msg["Reply-To"].addresses[0].addr_spec == "answers@register.example"
    # the command line wins over the file
    r = run("send", "output/example", "--from", "other@register.example")
    msg = email.message_from_bytes(sorted((tmp_path / "output" / "example" / "outbox")
                                          .glob("*.eml"))[0].read_bytes(), policy=policy.default)
    assert msg["From"].addresses[0].addr_spec == "other@register.example"


@pytest.mark.parametrize("body, words", [
    ('[mail]\nfrom = "a@b.example"\nsmtp_port = 25\n', ["line 3", "unknown key 'smtp_port'", "[mail]"]),
    ('[mail]\n\nsmtp_ssl = "yes"\n', ["line 3", "smtp_ssl must be true or false"]),
    ('[imap]\nurl = "imaps://h.example/INBOX"\npassword = "x"\n',
     ["line 3", "passwords never go", "PLAQUEGEN_IMAP_PASSWORD"]),
    ('[smtp]\nhost = "x"\n', ["line 1", "unknown section [smtp]"]),
    ('[mail]\nfrom = \n', ["not valid TOML"]),
    ('[paths]\nout = 5\n', ["line 2", "out must be a text"]),
])
def test_a_wrong_key_or_type_is_one_sentence_with_file_and_line(tmp_path, body, words):
    f = tmp_path / "plaquegen.toml"
    f.write_text(body, "utf-8")
    with pytest.raises(SettingsError) as e:
        load_settings(f)
    for w in words:
        assert w in str(e.value), str(e.value)
    assert str(f) in str(e.value)
    r = run("--config", f, "status", tmp_path)
    assert_refused(r, str(f), *words[:1])


def test_config_from_the_environment_and_a_missing_file(tmp_path):
    f = tmp_path / "x.toml"
    f.write_text('[mail]\nfrom = "a@b.example"\n', "utf-8")
    assert find_settings(None, env={"PLAQUEGEN_CONFIG": str(f)}, cwd=tmp_path / "none") == f
    assert find_settings(None, env={}, cwd=tmp_path) is None
    with pytest.raises(SettingsError, match="does not exist"):
        find_settings(tmp_path / "missing.toml", env={})
    assert load_settings(f).get("mail", "from") == "a@b.example"


def test_init_writes_a_commented_example_that_loads(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    r = run("init")
    assert r.exit_code == 0, r.output
    text = (tmp_path / "plaquegen.toml").read_text("utf-8")
    assert text == EXAMPLE_TOML
    assert load_settings(tmp_path / "plaquegen.toml").values == {"mail": {}, "imap": {}, "paths": {}}
    # every commented key is a known key once uncommented
    import re
    uncommented = re.sub(r"(?m)^# (\w+ = )", r"\1", text)
    (tmp_path / "full.toml").write_text(uncommented, "utf-8")
    s = load_settings(tmp_path / "full.toml")
    assert s.get("mail", "smtp_ssl") is False and s.get("imap", "folder") == "Plaques"
    assert run("init").exit_code == 1  # never overwrites without --force
