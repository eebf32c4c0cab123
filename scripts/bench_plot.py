#!/usr/bin/env python3
"""Plots of benchmark BENCH lines as SVG: ingest throughput against concurrency, and latency.

    python3 scripts/bench_plot.py INPUT OUT_DIR      (INPUT may be - for stdin)

INPUT holds lines like `BENCH [NAME] key=value ...` (scripts/bench-serve, bench-otlp,
bench-postgres); other lines, and tokens without `=`, are ignored. Only lines with
`connections=`, `batch=` and a rate (`events_per_s` or `records_per_s`) are plotted:

    OUT_DIR/throughput.svg   rate against connections (log2 axis), one line per series and batch
    OUT_DIR/latency.svg      p50/p90/p99/p99.9 (`p50_ms` ... `p999_ms`, those present) as grouped
                             bars on a log axis, per series, batch and connections

A series is named by its `series=` key, else the word after BENCH, else its `load=` key. Lines
that repeat a point are averaged. With nothing to plot, each file says "no data" (exit 0).

The SVG is written by hand rather than with a plotting library because this script must have no
dependency beyond Python's standard library: it runs wherever the benchmarks do.
"""

import math
import os
import sys
from xml.sax.saxutils import escape

RATE_KEYS = (("events_per_s", "events"), ("records_per_s", "records"))
PERCENTILES = (("p50_ms", "p50"), ("p90_ms", "p90"), ("p99_ms", "p99"), ("p999_ms", "p99.9"))
# Distinguishable on white and for the common colour-vision deficiencies (Okabe-Ito, then greys).
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999")
FONT = 'font-family="sans-serif"'


# --- input ---------------------------------------------------------------------------------------


def number(v):
    try:
        x = float(v)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def parse(text):
    """[(name or None, {key: value})] for every BENCH line."""
    out = []
    for line in text.splitlines():
        tokens = line.split()
        if not tokens or tokens[0] != "BENCH":
            continue
        name = tokens[1] if len(tokens) > 1 and "=" not in tokens[1] else None
        kv = dict(t.split("=", 1) for t in tokens[1:] if "=" in t)
        out.append((name, kv))
    return out


def points(records):
    """{(series, batch, unit): {connections: {"rate": r, "p50": ..}}}, repeated points averaged."""
    sums = {}
    for name, kv in records:
        conns, batch = number(kv.get("connections")), kv.get("batch")
        rate = next(((number(kv.get(k)), unit) for k, unit in RATE_KEYS if number(kv.get(k)) is not None), None)
        if conns is None or conns < 1 or batch is None or rate is None:
            continue
        series = kv.get("series") or name or kv.get("load") or "unnamed"
        point = sums.setdefault((series, batch, rate[1]), {}).setdefault(int(conns), {})
        values = {"rate": rate[0], **{label: number(kv.get(k)) for k, label in PERCENTILES}}
        for k, v in values.items():
            if v is not None:
                point.setdefault(k, []).append(v)
    return {key: {c: {k: sum(v) / len(v) for k, v in p.items()} for c, p in by_conns.items()}
            for key, by_conns in sums.items()}


def series_order(key):
    series, batch, unit = key
    b = number(batch)
    return (series, b if b is not None else math.inf, batch, unit)


def series_label(key):
    series, batch, unit = key
    return f"{series}, batch {batch} ({unit}/s)"


# --- SVG helpers ---------------------------------------------------------------------------------


class Svg:
    def __init__(self, width, height):
        self.width, self.height = width, height
        self.parts = [f'<rect width="{width}" height="{height}" fill="white"/>']

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, size=12, anchor="middle", extra=""):
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" {FONT} {extra}>{escape(s)}</text>')

    def line(self, x1, y1, x2, y2, stroke="#000", width=1, extra=""):
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" stroke-width="{width}" {extra}/>')

    def write(self, path):
        with open(path, "w", encoding="utf-8") as f:
            f.write(f'<?xml version="1.0" encoding="UTF-8"?>\n'
                    f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.width}" height="{self.height}" '
                    f'viewBox="0 0 {self.width} {self.height}">\n')
            f.write("\n".join(self.parts))
            f.write("\n</svg>\n")


