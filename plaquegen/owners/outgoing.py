"""Outgoing mail: one message per plaque with the owner's proof attached.

* :func:`build_message` makes a standard MIME message (plain text in the
  owner's language, the proof PDF attached byte for byte, ``Message-ID`` and
  ``Date`` set). Everything that comes from an order cell is checked first:
  an address that is not a plain ``local@domain`` address, or any address or
  header text with line breaks or control characters, is refused with a
  :class:`MailError` saying why; display names are RFC 2047-encoded by the
  ``email`` package, so no order cell can add a header.
* :func:`write_outbox` writes the messages as ``.eml`` files (atomically) that
  any mail program opens; nothing is sent.
* :func:`send_messages` sends them over one SMTP connection: implicit TLS
  (``ssl=True``) or STARTTLS whenever the server offers it, with a verified
  certificate (``ca_file`` adds a CA, for a register's own server or tests).
  The password comes only from an environment variable; it is never logged,
  never part of an exception's text or a result. A login without TLS is
  refused. A recipient the server refuses does not stop the others: every
  message gets a :class:`SendResult` with the server's own reply.

Headers ``X-Plaquegen-Batch`` and ``X-Plaquegen-VIN`` name the plaque, so a
sent message (or an outbox file) can be matched to the ledger.
"""
from __future__ import annotations

import os
import re
import smtplib
import socket
import ssl as _ssl
import unicodedata
from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Callable, Sequence

from ..core.clock import parse_utc, utc_now
from ..core.errors import PlaquegenError
from ..core.files import atomic_write_bytes, safe_name
from ..proof.strings import GERMAN_COUNTRIES, STRINGS, language_for

__all__ = ["MailError", "SendResult", "mail_language", "check_address", "build_message",
           "write_outbox", "send_messages", "message_bytes", "LANGUAGES", "PASSWORD_ENV",
           "GERMAN_COUNTRIES"]

PASSWORD_ENV = "PLAQUEGEN_SMTP_PASSWORD"
LANGUAGES = ("de", "en")
HEADER_BATCH = "X-Plaquegen-Batch"
HEADER_VIN = "X-Plaquegen-VIN"
HEADER_KIND = "X-Plaquegen-Kind"  # "proof" or "reminder"
MAX_ADDRESS = 254  # RFC 5321 path limit
_LOCAL = re.compile(r"^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$")
_LABEL = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u0085\u2028\u2029]")


class MailError(PlaquegenError):
    """A message cannot be built or sent; str() is one sentence (never holds a password)."""


@dataclass(frozen=True)
class SendResult:
    """What happened to one message.

    sent_at: when the server answered, ISO 8601 UTC (``2025-09-14T10:22:03Z``).
    reason: the server's reply (code and text) for a success as for a failure,
    or what went wrong on our side.
    """

    message_id: str
    to: str
    vin: str
    batch_id: str
    sent_at: str
    ok: bool
    reason: str
    uncertain: bool = False  # the line dropped after the message was handed over: it may have arrived


# ---------------------------------------------------------------------------
# Language and texts.

mail_language = language_for  # one rule for the proof and the mail


