"""Incoming answers on real files: zip, eml, mbox, forwarded mail, folders, a Dovecot mailbox."""
from __future__ import annotations

import email
import io
import logging
import zipfile
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import pytest

import plaquegen.owners.archives as archives
import plaquegen.owners.imap as imap_module
import plaquegen.owners.items as items
import plaquegen.owners.mailfiles as mailfiles
from helpers.mailservers import DOVECOT, Dovecot, fill_proof, make_certs
from plaquegen.owners.guess import guess_plaque
from plaquegen.owners.imap import imap_fetch, imap_mark_done
from plaquegen.owners.inbox import CANDIDATE, DONE_KEYWORD, NOT_PROOF, REFUSED, InboxError, collect

IMAP_PASSWORD = "Imap-Pässwort-42"


@pytest.fixture(scope="module")
def answers(example_batch):
    """Two owners' filled-in proofs (bytes), and their VINs."""
    proofs = sorted((example_batch.folder / "proofs").glob("*.pdf"))
    a = fill_proof(proofs[0].read_bytes(), approve=True, name="Jürgen Müller", date="20.09.2025")
    b = fill_proof(proofs[1].read_bytes(), changes="Bitte ohne Unterschrift", name="Anneke")
    return a, b, proofs


@pytest.fixture(autouse=True)
def _nothing_on_stderr(capfd, caplog):
    caplog.set_level(logging.DEBUG)
    yield
    err = capfd.readouterr().err
    assert err == "", err
    assert [r for r in caplog.records if r.name.startswith("pypdf")] == []


def _zip(entries, method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", method) as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def _reply(pdfs, *, date="Sat, 20 Sep 2025 14:03:00 +0200", subject="Re: Proof of your plaque",
           sender="Jürgen Müller <juergen@example.org>", text="Here is my answer.",
           extra=()) -> EmailMessage:
    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = sender
    msg["To"] = "plaques@register.example"
    msg["Subject"] = subject
    if date:
        msg["Date"] = date
    msg["Message-ID"] = email.utils.make_msgid(domain="example.org")
    msg["In-Reply-To"] = "<sent.1@register.example>"
    msg.set_content(text)
    for name, data in pdfs:
        msg.add_attachment(data, maintype="application", subtype="pdf", filename=name)
    for name, maintype, subtype, data in extra:
        msg.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    return msg


def _by(items, outcome):
    return [i for i in items if i.outcome == outcome]


# ---------------------------------------------------------------------------
# Files and archives

@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2,
                                    zipfile.ZIP_LZMA])
def test_zip_with_two_proofs_gives_two_items(answers, tmp_path, method):
    a, b, _ = answers
    z = tmp_path / "answers.zip"
    z.write_bytes(_zip([("proofs/", b""), ("proofs/one.pdf", a), ("deep/er/two.pdf", b)], method))
    items = collect([z])
    assert [(i.name, i.outcome) for i in items] == [
        (f"{z}!proofs/one.pdf", CANDIDATE), (f"{z}!deep/er/two.pdf", CANDIDATE)]
    assert [i.data for i in items] == [a, b]
    assert all(i.made_at is None and i.mail is None and i.source == str(z) for i in items)


def test_nested_zip_one_level_and_no_deeper(answers, tmp_path):
    a, b, _ = answers
    inner = _zip([("b.pdf", b)])
    z = tmp_path / "outer.zip"
    z.write_bytes(_zip([("a.pdf", a), ("more/inner.zip", inner),
                        ("third.zip", _zip([("x.zip", _zip([("c.pdf", a)]))]))]))
    items = collect([z])
    assert [i.data for i in _by(items, CANDIDATE)] == [a, b]
    assert _by(items, CANDIDATE)[1].name == f"{z}!more/inner.zip!b.pdf"
    (deep,) = _by(items, REFUSED)
    assert deep.name == f"{z}!third.zip!x.zip" and "zip inside a zip inside a zip" in deep.reason