NO_LINES = "no BENCH line with connections=, batch= and events_per_s= or records_per_s="


def no_data(path, title, why=NO_LINES):
    svg = Svg(480, 160)
    svg.text(240, 40, title, size=16, extra='font-weight="bold"')
    svg.text(240, 90, "no data", size=14)
    svg.text(240, 115, f"({why})", size=10, extra='fill="#555"')
    svg.write(path)


def nice_step(span, ticks=5):
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about `ticks` intervals."""
    raw = span / ticks
    mag = 10 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def short(x):
    """25000 -> 25k, 1500000 -> 1.5M: axis labels stay narrow."""
    for div, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(x) >= div:
            return f"{x / div:.3g}{suffix}"
    return f"{x:.3g}"


# --- throughput ----------------------------------------------------------------------------------


def throughput(data, path):
    title = "Ingest throughput against concurrency"
    keys = sorted(data, key=series_order)
    if not keys:
        return no_data(path, title)
    legend_w = max(160, 7 * max(len(series_label(k)) for k in keys) + 40)
    w, h = 560 + legend_w, 420
    left, right, top, bottom = 80, w - legend_w, 50, h - 60
    svg = Svg(w, h)
    svg.text(w / 2, 28, title, size=16, extra='font-weight="bold"')

    xs = sorted({c for k in keys for c in data[k]})
    lo, hi = math.log2(xs[0]), math.log2(xs[-1])
    if lo == hi:  # one concurrency only: centre it
        lo, hi = lo - 1, hi + 1
    pad = (hi - lo) * 0.06
    lo, hi = lo - pad, hi + pad
    px = lambda c: left + (math.log2(c) - lo) / (hi - lo) * (right - left)

    ymax = max(p["rate"] for k in keys for p in data[k].values()) or 1
    step = nice_step(ymax * 1.05)
    ytop = step * math.ceil(ymax * 1.05 / step)
    py = lambda v: bottom - v / ytop * (bottom - top)

    # Grid, ticks and labels first, so that the data is drawn over them.
    for i in range(int(round(ytop / step)) + 1):
        v = i * step
        svg.line(left, py(v), right, py(v), stroke="#ddd")
        svg.text(left - 6, py(v) + 4, short(v), size=11, anchor="end")
    for c in xs:
        svg.line(px(c), bottom, px(c), bottom + 5)
        svg.text(px(c), bottom + 18, str(c), size=11)
    svg.line(left, bottom, right, bottom)
    svg.line(left, top, left, bottom)
    svg.text((left + right) / 2, h - 18, "concurrent connections (log2 scale)", size=12)
    units = sorted({k[2] for k in keys})
    svg.text(18, (top + bottom) / 2, " or ".join(units) + " per second", size=12,
             extra=f'transform="rotate(-90 18 {(top + bottom) / 2:.1f})"')

    for i, key in enumerate(keys):
        color = PALETTE[i % len(PALETTE)]
        pts = sorted(data[key].items())
        svg.add(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="'
                + " ".join(f"{px(c):.1f},{py(p['rate']):.1f}" for c, p in pts) + '"/>')
        for c, p in pts:
            tip = escape(f"{series_label(key)}: {c} connections, {p['rate']:.0f}/s")
            svg.add(f'<circle cx="{px(c):.1f}" cy="{py(p["rate"]):.1f}" r="4" fill="{color}"><title>{tip}</title></circle>')
        ly = top + 10 + i * 20
        svg.line(right + 20, ly, right + 44, ly, stroke=color, width=2)
        svg.add(f'<circle cx="{right + 32}" cy="{ly}" r="4" fill="{color}"/>')
        svg.text(right + 52, ly + 4, series_label(key), size=11, anchor="start")
    svg.write(path)


# --- latency -------------------------------------------------------------------------------------


def latency(data, path):
    title = "Ingest latency percentiles"
    keys = sorted(data, key=series_order)
    if not keys:
        return no_data(path, title)
    pcts = [label for _, label in PERCENTILES if any(label in p for k in keys for p in data[k].values())]
    values = [p[q] for k in keys for p in data[k].values() for q in pcts if p.get(q, 0) > 0]
    if not values:  # a log axis needs a positive value
        return no_data(path, title, "no positive p50_ms, p90_ms, p99_ms or p999_ms on those lines")

    bar, gap, group_gap, series_gap = 12, 2, 18, 26
    group_w = len(pcts) * (bar + gap) - gap + group_gap
    # Each series gets at least the width of its label, written under its groups.
    spans = [max(len(data[k]) * group_w, 6.5 * len(series_label(k)) + 10) for k in keys]
    left, top = 70, 60
    w = int(left + sum(spans) + series_gap * len(keys) + 30)
    w = max(w, 520)
    h = 420
    bottom = h - 80
    svg = Svg(w, h)
    svg.text(w / 2, 28, title, size=16, extra='font-weight="bold"')

    # Log axis from the decade below the smallest value to the one above the largest.
    lo = math.floor(math.log10(min(values)))
    hi = math.ceil(math.log10(max(values)))
    if hi == lo:
        hi += 1
    py = lambda v: bottom - (math.log10(v) - lo) / (hi - lo) * (bottom - top)
    right = w - 20
    # Decades always; 2 and 5 between them when the range is short enough to leave room.
    mults = (1, 2, 5) if hi - lo <= 3 else (1,)
    for d in range(lo, hi + 1):
        for m in mults:
            v = m * 10.0 ** d
            if v > 10.0 ** hi:
                break
            svg.line(left, py(v), right, py(v), stroke="#ddd" if m == 1 else "#f0f0f0")
            svg.text(left - 6, py(v) + 4, f"{v:g}", size=11, anchor="end")
    svg.line(left, top, left, bottom)
    svg.line(left, bottom, right, bottom)
    svg.text(18, (top + bottom) / 2, "milliseconds (log scale)", size=12,
             extra=f'transform="rotate(-90 18 {(top + bottom) / 2:.1f})"')

    # Legend: one colour per percentile, across the top.
    for j, q in enumerate(pcts):
        lx = left + j * 70
        svg.add(f'<rect x="{lx}" y="{top - 22}" width="12" height="12" fill="{PALETTE[j]}"/>')
        svg.text(lx + 17, top - 12, q, size=11, anchor="start")

    x = left + series_gap / 2
    for key, span in zip(keys, spans):
        groups = sorted(data[key].items())
        gx = x + (span - len(groups) * group_w) / 2 + group_gap / 2
        for c, p in groups:
            for j, q in enumerate(pcts):
                v = p.get(q)
                if v is None or v <= 0:
                    continue  # missing from the input: leave the slot empty
                bx, by = gx + j * (bar + gap), py(v)
                tip = escape(f"{series_label(key)}, {c} connections: {q} {v:g} ms")
                svg.add(f'<rect x="{bx:.1f}" y="{by:.1f}" width="{bar}" height="{bottom - by:.1f}" '
                        f'fill="{PALETTE[j]}"><title>{tip}</title></rect>')
            svg.text(gx + (group_w - group_gap) / 2, bottom + 15, f"{c} conn", size=10)
            gx += group_w
        # The series' name under its groups, with a bracket showing which groups are its.
        svg.line(x + 4, bottom + 24, x + span - 4, bottom + 24, stroke="#888")
        svg.text(x + span / 2, bottom + 40, series_label(key), size=11)
        x += span + series_gap
    svg.write(path)


def main():
    if len(sys.argv) != 3:
        print("usage: bench_plot.py INPUT OUT_DIR", file=sys.stderr)
        sys.exit(2)
    src, out_dir = sys.argv[1], sys.argv[2]
    text = sys.stdin.read() if src == "-" else open(src, encoding="utf-8", errors="replace").read()
    os.makedirs(out_dir, exist_ok=True)
    data = points(parse(text))
    throughput(data, os.path.join(out_dir, "throughput.svg"))
    latency(data, os.path.join(out_dir, "latency.svg"))
    print(f"bench_plot: {sum(len(v) for v in data.values())} points in {len(data)} series -> "
          f"{out_dir}/throughput.svg, {out_dir}/latency.svg", file=sys.stderr)


if __name__ == "__main__":
    main()