# The form's labels are quoted exactly as the proof prints them (proofstrings.STRINGS).
_TEXT = {
    "en": {
        "subject": "Proof of your plaque {label} \u2013 please approve",
        "subject_reminder": "Reminder: proof of your plaque {label} \u2013 your answer is missing",
        "hello": "Dear {name},",
        "hello_anon": "Hello,",
        "intro": ("attached is the proof of your numbered plaque {label} for the car with "
                  "VIN {vin} (batch {batch}). Your plaque is engraved exactly as the proof "
                  "shows it, and only after you have approved it."),
        "reminder": ("we sent you the proof of your numbered plaque {label} (VIN {vin}, batch "
                     "{batch}) and have not received your answer yet. The proof is attached "
                     "again. Nothing is engraved before your answer."),
        "steps": "What to do:",
        "step1": "Open the attached PDF file ({file}) in a PDF program that can fill in forms "
                 "(for example Adobe Acrobat Reader; a browser preview may not save the form).",
        "step2": "Check every detail: the number, the VIN and the drawing.",
        "step3": "If it is right, tick \u201c{approve}\u201d. If anything should change, do not "
                 "tick it: write what you need into \u201c{changes}\u201d",
        "step4": "Fill in your name and today's date.",
        "step5": "Save the PDF (keep it a PDF: please do not print, scan or photograph it).",
        "step6": "Reply to this e-mail with the saved file attached.",
        "closing": "Thank you!",
        "signature": "The plaque team of the register",
    },
    "de": {
        "subject": "Korrekturabzug Ihrer Plakette {label} \u2013 bitte freigeben",
        "subject_reminder": "Erinnerung: Korrekturabzug Ihrer Plakette {label} \u2013 Ihre Antwort "
                            "fehlt noch",
        "hello": "Guten Tag {name},",
        "hello_anon": "Guten Tag,",
        "intro": ("anbei erhalten Sie den Korrekturabzug Ihrer nummerierten Plakette {label} "
                  "f\u00fcr das Fahrzeug mit der Fahrgestellnummer {vin} (Charge {batch}). "
                  "Die Plakette wird genau so graviert, wie der Abzug sie zeigt, und erst "
                  "nach Ihrer Freigabe."),
        "reminder": ("wir haben Ihnen den Korrekturabzug Ihrer nummerierten Plakette {label} "
                     "(Fahrgestellnummer {vin}, Charge {batch}) geschickt und noch keine "
                     "Antwort erhalten. Der Abzug ist noch einmal angeh\u00e4ngt. Graviert wird "
                     "erst nach Ihrer Antwort."),
        "steps": "So geht es:",
        "step1": "\u00d6ffnen Sie die angeh\u00e4ngte PDF-Datei ({file}) in einem PDF-Programm, "
                 "das Formulare ausf\u00fcllen kann (zum Beispiel Adobe Acrobat Reader; die "
                 "Vorschau im Browser speichert das Formular oft nicht).",
        "step2": "Pr\u00fcfen Sie alle Angaben: Nummer, Fahrgestellnummer und Zeichnung.",
        "step3": "Stimmt alles, kreuzen Sie \u201e{approve}\u201c an. Soll sich etwas \u00e4ndern, "
                 "kreuzen Sie nicht an, sondern schreiben Sie Ihre W\u00fcnsche in das Feld "
                 "\u201e{changes}\u201c",
        "step4": "Tragen Sie Ihren Namen und das heutige Datum ein.",
        "step5": "Speichern Sie die PDF-Datei (bitte als PDF: nicht ausdrucken, scannen oder "
                 "fotografieren).",
        "step6": "Antworten Sie auf diese E-Mail und h\u00e4ngen Sie die gespeicherte Datei an.",
        "closing": "Vielen Dank!",
        "signature": "Das Plaketten-Team des Registers",
    },
}


def _proof_labels(lang: str) -> tuple[str, str]:

    t = STRINGS[lang]
    return t["approve"], t["changes"].split("(")[0].rstrip(" :")


# ---------------------------------------------------------------------------
# Checking what comes from order cells.

def _clean_text(text: object, what: str, max_len: int = 200) -> str:
    """Display text for a header or the body: control characters and line breaks become
    spaces, runs of spaces collapse, invisible format characters go."""
    s = unicodedata.normalize("NFC", str(text or ""))
    s = _CONTROL.sub(" ", s)
    s = "".join(ch for ch in s if unicodedata.category(ch) != "Cf")
    s = re.sub(r"\s+", " ", s).strip()
    if len(s) > max_len:
        raise MailError(f"the {what} is longer than {max_len} characters.")
    return s


def check_address(address: str, what: str = "e-mail address") -> str:
    """``address`` as a plain ASCII ``local@domain`` address (domain IDNA-encoded).

    Refused with a :class:`MailError` naming the problem: empty, line breaks or
    control characters, spaces, a display name or angle brackets, not exactly one
    '@', a local part that is not a plain dot-atom (or is non-ASCII: that would need
    SMTPUTF8), a domain that is not a host name with a dot.
    """
    raw = str(address or "")
    shown = _CONTROL.sub("?", raw)[:80]
    if not raw.strip():
        raise MailError(f"the {what} is empty.")
    if _CONTROL.search(raw):
        raise MailError(f"the {what} {shown!r} contains a line break or control character.")
    addr = raw.strip()
    if any(ch.isspace() for ch in addr) or any(ch in addr for ch in "<>,;\"()[]\\"):
        raise MailError(f"the {what} {shown!r} is not a single plain address (it holds spaces "
                        "or one of < > , ; \" ( ) [ ] \\).")
    if addr.count("@") != 1:
        raise MailError(f"the {what} {shown!r} must contain exactly one '@'.")
    local, domain = addr.split("@")
    if not local or len(local) > 64:
        raise MailError(f"the {what} {shown!r} has an empty or too long part before the '@'.")
    if not local.isascii():
        raise MailError(f"the {what} {shown!r} has non-ASCII letters before the '@', which most "
                        "mail servers cannot deliver.")
    if not _LOCAL.match(local):
        raise MailError(f"the {what} {shown!r} has a part before the '@' that is not a plain "
                        "address (dots at the start or end, or two dots in a row).")
    try:
        ascii_domain = domain.rstrip(".").encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise MailError(f"the {what} {shown!r} has a domain that is not a valid host name.") from None
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(lb) for lb in labels) or labels[-1].isdigit():
        raise MailError(f"the {what} {shown!r} has a domain that is not a valid host name "
                        "(like example.org).")
    out = f"{local}@{ascii_domain}"
    if len(out) > MAX_ADDRESS:
        raise MailError(f"the {what} {shown!r} is longer than {MAX_ADDRESS} characters.")
    return out