def test_zip_bombs_and_bad_paths_are_refused(answers, tmp_path, monkeypatch):
    a, _, _ = answers
    bomb = tmp_path / "bomb.zip"
    bomb.write_bytes(_zip([("a.pdf", a), ("zeros.pdf", b"\0" * 20_000_000)]))
    (item,) = collect([bomb])
    assert item.outcome == REFUSED and "zip bomb" in item.reason and "compressed" in item.reason
    nested = tmp_path / "nested-bomb.zip"
    nested.write_bytes(_zip([("inner.zip", bomb.read_bytes())], zipfile.ZIP_STORED))
    (item,) = collect([nested])
    assert item.outcome == REFUSED and "zip bomb" in item.reason
    assert item.name == f"{nested}!inner.zip"
    for name in ("../x.pdf", "ok/../../x.pdf", "/etc/x.pdf", "C:\\x.pdf", "..\\x.pdf"):
        z = tmp_path / "evil.zip"
        z.write_bytes(_zip([("a.pdf", a), (name, a)]))
        (item,) = collect([z])
        assert item.outcome == REFUSED and "refused as a whole" in item.reason, name
    many = tmp_path / "many.zip"
    many.write_bytes(_zip([(f"f{i}.txt", b"x") for i in range(items.MAX_ENTRIES + 1)]))
    (item,) = collect([many])
    assert item.outcome == REFUSED and "entries" in item.reason
    # Total size: declared sizes above the limit are refused before anything is unpacked.
    for module in (items, archives, mailfiles):
        monkeypatch.setattr(module, "MAX_TOTAL_BYTES", len(a) + 10)
    two = tmp_path / "two.zip"
    two.write_bytes(_zip([("a.pdf", a), ("b.pdf", a)]))
    (item,) = collect([two])
    assert item.outcome == REFUSED and "unpacks to" in item.reason


def test_zip_with_a_lying_size_is_refused_not_read_beyond(answers, tmp_path):
    a, _, _ = answers
    data = bytearray(_zip([("a.pdf", a)], zipfile.ZIP_STORED))
    # Make the central directory claim a smaller size than the data: the reader stops there
    # and the CRC check fails.
    cd = data.rfind(b"PK\x01\x02")
    data[cd + 24:cd + 28] = (100).to_bytes(4, "little")  # uncompressed size
    z = tmp_path / "lying.zip"
    z.write_bytes(bytes(data))
    items = collect([z])
    assert [i.outcome for i in items] == [REFUSED] and not items[0].data


def test_eml_with_attachments_and_date(answers, tmp_path):
    a, _, _ = answers
    msg = _reply([("Scan 20.09.pdf", a)], extra=[("logo.png", "image", "png", b"\x89PNG\r\n..."),
                                                 ("answers.zip", "application", "zip",
                                                  _zip([("b.pdf", a), ("c.pdf", a)],
                                                       zipfile.ZIP_STORED))])
    f = tmp_path / "reply.eml"
    f.write_bytes(msg.as_bytes())
    items = collect([f])
    assert [(i.name, i.outcome) for i in items] == [
        (f"{f}!Scan 20.09.pdf", CANDIDATE), (f"{f}!logo.png", NOT_PROOF),
        (f"{f}!answers.zip!b.pdf", CANDIDATE), (f"{f}!answers.zip!c.pdf", CANDIDATE)]
    assert items[0].data == a and items[2].data == a and items[3].data == a
    assert {i.made_at for i in items} == {"2025-09-20T12:03:00Z"}
    assert items[0].mail.sender == "Jürgen Müller <juergen@example.org>"
    assert items[0].mail.in_reply_to == "<sent.1@register.example>"
    assert items[1].reason == "a PNG image"


def test_mail_without_pdf_is_accounted_for(tmp_path):
    f = tmp_path / "phone.eml"
    f.write_bytes(_reply([], text="Alles gut, ich gebe frei!\r\nGruß").as_bytes())
    (item,) = collect([f])
    assert item.outcome == NOT_PROOF and "without a PDF" in item.reason
    assert "Alles gut, ich gebe frei! Gruß" in item.reason and item.made_at == "2025-09-20T12:03:00Z"


def test_forwarded_message_is_followed(answers, tmp_path):
    a, _, _ = answers
    original = _reply([("proof.pdf", a)], date="Fri, 19 Sep 2025 08:00:00 -0400")
    fwd = EmailMessage(policy=policy.SMTP)
    fwd["From"] = "Secretary <club@example.net>"
    fwd["To"] = "plaques@register.example"
    fwd["Subject"] = "Fwd: Re: Proof of your plaque"
    fwd["Date"] = "Mon, 22 Sep 2025 09:00:00 +0000"
    fwd.set_content("See below.")
    fwd.add_attachment(original, filename="answer.eml")
    f = tmp_path / "fwd.eml"
    f.write_bytes(fwd.as_bytes())
    items = collect([f])
    (cand,) = _by(items, CANDIDATE)
    assert cand.data == a and cand.name == f"{f}!answer.eml!proof.pdf"
    assert cand.made_at == "2025-09-19T12:00:00Z"  # the owner's own mail, not the forward
    assert cand.mail.sender.endswith("<juergen@example.org>")


