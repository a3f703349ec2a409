"""Options and small helpers every command family shares: what the options mean is said once."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click

__all__ = ["writing", "REGISTER_OPT", "TEMPLATE_OPT", "OUT_OPT", "LEDGER_OPT", "WORKERS_OPT", "FORMATS_OPT", "BATCH_DIR_ARG",
           "APPROVAL_LEDGER_OPT", "orders_options", "read_options", "formats_option", "order_help", "echo_notes",
           "cut", "state_counts", "OrdersCommand", "load_register_option", "find_vin", "settings_defaults"]

REGISTER_OPT = click.option("--register", type=click.Path(dir_okay=False, path_type=Path),
                            help="Production register: CSV, .xlsx, .xls or .ods with columns vin/FIN "
                                 "and use/Verwendung (default: the bundled synthetic demo register).")
TEMPLATE_OPT = click.option("--template", type=click.Path(dir_okay=False, path_type=Path),
                            help="Plaque template TOML (default: assets/plaque.toml).")


def load_register_option(path, out=None):
    """The register given with --register, else the bundled synthetic demo register; parsed
    once per season folder ``out`` (its .cache/, when the folder exists)."""
    from ..inputs.register_cache import load_register_cached

    return load_register_cached(path, out)


OUT_OPT = click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("output"),
                       show_default=True, help="Folder that holds the batches and ledger.sqlite.")
LEDGER_OPT = click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
                          help="Ledger database (default: <out>/ledger.sqlite).")


def orders_options(f):
    f = click.option("--sheet", help="Spreadsheet: the sheet to read (default: the first with a header).")(f)
    f = click.option("--column", "columns", multiple=True, metavar='FIELD="Header"',
                     help='Use this column for a field, e.g. --column vin="Fahrgestellnummer (FIN)".')(f)
    f = click.option("--encoding", help="Text encoding of a CSV when the guess is wrong (e.g. mac_roman).")(f)
    return f


def read_options(sheet, columns, encoding) -> dict:
    """The reader options given (only those given: read_orders keeps its defaults)."""
    opts: dict = {}
    if sheet:
        opts["sheet"] = sheet
    if encoding:
        opts["encoding"] = encoding
    mapping = {}
    for item in columns:
        field, sep, header = item.partition("=")
        if not sep or not field.strip() or not header.strip():
            raise click.BadParameter(f'{item!r} is not FIELD="Header"', param_hint="--column")
        mapping[field.strip().lower()] = header.strip().strip('"').strip("'")
    if mapping:
        opts["columns"] = mapping
    return opts


WORKERS_OPT = click.option("--workers", type=click.IntRange(1, 64), default=None,
                           help="Worker processes (default: the number of cores).")
FORMATS_OPT = click.option(
    "--formats", metavar="svg,dxf,lbrn2",
    help="Files for the shop besides the SVGs: dxf (plaques and sheets), lbrn2 (LightBurn "
         "project per sheet); default: the template's [output] formats.")


def formats_option(text):
    from ..inputs.template import parse_formats

    return parse_formats(text) if text else None


def echo_notes(notes) -> None:
    for note in notes:
        click.echo(f"Note: {note}")


def cut(text: str, n: int) -> str:
    text = "".join(c if c.isprintable() else "?" for c in text)
    return text if len(text) <= n else text[: n - 1] + "…"


def order_help() -> str:
    from ..inputs.orders import COLUMNS_HELP, ORDERS_HELP

    return (f"{ORDERS_HELP}\n\n{COLUMNS_HELP}\n\nExit status: 0 every line became a plaque, 3 some "
            "lines were refused (see the listing or rejects.csv), 1 a fatal problem (nothing made).")


class OrdersCommand(click.Command):
    """A command whose help ends with :func:`order_help`, built only when the help is shown:
    running any command (or ``--help`` of the group) never imports the order reader for it."""

    @property
    def help(self) -> str | None:
        return None if self._own_help is None else f"{self._own_help}\n\n{order_help()}"

    @help.setter
    def help(self, value: str | None) -> None:
        self._own_help = value

    def get_short_help_str(self, limit: int = 45) -> str:
        if self.short_help or not self._own_help:
            return super().get_short_help_str(limit)
        from click.utils import make_default_short_help

        return make_default_short_help(self._own_help, limit).strip()


BATCH_DIR_ARG = click.argument("batch_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
APPROVAL_LEDGER_OPT = click.option("--ledger", type=click.Path(dir_okay=False, path_type=Path),
                                   help="Ledger database (default: BATCH_DIR/../ledger.sqlite).")


def state_counts(states) -> str:
    from ..record.states import APPROVED, CHANGES, WAITING, counts

    c = counts(states)
    return (f"{len(states)} plaque(s): {c[APPROVED]} approved, {c[CHANGES]} changes requested, "
            f"{c[WAITING]} waiting")


def find_vin(text: str, vins) -> list[str]:
    """Full VINs matching what was typed (full VIN or the 7-character short VIN)."""
    from ..inputs.vin import is_short_vin, normalize, short_vin

    want = normalize(text)
    if is_short_vin(want):
        return sorted({v for v in vins if short_vin(v) == want})
    return [want]


@contextmanager
def writing(what: str, ledger: Path | None = None, batch_dir: Path | None = None,
            out: Path | None = None):
    """Hold the ledger's writer lock (record.lock.ledger_lock) for a whole writing command:
    the ledger as given, else the one beside BATCH_DIR, else OUT/ledger.sqlite."""
    from ..record.lock import ledger_lock

    if ledger:
        path = Path(ledger)
    elif batch_dir is not None:
        path = Path(batch_dir).resolve().parent / "ledger.sqlite"
    else:
        path = Path(out or "output") / "ledger.sqlite"
    with ledger_lock(path, what=what):
        yield path


# Settings file key -> the option (parameter name) it gives a default to, in any command that has it.
_SETTINGS_PARAMS = {("mail", "from"): "sender", ("mail", "from_name"): "from_name",
                    ("mail", "reply_to"): "reply_to", ("mail", "smtp"): "smtp",
                    ("mail", "smtp_user"): "smtp_user", ("mail", "smtp_ssl"): "smtp_ssl",
                    ("imap", "url"): "imap_url", ("imap", "user"): "imap_user",
                    ("paths", "out"): "out", ("paths", "register"): "register",
                    ("paths", "template"): "template"}


def settings_defaults(settings, commands: dict) -> dict:
    """click's default_map from the settings file: for each command, the values of the options
    it has (a command-line option still wins). [imap] folder joins a url that names none."""
    given = {param: settings.get(section, key) for (section, key), param in _SETTINGS_PARAMS.items()
             if settings.get(section, key) is not None}
    url, folder = given.get("imap_url"), settings.get("imap", "folder")
    if url and folder and not url.split("://", 1)[-1].partition("/")[2]:
        given["imap_url"] = url.rstrip("/") + "/" + folder
    out = {}
    for name, cmd in commands.items():
        names = {p.name for p in cmd.params}
        mine = {k: v for k, v in given.items() if k in names}
        if mine:
            out[name] = mine
    return out
