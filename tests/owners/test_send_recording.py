"""Every mail is recorded as sent the moment the server accepted it, so no owner gets two
mails for one proof: Ctrl-C mid-send, a line dropped after a message, a re-run; and sends
count per version, so a plaque made again gets its new proof and is never reminded."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from click.testing import CliRunner

from conftest import ROOT, template_variant, write_orders
from helpers.mailservers import SmtpServer
from plaquegen.cli import main
from plaquegen.record.ledger import Ledger

SENDER = "plaques@register.example"


def _batch(tmp_path: Path, register, n: int = 6, template: Path | None = None) -> Path:
    orders = write_orders(tmp_path / "orders.csv", [register.by_number(k) for k in range(300, 300 + n)],
                          contact=True)
    args = ["batch", str(orders), "--out", str(tmp_path / "out"), "--workers", "1"]
    if template:
        args += ["--template", str(template)]
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    return tmp_path / "out" / "orders"


def _send(folder: Path, port: int, *extra: str):
    return CliRunner().invoke(main, ["send", str(folder), "--from", SENDER, "--smtp", f"127.0.0.1:{port}",
                                     *extra])


def _recipients(srv) -> Counter:
    return Counter(rcpt for m in srv.received for rcpt in m.rcpt_tos)


def test_a_line_dropped_after_a_message_never_sends_it_twice(tmp_path, register):
    folder = _batch(tmp_path, register, 4)
    with SmtpServer(None) as srv:
        srv.handler.drop_after = 2
        r = _send(folder, srv.port)
        assert r.exit_code == 4, r.output  # the admin must look: one mail may have arrived
        assert "UNCERTAIN" in r.output + r.stderr and "--again" in r.stderr
        first = len(srv.received)
        srv.handler.drop_after = None
        r = _send(folder, srv.port)
        assert r.exit_code == 0, r.output
    assert first == 2 and len(srv.received) == 4
    assert set(_recipients(srv).values()) == {1}  # every owner exactly once


def test_ctrl_c_mid_send_records_what_went_out(tmp_path, register):
    """A real process, a slow server, SIGINT after three deliveries: the re-run sends the other
    three only (it used to say "nothing was recorded" and mail all six again)."""
    folder = _batch(tmp_path, register, 6)
    with SmtpServer(None) as srv:
        srv.handler.delay = 0.4
        proc = subprocess.Popen([sys.executable, "-m", "plaquegen", "send", str(folder), "--from", SENDER,
                                 "--smtp", f"127.0.0.1:{srv.port}"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(srv.received) < 3:
            time.sleep(0.02)
        time.sleep(0.5)  # the third reply is out
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 130, err
        assert "recorded as sent" in err and "Traceback" not in err
        went = len(srv.received)
        assert 3 <= went < 6
        srv.handler.delay = 0.0
        r = _send(folder, srv.port)
        assert r.exit_code == 0, r.output
    assert len(srv.received) == 6 and set(_recipients(srv).values()) == {1}
    with Ledger(folder.parent / "ledger.sqlite") as led:
        assert len([e for e in led.events(batch_id=folder.name) if e.kind == "sent"]) == 6


def test_a_plaque_made_again_gets_its_new_proof_and_no_reminder(tmp_path, register):
    folder = _batch(tmp_path, register, 3)
    with SmtpServer(None) as srv:
        assert _send(folder, srv.port).exit_code == 0
        assert len(srv.received) == 3
        # The register's designer replaces the signature: every plaque is made again.
        art = (ROOT / "assets" / "silhouette.svg").read_text("utf-8").replace("<path", '<path transform="translate(3 0)"', 1)
        tpl = template_variant(tmp_path, art=art)
        r = CliRunner().invoke(main, ["batch", str(tmp_path / "orders.csv"), "--out", str(tmp_path / "out"),
                                      "--workers", "1", "--template", str(tpl)])
        assert r.exit_code == 0 and "made again" in r.output, r.output
        r = _send(folder, srv.port, "--remind", "--after", "0")
        assert r.exit_code == 0 and len(srv.received) == 3, r.output  # nobody reminded of an old proof
        r = _send(folder, srv.port)
        assert r.exit_code == 0, r.output
    assert len(srv.received) == 6 and set(_recipients(srv).values()) == {2}  # the new proof, once each