def _mailbox(address: str, name: str, what: str) -> Address:
    addr = check_address(address, what)
    local, domain = addr.split("@")
    return Address(display_name=_clean_text(name, f"name for {addr}", 120), username=local,
                   domain=domain)


# ---------------------------------------------------------------------------
# Building messages.

def build_message(*, to: str, sender: str, language: str, owner_name: str, plaque_label: str,
                  vin: str, batch_id: str, proof_name: str, proof_bytes: bytes,
                  reminder: bool = False, sender_name: str = "", reply_to: str | None = None,
                  date: datetime | None = None) -> EmailMessage:
    """One message to one owner with their proof attached (byte for byte).

    ``language`` is 'de' or 'en' (see :func:`mail_language`; other codes get
    English). ``sender`` may be ``"Name <addr>"`` or a plain address; its domain
    also names the Message-ID. ``date`` (default: now) sets the Date header.
    Raises :class:`MailError` for an invalid address or text.
    """
    lang = language if language in _TEXT else "en"
    T = _TEXT[lang]
    s_name, s_addr = _split_sender(sender)
    from_box = _mailbox(s_addr, sender_name or s_name, "sender address")
    to_box = _mailbox(to, owner_name, "owner's e-mail address")
    label = _clean_text(plaque_label, "plaque label", 60)
    vin_c = _clean_text(vin, "VIN", 40)
    batch = _clean_text(batch_id, "batch id", 80)
    name = to_box.display_name
    if not isinstance(proof_bytes, (bytes, bytearray)) or not bytes(proof_bytes[:1024]).count(b"%PDF-"):
        raise MailError(f"the proof for {vin_c} is not a PDF file.")
    file_name = safe_name(Path(str(proof_name)).stem, "proof") + ".pdf"

    msg = EmailMessage(policy=policy.SMTP)
    msg["From"] = from_box
    msg["To"] = to_box
    if reply_to:
        msg["Reply-To"] = _mailbox(reply_to, "", "reply-to address")
    msg["Subject"] = T["subject_reminder" if reminder else "subject"].format(label=label)
    msg["Date"] = format_datetime(date or parse_utc(utc_now()))
    msg["Message-ID"] = make_msgid(domain=from_box.domain)
    msg[HEADER_BATCH] = safe_name(batch, "batch", 80)
    msg[HEADER_VIN] = safe_name(vin_c, "vin", 40)
    msg[HEADER_KIND] = "reminder" if reminder else "proof"

    approve, changes = _proof_labels(lang)
    fmt = dict(label=label, vin=vin_c, batch=batch, file=file_name, approve=approve,
               changes=changes)
    lines = [T["hello"].format(name=name) if name else T["hello_anon"], "",
             (T["reminder"] if reminder else T["intro"]).format(**fmt), "", T["steps"], ""]
    for i in range(1, 7):
        lines.append(f"{i}. " + T[f"step{i}"].format(**fmt) + ("." if i == 3 else ""))
    lines += ["", T["closing"], "", T["signature"], ""]
    msg.set_content("\n".join(lines), subtype="plain", charset="utf-8", cte="quoted-printable")
    msg.add_attachment(bytes(proof_bytes), maintype="application", subtype="pdf",
                       filename=file_name)
    msg["Content-Language"] = lang  # after the content: set_content drops Content-* headers
    return msg


def _split_sender(sender: str) -> tuple[str, str]:
    """'Name <addr>' or 'addr' -> (name, addr); refuses line breaks before parsing."""
    s = str(sender or "")
    if _CONTROL.search(s):
        raise MailError("the sender address contains a line break or control character.")
    m = re.fullmatch(r"\s*(.*?)\s*<([^<>]*)>\s*", s)
    if m:
        return m.group(1).strip().strip('"'), m.group(2)
    return "", s.strip()


def message_bytes(msg: EmailMessage) -> bytes:
    """The message as sent and as written to an .eml file (CRLF line ends)."""
    return msg.as_bytes(policy=policy.SMTP)


