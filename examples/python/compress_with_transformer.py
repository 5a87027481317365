#!/usr/bin/env python3
"""A model as a compressor: the shipped transformer (models/sotu-800k.safetensors, trained on
State of the Union text) drives the arithmetic coder; the .zgen file is the CLI's
(`zgen decompress FILE` restores it too).

    PYTHONPATH=build/python /usr/bin/python3 examples/python/compress_with_transformer.py [FILE]
"""
import pathlib
import sys

import zgen

root = pathlib.Path(__file__).resolve().parents[2]
path = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "tests" / "data" / "sotu-valid-30k.txt"
data = path.read_bytes()[:8192]

# gzip's own format for comparison: the "whole" column of zgen bench (the data compressed once).
gzip_bytes = zgen.bench(data, models=["gzip:9"])[0]["whole_bytes"]
print(f"{'gzip:9 (its own format)':28s} {len(data)} -> {gzip_bytes:.0f} bytes ({8 * gzip_bytes / len(data):.2f} bits/byte)")

for spec in (f"transformer:{root / 'models' / 'sotu-800k.safetensors'}", "ppm:5"):
    blob = zgen.compress(data, spec, chunk_size=2048)  # each 2048-byte chunk on its own, as in the paper
    assert zgen.decompress(blob) == data
    name = "transformer (sotu-800k)" if spec.startswith("transformer") else spec
    print(f"{name:28s} {len(data)} -> {len(blob)} bytes ({8 * len(blob) / len(data):.2f} bits/byte)")
