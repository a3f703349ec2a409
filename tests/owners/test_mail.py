"""Outgoing proofs: messages built from a real batch, .eml outbox, sent to aiosmtpd on loopback."""
from __future__ import annotations

import email
import logging
from email import policy

import pytest

from conftest import EXAMPLE
from helpers.mailservers import SmtpServer, make_certs, owners
from plaquegen.core.errors import PlaquegenError
from plaquegen.owners.outgoing import (MailError, build_message, check_address, mail_language, message_bytes,
                            send_messages, write_outbox)

SENDER = "Plaketten-Register <plaques@register.example>"
PASSWORD = "Sm7p-Pässwörd#1"  # non-ASCII on purpose


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_certs(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def batch_owners(example_batch):
    found = owners(example_batch.folder, EXAMPLE)
    assert len(found) == 18 and all(o.email for o in found)
    return example_batch, found


def _messages(batch, found, reminder=False):
    return [build_message(to=o.email, sender=SENDER, language=mail_language(o.language, o.country),
                          owner_name=o.name, plaque_label=o.label, vin=o.vin,
                          batch_id=batch.batch_id, proof_name=o.proof.name,
                          proof_bytes=o.proof.read_bytes(), reminder=reminder) for o in found]


def _parse(data: bytes):
    return email.message_from_bytes(data, policy=policy.default)


def _attachment(msg) -> tuple[str, bytes]:
    atts = list(msg.iter_attachments())
    assert len(atts) == 1
    return atts[0].get_filename(), atts[0].get_content()


def _text(msg) -> str:
    return msg.get_body(("plain",)).get_content()


# ---------------------------------------------------------------------------
# Building

def test_message_has_proof_byte_for_byte_and_owner_language(batch_owners):
    batch, found = batch_owners
    for o, msg in zip(found, _messages(batch, found)):
        back = _parse(message_bytes(msg))
        name, data = _attachment(back)
        assert data == o.proof.read_bytes() and name == o.proof.name
        assert back["To"].addresses[0].addr_spec == o.email
        assert back["To"].addresses[0].display_name == o.name
        assert back["Message-ID"] == msg["Message-ID"] and msg["Message-ID"].endswith("@register.example>")
        assert back["Date"].datetime is not None
        assert back["X-Plaquegen-VIN"] == o.vin and back["X-Plaquegen-Batch"] == batch.batch_id
        text = _text(back)
        assert o.label in text and o.vin in text and o.proof.name in text
        lang = mail_language(o.language, o.country)
        assert back["Content-Language"] == lang
        if lang == "de":
            assert "Ich gebe diese Plakette frei" in text and "Antworten Sie auf diese E-Mail" in text
            assert back["Subject"].startswith("Korrekturabzug")
        else:
            assert "I approve this plaque" in text and "Reply to this e-mail" in text
            assert back["Subject"].startswith("Proof of your plaque")
    langs = {mail_language(o.language, o.country) for o in found}
    assert langs == {"de", "en"}  # the example has both
    ids = {m["Message-ID"] for m in _messages(batch, found)}
    assert len(ids) == len(found)


def test_mail_language_is_the_proofs_language(batch_owners):
    from pypdf import PdfReader

    from plaquegen.proof.strings import STRINGS

    _, found = batch_owners
    for o in found:
        lang = mail_language(o.language, o.country)
        page = PdfReader(o.proof).pages[0].extract_text()
        assert STRINGS[lang]["title"] in page
    assert mail_language("", "AT") == "de" and mail_language("en", "DE") == "en"
    assert mail_language("de-CH", "") == "de" and mail_language("", "") == "en"


def test_reminder_text(batch_owners):
    batch, found = batch_owners
    de = next(o for o in found if mail_language(o.language, o.country) == "de")
    back = _parse(message_bytes(_messages(batch, [de], reminder=True)[0]))
    assert back["Subject"].startswith("Erinnerung") and "noch keine Antwort" in _text(back)
    assert back["X-Plaquegen-Kind"] == "reminder"
    assert _attachment(back)[1] == de.proof.read_bytes()


def test_no_header_injection_from_order_cells(batch_owners):
    batch, found = batch_owners
    o = found[0]
    base = dict(sender=SENDER, language="en", plaque_label=o.label, vin=o.vin,
                batch_id=batch.batch_id, proof_name=o.proof.name, proof_bytes=o.proof.read_bytes())
    msg = build_message(to=o.email, owner_name="Eve\r\nBcc: victim@evil.example\r\n\r\nhi",
                        **base)
    data = message_bytes(msg)
    back = _parse(data)
    assert back["Bcc"] is None and b"\r\nBcc:" not in data
    assert [a.addr_spec for a in back["To"].addresses] == [o.email]
    assert back["To"].addresses[0].display_name == "Eve Bcc: victim@evil.example hi"
    msg = build_message(to=o.email, owner_name='Ann "<x@y.org>", Bob <z@w.org>', **base)
    assert [a.addr_spec for a in _parse(message_bytes(msg))["To"].addresses] == [o.email]
    for bad in ("a@b.org\r\nBcc: x@y.org", "a@b.org, c@d.org", "Ann <a@b.org>", "a@b", "@b.org",
                "ä@b.org", "a..b@c.org", "a@b..org", "", "a b@c.org"):
        with pytest.raises(MailError) as e:
            build_message(to=bad, owner_name="x", **base)
        assert str(e.value).endswith(".") and "\n" not in str(e.value)
        assert isinstance(e.value, PlaquegenError)
    with pytest.raises(MailError, match="line break"):
        build_message(to=o.email, owner_name="x", **{**base, "sender": "a@b.org\nBcc: q@r.org"})
    with pytest.raises(MailError, match="not a PDF"):
        build_message(to=o.email, owner_name="x", **{**base, "proof_bytes": b"PK\x03\x04"})
    assert check_address("Kay@Exämple.ORG") == "Kay@xn--exmple-cua.org"
    # An odd proof name cannot become a path or a header.
    msg = build_message(to=o.email, owner_name="x", **{**base, "proof_name": "../../\r\nx y.pdf"})
    assert _attachment(_parse(message_bytes(msg)))[0] == "x-y.pdf"


def test_outbox_files_open_as_mail(batch_owners, tmp_path):
    batch, found = batch_owners
    msgs = _messages(batch, found) + _messages(batch, found[:1], reminder=True)
    files = write_outbox(tmp_path / "outbox", msgs)
    assert len(files) == len(found) + 1 and len(set(files)) == len(files)
    assert sorted(p.name for p in (tmp_path / "outbox").iterdir()) == sorted(f.name for f in files)
    assert files[-1].name.endswith("-reminder.eml")
    for f, o in zip(files, found):
        back = _parse(f.read_bytes())
        assert back["X-Unsent"] == "1" and back["X-Plaquegen-VIN"] == o.vin
        assert _attachment(back)[1] == o.proof.read_bytes()
        assert b"\r\n" in f.read_bytes() and b"\n\n" not in f.read_bytes().replace(b"\r\n", b"")


# ---------------------------------------------------------------------------
# Sending to a real SMTP server on loopback

def test_send_starttls_auth_and_one_refused_recipient(batch_owners, certs, monkeypatch, capfd,
                                                      caplog):
    caplog.set_level(logging.DEBUG)
    batch, found = batch_owners
    refused = found[3].email
    monkeypatch.setenv("PLAQUEGEN_SMTP_PASSWORD", PASSWORD)
    msgs = _messages(batch, found)
    with SmtpServer(certs, user="register", password=PASSWORD, refuse={refused}) as srv:
        results = send_messages(msgs, host="127.0.0.1", port=srv.port, user="register",
                                ca_file=certs.ca, timeout=30)
    assert srv.logins == [("register", True)]
    assert len(results) == len(found)
    failed = [r for r in results if not r.ok]
    assert [r.to for r in failed] == [refused]
    assert failed[0].reason.startswith("recipient refused: 550") and "User unknown" in failed[0].reason
    assert failed[0].vin == found[3].vin
    ok = [r for r in results if r.ok]
    assert all(r.reason.startswith("250") for r in ok)
    assert [r.message_id for r in results] == [m["Message-ID"] for m in msgs]
    assert all(r.sent_at.endswith("Z") and len(r.sent_at) == 20 for r in results)
    # What arrived: one message per owner (but the refused one), over TLS, proof byte for byte.
    assert len(srv.received) == len(found) - 1
    by_to = {}
    for rec in srv.received:
        assert rec.tls and rec.login == "register" and rec.mail_from == "plaques@register.example"
        assert len(rec.rcpt_tos) == 1
        by_to.setdefault(rec.rcpt_tos[0], []).append(rec)
    for o in found:
        if o.email == refused:
            assert o.email not in by_to
            continue
        (rec,) = by_to[o.email]
        back = _parse(rec.data)
        assert _attachment(back)[1] == o.proof.read_bytes()
        assert back["Content-Language"] == mail_language(o.language, o.country)
    # The password is nowhere: results, output, log.
    out = capfd.readouterr()
    for text in (repr(results), out.out, out.err, caplog.text):
        assert PASSWORD not in text


def test_wrong_password_is_one_sentence_without_the_password(batch_owners, certs, monkeypatch):
    batch, found = batch_owners
    monkeypatch.setenv("PLAQUEGEN_SMTP_PASSWORD", "wrong-" + PASSWORD)
    with SmtpServer(certs, user="register", password=PASSWORD) as srv:
        with pytest.raises(MailError) as e:
            send_messages(_messages(batch, found[:1]), host="127.0.0.1", port=srv.port,
                          user="register", ca_file=certs.ca)
    assert "refused the login" in str(e.value) and PASSWORD not in str(e.value)
    assert srv.received == []
    monkeypatch.delenv("PLAQUEGEN_SMTP_PASSWORD")
    with pytest.raises(MailError, match="PLAQUEGEN_SMTP_PASSWORD"):
        send_messages(_messages(batch, found[:1]), host="127.0.0.1", port=1, user="register")


def test_unverified_certificate_is_refused(batch_owners, certs, monkeypatch):
    batch, found = batch_owners
    monkeypatch.setenv("PLAQUEGEN_SMTP_PASSWORD", PASSWORD)
    with SmtpServer(certs, user="register", password=PASSWORD) as srv:
        with pytest.raises(MailError, match="could not be verified"):
            send_messages(_messages(batch, found[:1]), host="127.0.0.1", port=srv.port,
                          user="register")  # system CAs only: our test CA is unknown
    assert srv.received == [] and srv.logins == []


def test_no_password_over_a_plain_connection(batch_owners, monkeypatch):
    batch, found = batch_owners
    monkeypatch.setenv("PLAQUEGEN_SMTP_PASSWORD", PASSWORD)
    with SmtpServer(None) as srv:  # no TLS offered
        with pytest.raises(MailError, match="unencrypted"):
            send_messages(_messages(batch, found[:1]), host="127.0.0.1", port=srv.port,
                          user="register")
        assert srv.received == []
        # Without a login (a relay on the local network) plain SMTP is allowed.
        results = send_messages(_messages(batch, found[:2]), host="127.0.0.1", port=srv.port)
    assert [r.ok for r in results] == [True, True] and len(srv.received) == 2
    assert not srv.received[0].tls


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_implicit_tls(batch_owners, certs, monkeypatch):
    batch, found = batch_owners
    monkeypatch.setenv("PLAQUEGEN_SMTP_PASSWORD", PASSWORD)
    with SmtpServer(certs, user="register", password=PASSWORD, implicit_tls=True) as srv:
        results = send_messages(_messages(batch, found[:2]), host="127.0.0.1", port=srv.port,
                                ssl=True, user="register", ca_file=certs.ca)
    assert [r.ok for r in results] == [True, True]
    assert all(r.tls for r in srv.received) and len(srv.received) == 2


def test_unreachable_server_is_one_sentence(batch_owners):
    from helpers.mailservers import free_port

    batch, found = batch_owners
    with pytest.raises(MailError, match="cannot connect"):
        send_messages(_messages(batch, found[:1]), host="127.0.0.1", port=free_port(), timeout=5)


def test_the_mail_date_comes_from_the_one_clock(batch_owners, monkeypatch):
    """PLAQUEGEN_NOW freezes every time plaquegen writes, the Date of a proof mail included."""
    from email.utils import parsedate_to_datetime

    batch, found = batch_owners
    o = found[0]
    monkeypatch.setenv("PLAQUEGEN_NOW", "2031-02-03T04:05:06Z")
    msg = build_message(to=o.email, owner_name="Ann", sender=SENDER, language="en", plaque_label=o.label,
                        vin=o.vin, batch_id=batch.batch_id, proof_name=o.proof.name,
                        proof_bytes=o.proof.read_bytes())
    when = parsedate_to_datetime(_parse(message_bytes(msg))["Date"])
    assert when.isoformat() == "2031-02-03T04:05:06+00:00"