def test_mbox(answers, tmp_path):
    a, b, _ = answers
    m1 = _reply([("a.pdf", a)])
    m2 = _reply([("b.pdf", b)], date="Sun, 21 Sep 2025 10:00:00 +0000")
    m3 = _reply([], text="I will answer next week.")
    f = tmp_path / "Answers.mbox"
    import mailbox

    box = mailbox.mbox(str(f))
    for m in (m1, m2, m3):
        box.add(m)
    box.flush()
    box.close()
    items = collect([f])
    assert [(i.name, i.outcome, i.made_at) for i in items] == [
        (f"{f}!message 1!a.pdf", CANDIDATE, "2025-09-20T12:03:00Z"),
        (f"{f}!message 2!b.pdf", CANDIDATE, "2025-09-21T10:00:00Z"),
        (f"{f}!message 3", NOT_PROOF, "2025-09-20T12:03:00Z")]
    assert [i.data for i in items[:2]] == [a, b]


def test_folders_recursively_and_odd_files(answers, tmp_path):
    a, b, _ = answers
    root = tmp_path / "inbox"
    (root / "sub" / "deeper").mkdir(parents=True)
    (root / "a.pdf").write_bytes(a)
    (root / "sub" / "answers.zip").write_bytes(_zip([("b.pdf", b)]))
    (root / "sub" / "deeper" / "reply.eml").write_bytes(_reply([("c.pdf", a)]).as_bytes())
    (root / "sub" / "notes.txt").write_text("call Jürgen", encoding="utf-8")
    (root / "sub" / "fake.pdf").write_bytes(b"\xff\xd8\xff\xe0 a photo")
    (root / ".DS_Store").write_bytes(b"\0\0\0\1Bud1")
    items = collect([root, root / "a.pdf", tmp_path / "missing.pdf"])
    got = [(i.name.replace(str(root), "~"), i.outcome) for i in items]
    assert got == [("~/a.pdf", CANDIDATE), ("~/sub/answers.zip!b.pdf", CANDIDATE),
                   ("~/sub/deeper/reply.eml!c.pdf", CANDIDATE), ("~/sub/fake.pdf", REFUSED),
                   ("~/sub/notes.txt", NOT_PROOF), (str(tmp_path / "missing.pdf"), REFUSED)]
    assert "named .pdf but it is a JPEG image" in items[3].reason and items[4].reason == "a text file"


def test_guess_plaque_from_a_proof_without_its_form(answers):
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject

    a, _, proofs = answers
    vin = proofs[0].stem.split("_", 1)[1]
    label = f"{int(proofs[0].stem.split('_')[0]):04d} / 6309"
    # "Printed to PDF": no form, no annotations, no document metadata.
    w = PdfWriter(clone_from=PdfReader(io.BytesIO(a)))
    del w._root_object[NameObject("/AcroForm")]
    for page in w.pages:
        if "/Annots" in page:
            del page[NameObject("/Annots")]
    w.add_metadata({"/Subject": "", "/Title": ""})
    buf = io.BytesIO()
    w.write(buf)
    printed = buf.getvalue()
    assert not PdfReader(io.BytesIO(printed)).get_fields()
    assert guess_plaque(printed) == (vin, label)
    assert guess_plaque(a) == (vin, label)  # from the metadata identity
    assert guess_plaque(b"%PDF-1.4 garbage") == (None, None)
    # pypdf would warn about this header ("invalid pdf header"): nothing may reach the terminal.
    assert guess_plaque(b"PK\x03\x04" + printed) == (vin, label)


# ---------------------------------------------------------------------------
# A real IMAP server (Dovecot) on loopback

@pytest.fixture(scope="module")
def dovecot(tmp_path_factory):
    if DOVECOT is None:
        pytest.skip("dovecot-imapd is not installed (.ci/run installs it)")
    base = tmp_path_factory.mktemp("imap")
    certs = make_certs(base / "certs")
    with Dovecot(base / "dovecot", certs, password=IMAP_PASSWORD) as server:
        yield server


def _flags(server: Dovecot, folder: str) -> dict[int, str]:
    imap = server.client()
    try:
        imap.select(imap_module._mutf7(folder), readonly=True)
        typ, data = imap.uid("FETCH", "1:*", "(FLAGS)")
        out = {}
        for d in data:
            if d:
                text = d.decode() if isinstance(d, bytes) else d[0].decode()
                uid = int(text.split("UID ")[1].split()[0].rstrip(")"))
                out[uid] = text
        return out
    finally:
        imap.logout()


