"""Benchmark reading untrusted input: python bench/bench_inputs.py [--runs R]

Measures what the tests only check for behaviour (tests never assert times):

* refusing each hostile artwork file of tests/art/test_artwork.py (REFUSALS) and
  tests/art/test_hostile_artwork.py (HOSTILE_ART) with load_artwork, slowest first;
* loading the shipped silhouette and signature (warm: second and later loads);
* the whole CLI process refusing a template whose artwork links to http://
  (the admin's view: start-up included);
* `plaquegen batch --no-proofs` of the example orders on a 1.9 mm plate with a
  1000 x 1000 pocket bed (the sheet layout must stay bounded).

Prints the median of R runs (default 3) per item, in milliseconds.
The figures the tests used to assert, for reference: an artwork refusal < 2 s
(< 5 s through the batch), the http:// refusal < 0.5 s, a typical file < 0.5 s,
the CLI process < 10 s and the huge bed < 20 s.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "art")]

from plaquegen.art.artwork import load_artwork  # noqa: E402
from plaquegen.art.svgread import ArtworkError  # noqa: E402


def _median_ms(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _refuse(path: Path) -> None:
    try:
        load_artwork(path)
    except ArtworkError:
        return
    raise SystemExit(f"{path.name} was not refused")


def bench_refusals(tmp: Path, runs: int) -> list[tuple[str, float]]:
    import test_artwork
    import test_hostile_artwork as test_hardening

    cases = {f"artwork:{k}": v[0] for k, v in test_artwork.REFUSALS.items()}
    cases.update({f"hardening:{k}": v[0] for k, v in test_hardening.HOSTILE_ART.items()})
    out = []
    for name, text in cases.items():
        p = tmp / "case.svg"
        p.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
        out.append((name, _median_ms(lambda: _refuse(p), runs)))
    return sorted(out, key=lambda x: -x[1])


def bench_assets(runs: int) -> list[tuple[str, float]]:
    out = []
    for name, mode in (("silhouette.svg", "fill"), ("signature.svg", "line")):
        p = ROOT / "assets" / name
        load_artwork(p, mode)
        out.append((f"load {name} ({mode})", _median_ms(lambda: load_artwork(p, mode), runs)))
    return out


def bench_cli(tmp: Path, runs: int) -> list[tuple[str, float]]:
    from conftest import template_variant

    tpl = template_variant(tmp, art='<svg xmlns="http://www.w3.org/2000/svg" width="100mm" '
                           'height="40mm"><use href="http://127.0.0.1:9/x.svg#a"/>'
                           '<rect width="5" height="5"/></svg>')
    orders = ROOT / "orders" / "example.csv"

    def refuse() -> None:
        r = subprocess.run([sys.executable, "-m", "plaquegen", "batch", str(orders), "--out",
                            str(tmp / "out"), "--template", str(tpl), "--workers", "1"],
                           capture_output=True, cwd=tmp)
        assert r.returncode == 1, r.stderr

    huge = tmp / "huge.toml"
    a = ROOT / "assets"
    huge.write_text(f"""
[plate]
width = 1.9
height = 1.9
[silhouette]
file = "{a / 'silhouette.svg'}"
box = [0.1, 0.1, 1.0, 0.5]
[number]
format = "{{number:04d}} / {{total}}"
font = "{a / 'fonts' / 'DejaVuSansCondensed-Bold.ttf'}"
cap_height = 0.3
box = [0.1, 0.8, 1.7, 1.0]
[bed]
width = 2000.0
height = 2000.0
columns = 1000
rows = 1000
pitch_x = 2.0
pitch_y = 2.0
origin_x = 0.0
origin_y = 0.0
""", "utf-8")

    def huge_bed() -> None:
        r = subprocess.run([sys.executable, "-m", "plaquegen", "batch", str(orders), "--out",
                            str(tmp / "huge-out"), "--template", str(huge), "--workers", "1",
                            "--no-proofs", "--reprint"], capture_output=True, cwd=tmp)
        assert r.returncode in (0, 3), r.stderr

    return [("CLI process refusing http:// artwork", _median_ms(refuse, runs)),
            ("CLI batch, 1000 x 1000 pocket bed, --no-proofs", _median_ms(huge_bed, runs))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        rows = bench_assets(args.runs) + bench_refusals(tmp, args.runs) + bench_cli(tmp, args.runs)
    width = max(len(n) for n, _ in rows)
    print(f"Python {sys.version.split()[0]}, {os.cpu_count()} cores, median of {args.runs} runs")
    for name, ms in rows:
        print(f"{name:<{width}}  {ms:9.1f} ms")


if __name__ == "__main__":
    main()
