"""BatchInfo, the one record of where a batch came from: batch.json's bytes and the ledger's row."""
from __future__ import annotations

import json
from dataclasses import replace

from plaquegen.record.folder import BATCH_JSON, read_info, write_info
from plaquegen.record.identity import BatchInfo, RegisterPin
from plaquegen.record.ledger import Ledger

PIN = RegisterPin("ab" * 32, 6309, True, "/x/register-demo.csv", "2025-09-14T10:22:03Z")
INFO = BatchInfo("2025-09", "/x/orders.csv", "cd" * 32, "2025-09-14T10:22:03Z",
                 "2025-09-15T08:00:00Z", PIN.sha256, "ef" * 32, register_total=PIN.total,
                 register_demo=PIN.demo, register_source=PIN.source)


def test_batch_json_bytes_and_round_trip(tmp_path):
    write_info(tmp_path, INFO)
    assert (tmp_path / BATCH_JSON).read_bytes() == (
        '{\n "batch_id": "2025-09",\n "created_at": "2025-09-14T10:22:03Z",\n'
        ' "orders_path": "/x/orders.csv",\n "orders_sha256": "' + "cd" * 32 + '",\n'
        ' "register_demo": true,\n "register_sha256": "' + "ab" * 32 + '",\n'
        ' "register_source": "/x/register-demo.csv",\n "register_total": 6309,\n'
        ' "template_sha256": "' + "ef" * 32 + '",\n "updated_at": "2025-09-15T08:00:00Z"\n}\n'
    ).encode()
    assert read_info(tmp_path) == INFO
    assert INFO.pin() == replace(PIN, pinned_at=INFO.created_at)


def test_a_batch_json_without_a_field_is_not_read(tmp_path):
    raw = json.loads(json.dumps(INFO.__dict__))
    del raw["register_total"]
    (tmp_path / BATCH_JSON).write_text(json.dumps(raw))
    assert read_info(tmp_path) is None


def test_the_ledger_gives_back_the_batch_json_record(tmp_path):
    with Ledger(tmp_path / "l.sqlite") as led:
        led.record([], batch=INFO, pin=PIN)
        assert led.batch_record("2025-09") == INFO
        assert led.batch_record("other") is None
        led.adopt_register(replace(PIN, sha256="12" * 32), [])
        moved_on = led.batch_record("2025-09")  # the pin is another register now
    assert moved_on == replace(INFO, register_total=None, register_demo=None, register_source=None)
    assert moved_on.pin() is None
