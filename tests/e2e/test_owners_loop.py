"""The owners' loop end to end through the CLI: proofs mailed over a real SMTP server, replies
read from a real IMAP mailbox, sends and answers in the ledger's history (issue 15)."""
from __future__ import annotations

import email
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import EXAMPLE
from helpers.mailservers import DOVECOT, Dovecot, SmtpServer, make_certs
from plaquegen.cli import main
from plaquegen.record.ledger import Ledger
from plaquegen.owners.outgoing import mail_language
from test_approvals import CHANGES, _csv, fill

PASSWORD = "s3cret-ünïcode"


def run(*args, env=None):
    r = CliRunner().invoke(main, [str(a) for a in args], env=env)
    return r.exit_code, r.output


@pytest.fixture
def batch(tmp_path):
    out = tmp_path / "out"
    code, text = run("batch", EXAMPLE, "--out", out, "--workers", "2")
    assert code == 3, text  # the example has refused lines
    return out / "example"


def _events(folder: Path, kind: str):
    with Ledger(folder.parent / "ledger.sqlite") as led:
        return [e for e in led.events(batch_id=folder.name) if e.kind == kind]


def test_send_mails_each_owner_once_and_records_it(batch, tmp_path, monkeypatch):
    certs = make_certs(tmp_path / "certs")
    rows = _csv(batch / "manifest.csv")
    owners = {r["vin"]: r for r in _csv(batch / "owners.csv")}
    refused = owners[rows[2]["vin"]]["email"]
    monkeypatch.setenv("PLAQUEGEN_SMTP_PASSWORD", PASSWORD)
    with SmtpServer(certs, user="register", password=PASSWORD, refuse={refused}) as srv:
        args = ("send", batch, "--from", "plaques@register.example", "--smtp",
                f"127.0.0.1:{srv.port}", "--smtp-user", "register", "--ca-file", certs.ca)
        code, text = run(*args)
        assert code == 3, text  # one recipient refused
        assert f"FAILED {rows[2]['vin']} -> {refused}: recipient refused: 550" in text
        assert f"{len(rows) - 1} proof(s) sent, 1 failed" in text
        assert PASSWORD not in text
        arrived = {m.rcpt_tos[0]: email.message_from_bytes(m.data, policy=policy.default)
                   for m in srv.received}
        assert len(srv.received) == len(rows) - 1 and all(m.tls for m in srv.received)
        for r in rows:
            to = owners[r["vin"]]["email"]
            if to == refused:
                continue
            msg = arrived[to]
            (att,) = [p for p in msg.iter_attachments()]
            assert att.get_content() == (batch / r["proof"]).read_bytes()
            o = owners[r["vin"]]
            assert msg["Content-Language"] == mail_language(o["language"], o["country"])
            assert ("Korrekturabzug" in msg.get_body().get_content()) == (
                msg["Content-Language"] == "de")
        sent = _events(batch, "sent")
        assert len(sent) == len(rows) - 1 and all(e.detail.startswith("<") for e in sent)
        assert {e.detail for e in sent} == {m["Message-ID"] for m in arrived.values()}
        # a re-run sends only what was not sent yet: the one that failed
        code, text = run(*args)
        assert f"{len(rows) - 1} not due" in text and len(srv.received) == len(rows) - 1
        # --again resends one on purpose
        code, text = run(*args, "--again", rows[0]["vin"])
        assert len(srv.received) == len(rows)
    assert len(_events(batch, "sent")) == len(rows)
    for f in (batch.parent / "ledger.sqlite", batch / "history.jsonl"):
        assert PASSWORD.encode() not in f.read_bytes()