def test_imap_replies_fetched_marked_and_not_fetched_again(dovecot, answers, monkeypatch, capfd):
    a, b, _ = answers
    folder = "Antworten Plaketten ä"  # spaces and non-ASCII: quoted, modified UTF-7
    now = datetime.now(timezone.utc).replace(microsecond=0)
    dovecot.append(folder, _reply([("0003.pdf", a)], date=format_datetime(now - timedelta(days=2)))
                   .as_bytes())
    dovecot.append(folder, _reply([("Scan.pdf", b)], date=None).as_bytes())
    dovecot.append(folder, _reply([], text="Call me please").as_bytes(),
                   flags="(\\Seen)")  # already read in a mail program: still fetched
    monkeypatch.setenv("PLAQUEGEN_IMAP_PASSWORD", IMAP_PASSWORD)
    url = f"{dovecot.url}/{folder}"
    got = imap_fetch(url, user=dovecot.user, ca_file=dovecot.certs.ca)
    assert got.handle.marker == DONE_KEYWORD and got.note == ""
    cands = [i for i in got.items if i.candidate]
    assert [i.data for i in cands] == [a, b]
    assert cands[0].made_at == (now - timedelta(days=2)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert cands[1].made_at is not None  # no Date header: the server's arrival time
    assert cands[0].name == f"imap {folder}/1!0003.pdf" and cands[0].imap_uid == 1
    (other,) = [i for i in got.items if not i.candidate]
    assert other.outcome == NOT_PROOF and "Call me please" in other.reason
    assert len(got.handle.uids) == 3
    # Fetching changed nothing on the server (PEEK): the first two are still unread.
    flags = _flags(dovecot, folder)
    assert "\\Seen" not in flags[1] and DONE_KEYWORD not in flags[1]
    # Not marked yet: a second fetch returns the same messages.
    again = imap_fetch(url, user=dovecot.user, ca_file=dovecot.certs.ca)
    assert again.handle.uids == got.handle.uids
    assert imap_mark_done(got.handle, ca_file=dovecot.certs.ca) == 3
    assert all(DONE_KEYWORD in f for f in _flags(dovecot, folder).values())
    assert imap_fetch(url, user=dovecot.user, ca_file=dovecot.certs.ca).items == ()
    # A new reply arrives: only that one is fetched.
    dovecot.append(folder, _reply([("late.pdf", a)]).as_bytes())
    late = imap_fetch(url, user=dovecot.user, ca_file=dovecot.certs.ca)
    assert [i.name for i in late.items] == [f"imap {folder}/4!late.pdf"]
    assert imap_mark_done(late.handle, ca_file=dovecot.certs.ca, uids=[]) == 0
    out = capfd.readouterr()
    assert IMAP_PASSWORD not in out.out + out.err + repr(got)


def test_imap_errors_are_one_sentence(dovecot, monkeypatch):
    monkeypatch.setenv("PLAQUEGEN_IMAP_PASSWORD", "wrong")
    with pytest.raises(InboxError, match="refused the login") as e:
        imap_fetch(dovecot.url, user=dovecot.user, ca_file=dovecot.certs.ca)
    assert "wrong" not in str(e.value)
    monkeypatch.setenv("PLAQUEGEN_IMAP_PASSWORD", IMAP_PASSWORD)
    with pytest.raises(InboxError, match="no folder"):
        imap_fetch(f"{dovecot.url}/Nope", user=dovecot.user, ca_file=dovecot.certs.ca)
    with pytest.raises(InboxError, match="could not be verified"):
        imap_fetch(dovecot.url, user=dovecot.user)  # our test CA is not a system CA
    with pytest.raises(InboxError, match="imaps://"):
        imap_fetch(dovecot.url.replace("imaps", "imap"), user=dovecot.user)
    with pytest.raises(InboxError, match="never put the password"):
        imap_fetch(f"imaps://{dovecot.user}:{IMAP_PASSWORD}@127.0.0.1:{dovecot.port}/INBOX")
    monkeypatch.delenv("PLAQUEGEN_IMAP_PASSWORD")
    with pytest.raises(InboxError, match="PLAQUEGEN_IMAP_PASSWORD"):
        imap_fetch(dovecot.url, user=dovecot.user, ca_file=dovecot.certs.ca)


def test_imap_mark_refused_when_folder_was_rebuilt(dovecot, answers, monkeypatch):
    a, _, _ = answers
    monkeypatch.setenv("PLAQUEGEN_IMAP_PASSWORD", IMAP_PASSWORD)
    dovecot.append("Rebuilt", _reply([("x.pdf", a)]).as_bytes())
    got = imap_fetch(f"{dovecot.url}/Rebuilt", user=dovecot.user, ca_file=dovecot.certs.ca)
    imap = dovecot.client()
    imap.delete("Rebuilt")
    imap.create("Rebuilt")
    imap.logout()
    with pytest.raises(InboxError, match="UIDVALIDITY"):
        imap_mark_done(got.handle, ca_file=dovecot.certs.ca)
