#!/usr/bin/env python3
"""The paper's Table 1 on your data as rows (zgen.bench), printed and drawn with matplotlib
(skipped with a message when matplotlib is absent; pandas is not needed).

    PYTHONPATH=build/python /usr/bin/python3 examples/python/table1_plot.py [TEXT_FILE] [OUT.png]
"""
import pathlib
import sys

import zgen

root = pathlib.Path(__file__).resolve().parents[2]
text = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else root / "tests" / "data" / "sotu-valid-70k.txt").read_bytes()
out = pathlib.Path(sys.argv[2] if len(sys.argv) > 2 else "table1.png")
models = ["gzip:9", "zstd:19", "xz:9", "bzip2:9", "brotli:11", "ppm:5",
          f"transformer:{root / 'models' / 'sotu-800k.safetensors'}"]

rows = zgen.bench({"text": text}, models=models, chunks=8)
print(f"{'model':14s} {'chunked %':>10s} {'whole %':>8s} {'adjusted %':>11s}")
for r in rows:
    name = "transformer" if r["model"].startswith("transformer") else r["model"]
    print(f"{name:14s} {100 * r['chunked_rate']:10.2f} {100 * r['whole_rate']:8.2f} {100 * r['chunked_adjusted_rate']:11.2f}")

try:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
except ImportError:
    print("table1_plot.py: no plot, matplotlib is not installed (Debian: python3-matplotlib)")
    sys.exit(0)

names = ["transformer" if r["model"].startswith("transformer") else r["model"] for r in rows]
fig, ax = plt.subplots(figsize=(7, 3.5))
ax.bar(names, [100 * r["chunked_rate"] for r in rows], label="2048-byte chunks")
ax.bar(names, [100 * r["whole_rate"] for r in rows], width=0.4, label="whole")
ax.set_ylabel("compressed / raw (%)")
ax.set_title("Table 1 on this text (zgen.bench)")
ax.legend()
fig.tight_layout()
fig.savefig(out, dpi=100)
print(f"wrote {out}")
