"""Real mail servers on 127.0.0.1 for tests: aiosmtpd (SMTP, STARTTLS, AUTH) and Dovecot (IMAPS).

Certificates are throw-away: a CA and a server certificate for ``localhost`` /
``127.0.0.1`` made with ``cryptography`` in the test's tmp folder; the client is
given the CA file (``ca_file=``) so TLS is verified as in production.
"""
from __future__ import annotations

import datetime as _dt
import getpass
import grp
import ipaddress
import os
import shutil
import socket
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass(frozen=True)
class Certs:
    ca: Path
    cert: Path
    key: Path


def make_certs(folder: Path) -> Certs:
    """A throw-away CA and a server certificate for localhost and 127.0.0.1 (PEM files)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    folder.mkdir(parents=True, exist_ok=True)
    now = _dt.datetime.now(_dt.timezone.utc)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "plaquegen test CA")])
    ca = (x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
          .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
          .not_valid_before(now - _dt.timedelta(days=1)).not_valid_after(now + _dt.timedelta(days=2))
          .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
          .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                       content_commitment=False, key_encipherment=False,
                                       data_encipherment=False, key_agreement=False,
                                       encipher_only=False, decipher_only=False), critical=True)
          .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
          .sign(ca_key, hashes.SHA256()))
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
            .issuer_name(ca_name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(days=1)).not_valid_after(now + _dt.timedelta(days=2))
            .add_extension(x509.SubjectAlternativeName([
                x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    out = Certs(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    out.ca.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    out.cert.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    out.key.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                          serialization.PrivateFormat.TraditionalOpenSSL,
                                          serialization.NoEncryption()))
    out.key.chmod(0o600)
    return out


def server_context(certs: Certs) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(certs.cert, certs.key)
    return ctx


# ---------------------------------------------------------------------------
# SMTP (aiosmtpd)

@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    tls: bool
    login: str | None


@dataclass
class SmtpHandler:
    """Accepts everything except the addresses in ``refuse`` (550 at RCPT). ``delay``: seconds
    before each DATA reply (a slow server); ``drop_after``: after storing that many messages,
    drop the line instead of answering the last one (its sender cannot know it arrived)."""

    refuse: set[str] = field(default_factory=set)
    received: list[Received] = field(default_factory=list)
    rcpt_seen: list[str] = field(default_factory=list)
    delay: float = 0.0
    drop_after: int | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.rcpt_seen.append(address)
        if address in self.refuse:
            return f"550 5.1.1 <{address}>: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        auth = session.auth_data
        login = auth.login.decode() if auth is not None and hasattr(auth, "login") else None
        self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos),
                                      bytes(envelope.original_content or envelope.content),
                                      session.ssl is not None or
                                      server.transport.get_extra_info("sslcontext") is not None,
                                      login))
        if self.drop_after is not None and len(self.received) >= self.drop_after:
            server.transport.abort()
            return "421 dropped"
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        return "250 2.0.0 Ok: queued as TEST%d" % len(self.received)


class SmtpServer:
    """aiosmtpd on 127.0.0.1; STARTTLS offered (and required before AUTH) when ``certs``."""

    def __init__(self, certs: Certs | None, *, user: str | None = None, password: str | None = None,
                 refuse: set[str] | None = None, implicit_tls: bool = False,
                 starttls: bool = True) -> None:
        from aiosmtpd.controller import Controller
        from aiosmtpd.smtp import AuthResult, LoginPassword

        self.handler = SmtpHandler(set(refuse or ()))
        self.port = free_port()
        self.logins: list[tuple[str, bool]] = []

        def authenticator(server, session, envelope, mechanism, auth_data):
            ok = (isinstance(auth_data, LoginPassword) and user is not None
                  and auth_data.login.decode() == user and auth_data.password.decode() == password)
            self.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword)
                                else "?", ok))
            return AuthResult(success=ok, handled=False, auth_data=auth_data)

        kw: dict = dict(hostname="127.0.0.1", port=self.port, authenticator=authenticator,
                        auth_required=user is not None,
                        # aiosmtpd counts only STARTTLS as TLS for AUTH; implicit TLS is TLS too
                        auth_require_tls=not implicit_tls)
        if certs is not None and implicit_tls:
            kw["ssl_context"] = server_context(certs)
        elif certs is not None and starttls:
            kw["tls_context"] = server_context(certs)
        self.controller = Controller(self.handler, **kw)

    @property
    def received(self) -> list[Received]:
        return self.handler.received

    def __enter__(self) -> "SmtpServer":
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


# ---------------------------------------------------------------------------
# IMAP (Dovecot)

class Dovecot:
    """Dovecot serving IMAPS on 127.0.0.1:<free port> from a throw-away config in ``folder``.

    One user (``user`` / ``password``) from a passwd-file, maildir mail below
    ``folder/mail``, every process running as the current user.
    """

    def __init__(self, folder: Path, certs: Certs, user: str = "owner-inbox",
                 password: str = "s3cret-Pässword") -> None:
        if DOVECOT is None:
            raise RuntimeError("dovecot is not installed")
        if os.getuid() == 0:
            # As root the unprivileged dovecot users must reach the config, passwd file and
            # mail: keep them in a folder of their own below /tmp (pytest's are mode 0700).
            import tempfile

            self._own = Path(tempfile.mkdtemp(prefix="plaquegen-dovecot-"))
            self._own.chmod(0o755)
            folder = self._own / "d"
            certs_dir = self._own / "certs"
            certs_dir.mkdir()
            for f in (certs.ca, certs.cert, certs.key):
                shutil.copy2(f, certs_dir / f.name)
            certs = Certs(certs_dir / certs.ca.name, certs_dir / certs.cert.name,
                          certs_dir / certs.key.name)
        else:
            self._own = None
        folder.mkdir(parents=True, exist_ok=True)
        folder.chmod(0o755)
        self.folder = folder
        self.user, self.password = user, password
        self.port = free_port()
        self.certs = certs
        self.conf = folder / "dovecot.conf"
        self.log = folder / "dovecot.log"
        self.proc: subprocess.Popen | None = None
        me, uid, gid = getpass.getuser(), os.getuid(), os.getgid()
        group = grp.getgrgid(gid).gr_name
        login_user = me
        for d in ("run", "state", "mail", "home"):
            (folder / d).mkdir(parents=True, exist_ok=True)
        if uid == 0:
            # Dovecot refuses to run its login and mail processes as root: as root (a CI
            # container), use the unprivileged users the Debian package creates.
            import pwd

            dv = pwd.getpwnam("dovecot")
            me, uid, gid = "dovecot", dv.pw_uid, dv.pw_gid
            group = grp.getgrgid(gid).gr_name
            login_user = "dovenull"
            for d in ("mail", "home"):
                os.chown(folder / d, uid, gid)
        (folder / "passwd").write_text(f"{user}:{{PLAIN}}{password}::::::\n", encoding="utf-8")
        self.conf.write_text(f"""
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {self.log}
info_log_path = {self.log}
protocols = imap
listen = 127.0.0.1
ssl = required
ssl_cert = <{certs.cert}
ssl_key = <{certs.key}
ssl_min_protocol = TLSv1.2
auth_mechanisms = plain login
disable_plaintext_auth = yes
default_internal_user = {me}
default_internal_group = {group}
default_login_user = {login_user}
first_valid_uid = {uid}
last_valid_uid = {uid}
first_valid_gid = 0
mail_location = maildir:{folder}/mail/%u
mail_uid = {uid}
mail_gid = {gid}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={folder}/home/%u
}}
service imap-login {{
  inet_listener imap {{
    port = 0
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service imap-login {{
  chroot =
}}
service stats {{
  unix_listener stats-reader {{
    user = {me}
  }}
  unix_listener stats-writer {{
    user = {me}
  }}
}}
""", encoding="utf-8")

    def __enter__(self) -> "Dovecot":
        self.proc = subprocess.Popen([DOVECOT, "-F", "-c", str(self.conf)],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                out = self.proc.stdout.read().decode(errors="replace") if self.proc.stdout else ""
                log = self.log.read_text(errors="replace") if self.log.exists() else ""
                raise RuntimeError(f"dovecot exited: {out}\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        self.__exit__()
        raise RuntimeError("dovecot did not start listening")

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc is not None and self.proc.stdout:
            self.proc.stdout.close()
        if self._own is not None:
            shutil.rmtree(self._own, ignore_errors=True)

    @property
    def url(self) -> str:
        return f"imaps://127.0.0.1:{self.port}"

    def client(self):
        """A logged-in imaplib client (the test's own view of the mailbox)."""
        import imaplib

        imap = imaplib.IMAP4_SSL("127.0.0.1", self.port,
                                 ssl_context=ssl.create_default_context(cafile=str(self.certs.ca)))
        imap.authenticate("PLAIN", lambda _: f"\0{self.user}\0{self.password}".encode("utf-8"))
        return imap

    def append(self, folder: str, message: bytes, flags: str = "") -> None:
        import imaplib

        from plaquegen.owners.inbox import _mutf7

        imap = self.client()
        try:
            name = _mutf7(folder)
            if folder != "INBOX":
                imap.create(name)  # NO when it exists already: fine
            typ, data = imap.append(name, flags or None, imaplib.Time2Internaldate(time.time()),
                                    message)
            assert typ == "OK", data
        finally:
            imap.logout()


# ---------------------------------------------------------------------------
# Owners' answers and the batch's mail list

def fill_proof(proof: bytes, *, approve: bool = False, changes: str = "", name: str = "",
               date: str = "") -> bytes:
    """A proof filled in as a PDF viewer would (pypdf, as in tests/test_approvals.py)."""
    import io
    import json

    from pypdf import PdfReader, PdfWriter

    reader = PdfReader(io.BytesIO(proof))
    vin = json.loads(reader.metadata["/Subject"])["vin"]
    writer = PdfWriter(clone_from=reader)
    values = {f"changes_{vin}": changes, f"name_{vin}": name, f"date_{vin}": date}
    if approve:
        for annot in reader.pages[0]["/Annots"]:
            a = annot.get_object()
            if a.get("/T") == f"approve_{vin}":
                values[f"approve_{vin}"] = next(k for k in a["/AP"]["/N"] if k != "/Off")
    writer.update_page_form_field_values(writer.pages[0], values, auto_regenerate=False)
    buf = io.BytesIO()
    writer.write(buf)
    return buf.getvalue()


@dataclass(frozen=True)
class Owner:
    order_id: str
    vin: str
    label: str
    name: str
    email: str
    language: str
    country: str
    proof: Path


def owners(batch_folder: Path, orders_file: Path) -> list[Owner]:
    """The batch's plaques joined with their order lines (manifest + order file)."""
    import csv
    import io

    from plaquegen.inputs.orders import read_orders

    by_id = {o.order_id: o for o in read_orders(orders_file).orders}
    rows = csv.DictReader(io.StringIO((batch_folder / "manifest.csv").read_text("utf-8-sig")))
    out = []
    for r in rows:
        o = by_id[r["order_id"]]
        out.append(Owner(r["order_id"], r["vin"], r["label"], o.name, o.email, o.language,
                         o.country, batch_folder / r["proof"]))
    return out
