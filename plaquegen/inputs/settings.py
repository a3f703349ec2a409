"""The settings file ``plaquegen.toml``: what the admin would otherwise type on every run.

:func:`find_settings` says which file counts: the one given (``--config FILE``), else
``$PLAQUEGEN_CONFIG``, else ``plaquegen.toml`` in the current folder (none: no settings).
:func:`load_settings` reads it into :class:`Settings`; every key is checked, and a wrong
section, key or type is a :class:`SettingsError` of one sentence naming the file and line.
Sections and keys (:data:`KEYS`)::

    [mail]  from, from_name, reply_to, smtp, smtp_user, smtp_ssl (true/false)
    [imap]  url, user, folder
    [paths] out, register, template   (relative paths: from the file's folder)

Passwords are never read from the file (a ``password`` key is refused with the variable to
set instead). Command-line options override the file (the CLI passes the values as click
defaults). :data:`EXAMPLE` is the commented file ``plaquegen init`` writes.
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from ..core.errors import PlaquegenError

__all__ = ["SettingsError", "Settings", "KEYS", "EXAMPLE", "FILE_NAME", "ENV", "find_settings",
           "load_settings"]

FILE_NAME = "plaquegen.toml"
ENV = "PLAQUEGEN_CONFIG"
KEYS: dict[str, dict[str, type]] = {
    "mail": {"from": str, "from_name": str, "reply_to": str, "smtp": str, "smtp_user": str,
             "smtp_ssl": bool},
    "imap": {"url": str, "user": str, "folder": str},
    "paths": {"out": str, "register": str, "template": str},
}
_PASSWORDS = {"mail": "PLAQUEGEN_SMTP_PASSWORD", "imap": "PLAQUEGEN_IMAP_PASSWORD"}

EXAMPLE = """\
# plaquegen settings: read from ./plaquegen.toml (or --config FILE, or $PLAQUEGEN_CONFIG).
# Options given on the command line win over this file. Passwords never go here:
# set $PLAQUEGEN_SMTP_PASSWORD and $PLAQUEGEN_IMAP_PASSWORD in the environment.

[mail]
# from = "register@example.org"        # sender of the proof mails (plaquegen send)
# from_name = "1M Coupé Register"       # name the owners see
# reply_to = "plaques@example.org"      # where answers go (the Approve / Request changes buttons)
# smtp = "mail.example.org:587"         # without it, send writes BATCH_DIR/outbox/*.eml
# smtp_user = "register@example.org"
# smtp_ssl = false                      # true: implicit TLS (port 465) instead of STARTTLS

[imap]
# url = "imaps://mail.example.org/INBOX" # plaquegen approvals reads the replies here
# user = "register@example.org"
# folder = "Plaques"                     # used when the url names no folder

[paths]
# out = "output"                         # batches and ledger.sqlite
# register = "register.xlsx"             # production register
# template = "plaque.toml"               # plaque template
"""


class SettingsError(PlaquegenError):
    """The settings file cannot be used; str() is one sentence naming the file and line."""


@dataclass(frozen=True)
class Settings:
    """The values a settings file gave (only those), by section; ``path`` None: no file."""

    path: Path | None = None
    values: dict[str, dict[str, object]] = field(default_factory=dict)

    def get(self, section: str, key: str, default=None):
        return self.values.get(section, {}).get(key, default)


def find_settings(given: str | os.PathLike | None = None, env=None,
                  cwd: str | os.PathLike | None = None) -> Path | None:
    """The settings file that counts (see the module doc), or None. A file named by
    ``--config`` or the environment must exist."""
    env = os.environ if env is None else env
    named = given or env.get(ENV) or None
    if named:
        p = Path(named)
        if not p.is_file():
            how = "--config" if given else f"${ENV}"
            raise SettingsError(f"the settings file {p} (from {how}) does not exist.")
        return p
    here = Path(cwd or ".") / FILE_NAME
    return here if here.is_file() else None


def _line_of(text: str, section: str | None, key: str) -> int:
    """The line a key is on (in its section), for messages; 0 when not found."""
    current = None
    for n, line in enumerate(text.splitlines(), start=1):
        s = line.strip()
        m = re.match(r"^\[\s*([^\]]+?)\s*\]", s)
        if m:
            current = m.group(1).strip('"')
            if section is None and current == key:
                return n
            continue
        if current == section and re.match(rf'^"?{re.escape(key)}"?\s*=', s):
            return n
    return 0


def load_settings(path: str | os.PathLike | None) -> Settings:
    """Read and check one settings file; None gives empty settings."""
    if path is None:
        return Settings()
    p = Path(path)
    try:
        text = p.read_bytes().decode("utf-8")
    except OSError as e:
        raise SettingsError(f"cannot read the settings file {p} ({e.strerror or e}).") from None
    except UnicodeDecodeError:
        raise SettingsError(f"the settings file {p} is not UTF-8 text.") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SettingsError(f"{p}: not valid TOML ({e}).") from None
    values: dict[str, dict[str, object]] = {}
    for section, body in data.items():
        if section not in KEYS or not isinstance(body, dict):
            line = _line_of(text, None, section) or _line_of(text, "", section)
            raise SettingsError(f"{p} line {line}: unknown section [{section}] (known: "
                                f"{', '.join('[' + k + ']' for k in KEYS)}).")
        values[section] = _section(p, text, section, body)
    return Settings(p, values)


def _section(p: Path, text: str, section: str, body: dict) -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in body.items():
        line = _line_of(text, section, key)
        if "password" in key.lower() or "secret" in key.lower():
            var = _PASSWORDS.get(section, "the environment")
            raise SettingsError(f"{p} line {line}: passwords never go in the settings file; "
                                f"remove {key!r} and set ${var} in the environment instead.")
        want = KEYS[section].get(key)
        if want is None:
            raise SettingsError(f"{p} line {line}: unknown key {key!r} in [{section}] (known: "
                                f"{', '.join(KEYS[section])}).")
        if not isinstance(value, want):
            kind = "true or false" if want is bool else "a text in quotes"
            raise SettingsError(f"{p} line {line}: [{section}] {key} must be {kind}, not "
                                f"{type(value).__name__} {value!r}.")
        if want is str and not value.strip():
            raise SettingsError(f"{p} line {line}: [{section}] {key} is empty; remove the line "
                                "or give a value.")
        if section == "paths":
            value = str((p.parent / value)) if not Path(value).is_absolute() else value
        out[key] = value
    return out