# ---------------------------------------------------------------------------
# Outbox.

def write_outbox(folder: str | os.PathLike, messages: Sequence[EmailMessage]) -> list[Path]:
    """Write each message as ``<proof name>.eml`` (``…-reminder.eml``) into ``folder``.

    Files are written atomically; an existing file of the same name is
    replaced. Outbox files carry ``X-Unsent: 1`` so Outlook opens them as a
    draft to send; other mail programs open them as a message.
    """
    folder = Path(folder)
    out: list[Path] = []
    used: set[str] = set()
    for msg in messages:
        att = next(msg.iter_attachments(), None)
        stem = safe_name(Path(att.get_filename() or "message").stem if att else "message", "message")
        if msg.get(HEADER_KIND) == "reminder":
            stem += "-reminder"
        name, n = stem, 1
        while name in used:
            n += 1
            name = f"{stem}-{n}"
        used.add(name)
        data = message_bytes(msg)
        target = folder / f"{name}.eml"
        try:
            atomic_write_bytes(target, b"X-Unsent: 1\r\n" + data)
        except OSError as e:
            raise MailError(f"cannot write {target}: {e.strerror or e}.") from None
        out.append(target)
    return out


# ---------------------------------------------------------------------------
# Sending.

def _reply(code: int, resp: bytes | str) -> str:
    text = resp.decode("utf-8", "replace") if isinstance(resp, bytes) else str(resp)
    return _CONTROL.sub(" ", f"{code} {text}").strip()


def _scrub(text: str, secret: str | None) -> str:
    if secret:
        text = text.replace(secret, "***")
    return text


def send_messages(messages: Sequence[EmailMessage], *, host: str, port: int | None = None,
                  ssl: bool = False, user: str | None = None, password_env: str = PASSWORD_ENV,
                  timeout: float = 60.0, ca_file: str | os.PathLike | None = None,
                  local_hostname: str | None = None,
                  on_result: Callable[[SendResult], None] | None = None) -> list[SendResult]:
    """Send ``messages`` over one SMTP connection; one :class:`SendResult` per message.

    ``port`` defaults to 465 with ``ssl`` (implicit TLS), else 587. Without
    ``ssl``, STARTTLS is used whenever the server offers it. The certificate is
    verified against the system CAs plus ``ca_file``. With ``user``, the
    password is read from the environment variable ``password_env``; a login is
    refused unless the connection is encrypted. A refused sender, recipient or
    message is a failed result with the server's reply, and the next message is
    sent; a lost connection fails the rest. Raises :class:`MailError` (one
    sentence, never the password) when no message can be sent at all
    (connection, TLS, or login failed). ``on_result`` is called with each result as soon as
    the server has answered for that message, before the next one is sent (so the caller
    records it then, and an interrupt loses nothing that went out).
    """
    if not messages:
        return []
    password = None
    if user:
        password = os.environ.get(password_env)
        if not password:
            raise MailError(f"set the SMTP password in the environment variable {password_env} "
                            "(it is never taken from the command line).")
    port = port or (465 if ssl else 587)
    try:
        context = _ssl.create_default_context(cafile=str(ca_file) if ca_file else None)
    except (OSError, _ssl.SSLError) as e:
        raise MailError(f"cannot read the CA file {ca_file}: {e}.") from None
    where = f"{host}:{port}"
    try:
        if ssl:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, local_hostname=local_hostname,
                                                  timeout=timeout, context=context)
        else:
            smtp = smtplib.SMTP(host, port, local_hostname=local_hostname, timeout=timeout)
    except _ssl.SSLCertVerificationError as e:
        raise MailError(f"the certificate of mail server {where} could not be verified "
                        f"({e.verify_message}).") from None
    except (OSError, smtplib.SMTPException) as e:
        raise MailError(f"cannot connect to mail server {where}: {_oserror(e)}.") from None
    try:
        try:
            smtp.ehlo()
            encrypted = ssl
            if not ssl and smtp.has_extn("starttls"):
                smtp.starttls(context=context)
                smtp.ehlo()
                encrypted = True
            if user:
                if not encrypted:
                    raise MailError(f"mail server {where} offers no STARTTLS: refusing to send the "
                                    "password unencrypted (use --smtp-ssl or another server).")
                _login(smtp, user, password or "")
        except smtplib.SMTPAuthenticationError as e:
            raise MailError(_scrub(f"mail server {where} refused the login of {user}: "
                                   f"{_reply(e.smtp_code, e.smtp_error)}.", password)) from None
        except _ssl.SSLCertVerificationError as e:
            raise MailError(f"the certificate of mail server {where} could not be verified "
                            f"({e.verify_message}).") from None
        except smtplib.SMTPNotSupportedError:
            raise MailError(f"mail server {where} does not offer a login (AUTH).") from None
        except smtplib.SMTPException as e:
            raise MailError(_scrub(f"mail server {where} failed: {_oserror(e)}.", password)) from None
        except OSError as e:
            raise MailError(f"the connection to mail server {where} failed: {_oserror(e)}.") from None
        return _send_all(smtp, messages, password, on_result or (lambda r: None))
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def _login(smtp: smtplib.SMTP, user: str, password: str) -> None:
    """AUTH PLAIN (or LOGIN) with UTF-8 user and password (smtplib's login() is ASCII-only)."""
    import base64

    def b64(data: bytes) -> str:
        return base64.b64encode(data).decode("ascii")

    mechanisms = (smtp.esmtp_features.get("auth") or "").upper().split()
    if not mechanisms:
        raise smtplib.SMTPNotSupportedError("no AUTH")
    if "PLAIN" in mechanisms:
        code, resp = smtp.docmd("AUTH", "PLAIN " + b64(b"\0" + user.encode() + b"\0" +
                                                       password.encode()))
    elif "LOGIN" in mechanisms:
        code, resp = smtp.docmd("AUTH", "LOGIN " + b64(user.encode()))
        if code == 334:
            code, resp = smtp.docmd(b64(password.encode()))
    else:
        raise smtplib.SMTPNotSupportedError("no usable AUTH mechanism")
    if code not in (235, 503):
        raise smtplib.SMTPAuthenticationError(code, resp)