def test_outbox_without_a_server_and_reminders(batch, tmp_path, monkeypatch):
    code, text = run("send", batch, "--from", "plaques@register.example")
    assert code == 0, text
    emls = sorted((batch / "outbox").glob("*.eml"))
    assert len(emls) == len(_csv(batch / "manifest.csv"))
    msg = email.message_from_bytes(emls[0].read_bytes(), policy=policy.default)
    assert msg["To"] and next(msg.iter_attachments()).get_content()[:5] == b"%PDF-"
    assert _events(batch, "sent") == []  # nothing was sent
    # reminders only go to owners sent to DAYS ago who have not answered
    certs = make_certs(tmp_path / "certs")
    with SmtpServer(certs) as srv:
        base = ("send", batch, "--from", "p@register.example", "--smtp", f"127.0.0.1:{srv.port}",
                "--ca-file", certs.ca)
        assert run(*base)[0] == 0
        n = len(srv.received)
        rows = _csv(batch / "manifest.csv")
        fill(batch / rows[0]["proof"], tmp_path / "in" / "a.pdf", approve=True)
        assert run("approvals", batch, tmp_path / "in")[0] == 0
        code, text = run(*base, "--remind", "--after", "3")
        assert "0 reminder(s) sent" in text  # not due yet
        later = (datetime.now(timezone.utc) + timedelta(days=4)).strftime("%Y-%m-%dT%H:%M:%SZ")
        code, text = run(*base, "--remind", "--after", "3", env={"PLAQUEGEN_NOW": later})
        assert f"{n - 1} reminder(s) sent" in text, text
        assert len(_events(batch, "reminded")) == n - 1
        assert rows[0]["vin"] not in {e.vin for e in _events(batch, "reminded")}


def _reply(to_batch: Path, row: dict, pdf: Path, date: datetime) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"] = "owner@example.org", "plaques@register.example"
    msg["Subject"], msg["Date"] = "Re: proof", format_datetime(date)
    msg.set_content("Here it is.")
    msg.add_attachment(pdf.read_bytes(), maintype="application", subtype="pdf", filename="proof.pdf")
    return msg.as_bytes()


@pytest.mark.skipif(DOVECOT is None, reason="dovecot-imapd is not installed (.ci/run installs it)")
def test_answers_from_the_mailbox_are_recorded_once_by_mail_date(batch, tmp_path, monkeypatch):
    certs = make_certs(tmp_path / "certs")
    rows = _csv(batch / "manifest.csv")
    ok = fill(batch / rows[0]["proof"], tmp_path / "a.pdf", approve=True, name="Ann")
    no = fill(batch / rows[0]["proof"], tmp_path / "b.pdf", changes="please smaller")
    now = datetime.now(timezone.utc).replace(microsecond=0)
    monkeypatch.setenv("PLAQUEGEN_IMAP_PASSWORD", "imap-pass")
    with Dovecot(tmp_path / "dovecot", certs, password="imap-pass") as server:
        # the newer mail asks for changes; it arrives first
        # (dated after the proof was made and before it is read: answers are ordered by their
        # date only inside that range; the reading happens two days later)
        server.append("INBOX", _reply(batch, rows[0], no, now + timedelta(hours=2)))
        server.append("INBOX", _reply(batch, rows[0], ok, now + timedelta(hours=1)))
        monkeypatch.setenv("PLAQUEGEN_NOW", (now + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ"))
        args = ("approvals", batch, "--imap", f"{server.url}/INBOX", "--imap-user", server.user,
                "--ca-file", certs.ca)
        code, text = run(*args)
        assert code == 0, text
        assert "2 answer(s) recorded" in text and "2 message(s)" in text and "CONFLICT" in text
        state = {r["vin"]: r for r in _csv(batch / "approvals.csv")}[rows[0]["vin"]]
        assert state["state"] == CHANGES  # newest by the mail's Date, not by arrival
        answers = _events(batch, "answer")
        assert sorted(e.owner_at for e in answers) == sorted(
            (now + d).strftime("%Y-%m-%dT%H:%M:%SZ") for d in (timedelta(hours=1), timedelta(hours=2)))
        code, text = run(*args)  # processed messages are not read again
        assert code == 0 and "No new answers" in text
        assert len(_events(batch, "answer")) == 2
