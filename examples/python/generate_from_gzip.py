#!/usr/bin/env python3
"""gzip as a generative model: continue a prompt from a corpus (the Python twin of
`zgen sample -m gzip:9 -c CORPUS -p PROMPT`; same seed and options, same bytes).

    PYTHONPATH=build/python /usr/bin/python3 examples/python/generate_from_gzip.py [CORPUS] [PROMPT]
"""
import pathlib
import sys

import zgen

corpus = pathlib.Path(sys.argv[1]).read_bytes() if len(sys.argv) > 1 else zgen.default_corpus()
prompt = sys.argv[2] if len(sys.argv) > 2 else "The "

gzip = zgen.Model("gzip:9", threads=2)
# The span method (the default) draws the corpus's words and phrases, each priced by its exact
# code length; the stream yields each piece as soon as it is chosen.
sys.stdout.write(prompt)
for piece in gzip.stream(corpus, prompt=prompt, length=300, seed=1, temperature=0.8):
    sys.stdout.write(piece.decode("utf-8", errors="replace"))
    sys.stdout.flush()
print()

# The paper's method, one byte at a time from p(x|c) ∝ 2^-(ℓ(c·x) − ℓ(c)):
print(gzip.sample(corpus, prompt=prompt, length=80, seed=1, method="bytes").decode("utf-8", errors="replace"))