def _send_all(smtp: smtplib.SMTP, messages: Sequence[EmailMessage], password: str | None,
              on_result: Callable[[SendResult], None]) -> list[SendResult]:
    results = _Results(on_result)
    lost = ""
    for msg in messages:
        mid = str(msg.get("Message-ID", ""))
        to = ", ".join(a.addr_spec for a in msg["To"].addresses) if msg.get("To") else ""
        vin, batch = str(msg.get(HEADER_VIN, "")), str(msg.get(HEADER_BATCH, ""))

        def result(ok: bool, reason: str, uncertain: bool = False) -> SendResult:
            return SendResult(mid, to, vin, batch, utc_now(), ok, _scrub(reason, password), uncertain)

        handed_over = False

        if lost:
            results.append(result(False, lost))
            continue
        try:
            sender = msg["From"].addresses[0].addr_spec
            code, resp = smtp.mail(sender)
            if code != 250:
                smtp.rset()
                results.append(result(False, "sender refused: " + _reply(code, resp)))
                continue
            code, resp = smtp.rcpt(to)
            if code not in (250, 251):
                smtp.rset()
                results.append(result(False, "recipient refused: " + _reply(code, resp)))
                continue
            handed_over = True  # from here on, a lost line leaves the message's fate unknown
            code, resp = smtp.data(message_bytes(msg))
            if code != 250:
                smtp.rset()
                results.append(result(False, "message refused: " + _reply(code, resp)))
                continue
            results.append(result(True, _reply(code, resp)))
        except smtplib.SMTPDataError as e:
            results.append(result(False, "message refused: " + _reply(e.smtp_code, e.smtp_error)))
        except (smtplib.SMTPServerDisconnected, OSError) as e:
            lost = f"connection lost: {_oserror(e)}"
            if handed_over:
                results.append(result(False, f"{lost}, after the message was handed over: it may have "
                                      "arrived", uncertain=True))
            else:
                results.append(result(False, lost))
        except smtplib.SMTPResponseException as e:
            results.append(result(False, _reply(e.smtp_code, e.smtp_error)))
        except KeyboardInterrupt:
            if handed_over:  # the server may have it: recorded so that a re-run never mails twice
                results.append(result(False, "interrupted after the message was handed over: it may "
                                      "have arrived", uncertain=True))
            raise
    return list(results)


class _Results(list):
    """The results so far; each one is passed on as soon as it is known."""

    def __init__(self, on_result: Callable[[SendResult], None]):
        super().__init__()
        self._on_result = on_result

    def append(self, r: SendResult) -> None:
        super().append(r)
        self._on_result(r)


def _oserror(e: BaseException) -> str:
    if isinstance(e, socket.timeout):
        return "timed out"
    if isinstance(e, smtplib.SMTPResponseException):
        return _reply(e.smtp_code, e.smtp_error)
    text = getattr(e, "strerror", None) or str(e) or type(e).__name__
    return _CONTROL.sub(" ", str(text))[:200]
