#!/usr/bin/env python3
"""Python against the CLI: the same work through `import zgen` and through `zgen ...`.

Prints, for gzip:9 and the shipped transformer, the wall time of sampling and of scoring through
each and their ratio (Python / CLI; the target is within 5%), the time of two threads sampling
at once beside one thread (the GIL released: about 1x on 2 free cores), and the per-byte
overhead of a Python predictor (a trivial numpy one) driving the coder.

    PYTHONPATH=build/python /usr/bin/python3 python/bench/bench_python.py [--cli build/zgen] [--repeat 3]

Each figure is the best of --repeat runs (the machine may be shared). The CLI runs as a
process: its time includes starting it and reading the context file (a few ms).
"""
import argparse
import json
import pathlib
import subprocess
import threading
import time

import numpy as np

import zgen

ROOT = pathlib.Path(__file__).resolve().parents[2]


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--cli", default=str(ROOT / "build" / "zgen"))
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--context", default=str(ROOT / "tests" / "data" / "sotu-valid-30k.txt"))
    ap.add_argument("--only", default="", help="run only the cases whose label contains this text")
    a = ap.parse_args()
    context_path = pathlib.Path(a.context)
    context = context_path.read_bytes()
    transformer = f"transformer:{ROOT / 'models' / 'sotu-800k.safetensors'}"

    def cli(*args):
        return subprocess.run([a.cli, *map(str, args)], check=True, capture_output=True).stdout

    print(f"zgen {zgen.__version__}: Python (import zgen) vs CLI ({a.cli}), best of {a.repeat}, 1 thread each\n")
    print(f"| work | CLI s | Python s | Python / CLI |\n|---|---:|---:|---:|")
    cases = [
        ("gzip:9 sample 200 B, spans", "gzip:9", 200, None),
        ("gzip:9 sample 100 B, bytes", "gzip:9", 100, "bytes"),
        ("transformer sample 2000 B, bytes", transformer, 2000, "bytes"),
    ]
    for label, spec, n, method in cases:
        if a.only not in label:
            continue
        m = zgen.Model(spec)
        kw = {"method": method} if method else {}
        args = ["--method", method] if method else []
        out_py = m.sample(context, length=n, seed=1, **kw)
        out_cli = cli("sample", "-q", "-j", 1, "-m", spec, "-c", context_path, "-n", n, "-s", 1, *args)
        assert out_py == out_cli, label
        t_cli = best(lambda: cli("sample", "-q", "-j", 1, "-m", spec, "-c", context_path, "-n", n, "-s", 1, *args), a.repeat)
        t_py = best(lambda: m.sample(context, length=n, seed=1, **kw), a.repeat)
        print(f"| {label} | {t_cli:.3f} | {t_py:.3f} | {t_py / t_cli:.3f} |")

    data_path = ROOT / "tests" / "data" / "sotu-valid-70k.txt"
    data = data_path.read_bytes()
    for label, spec, n in (("gzip:9 score 300 B", "gzip:9", 300), ("transformer score 4000 B", transformer, 4000)):
        if a.only not in label:
            continue
        m = zgen.Model(spec)
        piece = data[:n]
        tmp = pathlib.Path("/tmp/zgen-bench-python-score.bin")
        tmp.write_bytes(piece)
        args = ["score", "--json", "--no-coder", "-j", 1, "-m", spec, "-c", context_path, "-d", tmp, "--max-bytes", 0]
        r_cli = json.loads(cli(*args))
        r_py = m.score(piece, context)
        assert r_py["model_bits"] == r_cli["model_bits"], label
        t_cli = best(lambda: cli(*args), a.repeat)
        t_py = best(lambda: m.score(piece, context), a.repeat)
        print(f"| {label} | {t_cli:.3f} | {t_py:.3f} | {t_py / t_cli:.3f} |")

    if a.only:
        return
    # The GIL: two threads, each with its own model, sampling at once.
    models = [zgen.Model("gzip:9"), zgen.Model("gzip:9")]
    one = best(lambda: models[0].sample(context, length=100, seed=1, method="bytes"), a.repeat)

    def two():
        ts = [threading.Thread(target=m.sample, args=(context,), kwargs=dict(length=100, seed=1, method="bytes"))
              for m in models]
        for t in ts:
            t.start()
        for t in ts:
            t.join()

    both = best(two, a.repeat)
    print(f"\ngzip:9, 100 B (bytes): one thread {one:.3f} s, two threads at once {both:.3f} s ({both / one:.2f}x)")

    # A Python predictor's overhead per byte: the coder calling a trivial numpy predictor.
    class Uniform(zgen.Predictor):
        lp = np.full(256, -np.log(256.0))

        def reset(self, context):
            pass

        def observe(self, byte):
            pass

        def log_probs(self):
            return self.lp

    n = 20000
    payload = data[:n]
    t_py = best(lambda: zgen.compress(payload, Uniform(), chunk_size=2048), a.repeat)
    print(f"Python predictor (uniform numpy) driving the coder: {1e6 * t_py / n:.1f} us/byte "
          f"(two Python calls per byte, log_probs and observe; {n} bytes, 2048-byte chunks)")


if __name__ == "__main__":
    main()
