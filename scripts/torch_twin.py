#!/usr/bin/env python3
"""zgen's byte-level transformer, written again in PyTorch (the "twin" of issue 4).

The twin mirrors src/transformer/*.{hpp,cpp} exactly (see src/transformer/config.hpp):
  x = wte[byte] + position[t]          positions: fixed sinusoidal table or learned (seq, C) rows
  per block (pre-LN):  x += c_proj(attn(c_attn(LN1(x))));  x += c_proj(GELU_tanh(c_fc(LN2(x))))
  logits = LN_f(x) @ head.T            head = wte when tied, else lm_head.weight (no bias)
  LayerNorm eps 1e-5 (biased variance); attention scale 1/sqrt(C/H), causal; qkv rows [q | k | v],
  head h at columns h*hs; loss = mean cross-entropy over B*T positions, in nats.
Tensor names and shapes are nanoGPT's state-dict names, which is what zgen's checkpoints
(safetensors, F32, metadata zgen.*) hold, so a zgen checkpoint loads here as it is.

Subcommands:
  fixture --out-dir tests/data     writes the fixtures of tests/test_transformer_twin.cpp
  bench --config 800k --batch 8 --seq 2048 --threads 2 --steps 3 --generate 512
                                   PyTorch's training / scoring / KV-cache generation speed,
                                   printed like bench/bench_transformer.cpp
  score --checkpoint F --data F    bits per byte of a zgen checkpoint on a file (zgen's windows)

Needs PyTorch (>= 1.12 for GELU's tanh approximation) and NumPy; safetensors is read and written
here (the format is an 8-byte length, a JSON header and raw little-endian data).
"""
import argparse
import json
import math
import os
import resource
import struct
import sys
import time


def _cpu_has(flag):
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("flags"):
                    return flag in line.split()
    except OSError:
        pass
    return False


# Must happen before torch loads OpenBLAS. OpenBLAS 0.3.21 misdetects some AMD CPUs and then runs
# its GEMMs several times slower; SkylakeX kernels are right only where AVX-512 exists (elsewhere
# they are illegal instructions), so the override is applied only there and only if unset.
if "OPENBLAS_CORETYPE" not in os.environ and _cpu_has("avx512f"):
    os.environ["OPENBLAS_CORETYPE"] = "SkylakeX"

# The thread count of `bench`/`score` goes to OpenBLAS (which torch's GEMMs call here) before it
# loads: torch.set_num_threads sets only OpenMP's.
if "--threads" in sys.argv[:-1]:
    _threads = sys.argv[sys.argv.index("--threads") + 1]
    os.environ.setdefault("OPENBLAS_NUM_THREADS", _threads)
    os.environ.setdefault("OMP_NUM_THREADS", _threads)

import numpy as np  # noqa: E402

try:
    import torch  # noqa: E402
    import torch.nn.functional as F  # noqa: E402
except ImportError:  # the caller (scripts/bench_transformer.sh) checks for this
    torch = None

LN_EPS = 1e-5
VOCAB = 256

# ----------------------------------------------------------------------------------------------
# safetensors


def save_safetensors(path, tensors, metadata):
    """tensors: list of (name, numpy array); written as F32 in the given order."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    blobs, at = [], 0
    for name, arr in tensors:
        a = np.ascontiguousarray(np.asarray(arr, dtype="<f4"))
        b = a.tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [at, at + len(b)]}
        blobs.append(b)
        at += len(b)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * ((8 - len(h) % 8) % 8)  # the data starts 8-byte aligned, as Python's writer does
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def load_safetensors(path):
    """Returns ({name: numpy array}, metadata)."""
    dtypes = {"F32": "<f4", "F64": "<f8", "F16": "<f2", "I64": "<i8", "I32": "<i4", "U8": "u1"}
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    metadata = header.pop("__metadata__", {}) or {}
    out = {}
    for name, info in header.items():
        b, e = info["data_offsets"]
        out[name] = np.frombuffer(data[b:e], dtype=dtypes[info["dtype"]]).reshape(info["shape"]).copy()
    return out, metadata


# ----------------------------------------------------------------------------------------------
# Config and layout (src/transformer/config.cpp, parameter_layout in src/transformer/model.cpp)


class Config:
    def __init__(self, layers=4, dim=128, heads=4, seq=2048, learned_positions=False, tied_head=False):
        self.vocab = VOCAB
        self.layers, self.dim, self.heads, self.seq = layers, dim, heads, seq
        self.learned_positions, self.tied_head = learned_positions, tied_head
        assert dim % heads == 0 and (learned_positions or dim % 2 == 0)

    @staticmethod
    def named(name):
        sizes = {"200k": (64, 4), "800k": (128, 4), "3.2m": (256, 8)}
        if name not in sizes:
            raise SystemExit(f"unknown transformer config '{name}' (try 200k, 800k or 3.2m)")
        return Config(dim=sizes[name][0], heads=sizes[name][1])

    def to_metadata(self):
        return {"zgen.format": "zgen-transformer-1", "zgen.vocab": str(self.vocab),
                "zgen.layers": str(self.layers), "zgen.dim": str(self.dim), "zgen.heads": str(self.heads),
                "zgen.seq": str(self.seq), "zgen.positions": "learned" if self.learned_positions else "sinusoidal",
                "zgen.tied_head": "true" if self.tied_head else "false", "zgen.activation": "gelu_tanh",
                "zgen.norm": "layernorm_pre_eps1e-5"}

    @staticmethod
    def from_metadata(m):
        if m.get("zgen.format") != "zgen-transformer-1":
            raise SystemExit("not a zgen-transformer-1 checkpoint")
        if int(m["zgen.vocab"]) != VOCAB:
            raise SystemExit("vocabulary must be 256")
        for key, want in (("zgen.activation", "gelu_tanh"), ("zgen.norm", "layernorm_pre_eps1e-5")):
            if key in m and m[key] != want:
                raise SystemExit(f"{key} is {m[key]}; the twin implements only {want}")
        for key in ("zgen.raster_width", "zgen.hint_width"):  # image models' rasters: not in the twin
            if int(m.get(key, "0")) != 0:
                raise SystemExit(f"{key} is {m[key]}; the twin implements only models without a raster")
        return Config(int(m["zgen.layers"]), int(m["zgen.dim"]), int(m["zgen.heads"]), int(m["zgen.seq"]),
                      m["zgen.positions"] == "learned", m["zgen.tied_head"] == "true")

    def num_parameters(self):
        return sum(math.prod(shape) for _, shape, _ in parameter_layout(self))

    def describe(self):
        C, V = self.dim, self.vocab
        pos = f"{self.seq * C:,} learned" if self.learned_positions else "0 (sinusoidal)"
        head = "tied" if self.tied_head else f"{V * C:,}"
        return (f"{self.num_parameters():,} parameters (embedding {V * C:,}, positions {pos}, blocks "
                f"{self.layers * (12 * C * C + 13 * C):,}, final norm {2 * C:,}, head {head}; layers "
                f"{self.layers}, dim {C}, heads {self.heads}, seq {self.seq})")


BLOCK_KINDS = [  # (suffix, shape as a function of C, AdamW decay), zgen's order
    ("ln_1.weight", lambda C: (C,), False), ("ln_1.bias", lambda C: (C,), False),
    ("attn.c_attn.weight", lambda C: (3 * C, C), True), ("attn.c_attn.bias", lambda C: (3 * C,), False),
    ("attn.c_proj.weight", lambda C: (C, C), True), ("attn.c_proj.bias", lambda C: (C,), False),
    ("ln_2.weight", lambda C: (C,), False), ("ln_2.bias", lambda C: (C,), False),
    ("mlp.c_fc.weight", lambda C: (4 * C, C), True), ("mlp.c_fc.bias", lambda C: (4 * C,), False),
    ("mlp.c_proj.weight", lambda C: (C, 4 * C), True), ("mlp.c_proj.bias", lambda C: (C,), False),
]


def parameter_layout(c):
    """[(name, shape, decay)] in the order of zgen's flat buffer (per kind, layers consecutive)."""
    V, C = c.vocab, c.dim
    out = [("transformer.wte.weight", (V, C), False)]
    if c.learned_positions:
        out.append(("transformer.wpe.weight", (c.seq, C), False))
    for suffix, shape, decay in BLOCK_KINDS:
        for layer in range(c.layers):
            out.append((f"transformer.h.{layer}.{suffix}", shape(C), decay))
    out += [("transformer.ln_f.weight", (C,), False), ("transformer.ln_f.bias", (C,), False)]
    if not c.tied_head:
        out.append(("lm_head.weight", (V, C), True))
    return out


SINUSOID_SCALE = 0.02  # zgen's kSinusoidScale (src/transformer/model.hpp says why)


def sinusoidal_positions(seq, dim):
    """zgen's table: row t, columns 2i, 2i+1 = s sin(t w_i), s cos(t w_i), w_i = 10000^(-2i/C),
    s = SINUSOID_SCALE, in double."""
    table = np.zeros((seq, dim), dtype=np.float64)
    for i in range(dim // 2):
        omega = math.pow(10000.0, -2.0 * i / dim)
        for t in range(seq):
            table[t, 2 * i] = SINUSOID_SCALE * math.sin(t * omega)
            table[t, 2 * i + 1] = SINUSOID_SCALE * math.cos(t * omega)
    return table


# ----------------------------------------------------------------------------------------------
# The model


class Twin(torch.nn.Module if torch else object):
    """Parameters live in a dict keyed by zgen's tensor names (dots replaced for nn.ParameterDict)."""

    def __init__(self, c, dtype=None):
        super().__init__()
        self.c = c
        dtype = dtype or torch.float32
        self.p = torch.nn.ParameterDict({
            name.replace(".", "__"): torch.nn.Parameter(torch.zeros(shape, dtype=dtype))
            for name, shape, _ in parameter_layout(c)})
        if not c.learned_positions:
            self.register_buffer("sinusoid", torch.tensor(sinusoidal_positions(c.seq, c.dim), dtype=dtype))

    def __getitem__(self, name):
        return self.p[name.replace(".", "__")]

    def named_tensors(self):
        return [(name, self[name]) for name, _, _ in parameter_layout(self.c)]

    def load(self, tensors):
        with torch.no_grad():
            for name, shape, _ in parameter_layout(self.c):
                if name not in tensors:
                    raise SystemExit(f"tensor '{name}' is missing")
                if tuple(tensors[name].shape) != tuple(shape):
                    raise SystemExit(f"tensor '{name}' has shape {tensors[name].shape}, the config needs {shape}")
                self[name].copy_(torch.from_numpy(np.asarray(tensors[name])))

    def positions(self, t0, T):
        table = self["transformer.wpe.weight"] if self.c.learned_positions else self.sinusoid
        return table[t0:t0 + T]

    def head(self):
        return self["transformer.wte.weight"] if self.c.tied_head else self["lm_head.weight"]

    def ln(self, x, prefix):
        return F.layer_norm(x, (self.c.dim,), self[prefix + ".weight"], self[prefix + ".bias"], LN_EPS)

    def mlp(self, x, h):
        x = F.linear(x, self[h + "mlp.c_fc.weight"], self[h + "mlp.c_fc.bias"])
        x = F.gelu(x, approximate="tanh")
        return F.linear(x, self[h + "mlp.c_proj.weight"], self[h + "mlp.c_proj.bias"])

    def forward(self, idx, targets=None):
        """idx (B,T) int64 → logits (B,T,V), and the mean cross-entropy in nats when targets are given."""
        c = self.c
        B, T = idx.shape
        C, H = c.dim, c.heads
        hs = C // H
        x = F.embedding(idx, self["transformer.wte.weight"]) + self.positions(0, T)  # (B,T,C)
        mask = torch.ones(T, T, dtype=torch.bool, device=idx.device).tril()
        for layer in range(c.layers):
            h = f"transformer.h.{layer}."
            qkv = F.linear(self.ln(x, h + "ln_1"), self[h + "attn.c_attn.weight"], self[h + "attn.c_attn.bias"])
            q, k, v = qkv.split(C, dim=2)  # (B,T,C) each
            q = q.view(B, T, H, hs).transpose(1, 2)  # (B,H,T,hs)
            k = k.view(B, T, H, hs).transpose(1, 2)
            v = v.view(B, T, H, hs).transpose(1, 2)
            att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(hs))  # (B,H,T,T)
            att = att.masked_fill(~mask, float("-inf")).softmax(dim=-1)
            y = (att @ v).transpose(1, 2).reshape(B, T, C)  # (B,T,C)
            x = x + F.linear(y, self[h + "attn.c_proj.weight"], self[h + "attn.c_proj.bias"])
            x = x + self.mlp(self.ln(x, h + "ln_2"), h)
        logits = F.linear(self.ln(x, "transformer.ln_f"), self.head())  # (B,T,V)
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.reshape(-1, c.vocab), targets.reshape(-1))

    @torch.no_grad() if torch else (lambda f: f)
    def generate(self, first_byte, n):
        """Greedy decoding of n bytes from an empty context with a KV cache (one stream):
        each step runs one row through every layer and attends over the cached keys."""
        c = self.c
        C, H, L = c.dim, c.heads, c.layers
        hs = C // H
        dtype = self["transformer.wte.weight"].dtype
        keys = torch.zeros(L, H, c.seq, hs, dtype=dtype)  # (L,H,T_max,hs)
        values = torch.zeros(L, H, c.seq, hs, dtype=dtype)
        scale = 1.0 / math.sqrt(hs)
        wte = self["transformer.wte.weight"]
        pos_table = self.positions(0, c.seq)
        head = self.head()
        layers = []
        for layer in range(L):
            h = f"transformer.h.{layer}."
            layers.append([self[h + s] for s in (
                "ln_1.weight", "ln_1.bias", "attn.c_attn.weight", "attn.c_attn.bias", "attn.c_proj.weight",
                "attn.c_proj.bias", "ln_2.weight", "ln_2.bias", "mlp.c_fc.weight", "mlp.c_fc.bias",
                "mlp.c_proj.weight", "mlp.c_proj.bias")])
        lnfw, lnfb = self["transformer.ln_f.weight"], self["transformer.ln_f.bias"]
        out = []
        byte = first_byte
        for pos in range(n):
            x = wte[byte] + pos_table[pos]  # (C)
            for layer, (l1w, l1b, aw, ab, pw, pb, l2w, l2b, fw, fb, mw, mb) in enumerate(layers):
                qkv = F.linear(F.layer_norm(x, (C,), l1w, l1b, LN_EPS), aw, ab)  # (3C)
                q = qkv[:C].view(H, 1, hs)
                keys[layer, :, pos] = qkv[C:2 * C].view(H, hs)
                values[layer, :, pos] = qkv[2 * C:].view(H, hs)
                K = keys[layer, :, :pos + 1]  # (H,n,hs)
                V = values[layer, :, :pos + 1]
                att = ((q @ K.transpose(1, 2)) * scale).softmax(dim=-1)  # (H,1,n)
                y = (att @ V).reshape(C)
                x = x + F.linear(y, pw, pb)
                x = x + F.linear(F.gelu(F.linear(F.layer_norm(x, (C,), l2w, l2b, LN_EPS), fw, fb),
                                        approximate="tanh"), mw, mb)
            logits = F.linear(F.layer_norm(x, (C,), lnfw, lnfb, LN_EPS), head)  # (V)
            byte = int(torch.argmax(logits))
            out.append(byte)
        return out


def make_adamw(model, lr=1e-3):
    """zgen's AdamWOptions: betas (0.9, 0.95), eps 1e-8, weight decay 0.1 on linear matrices only."""
    decay = [model[name] for name, _, d in parameter_layout(model.c) if d]
    no_decay = [model[name] for name, _, d in parameter_layout(model.c) if not d]
    return torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                             lr=lr, betas=(0.9, 0.95), eps=1e-8)


def load_checkpoint(path, dtype=None):
    tensors, metadata = load_safetensors(path)
    c = Config.from_metadata(metadata)
    expected = {name for name, _, _ in parameter_layout(c)}
    extra = set(tensors) - expected
    if extra:
        raise SystemExit(f"unexpected tensor '{sorted(extra)[0]}' for this config")
    model = Twin(c, dtype)
    model.load(tensors)
    return model, metadata


# ----------------------------------------------------------------------------------------------
# fixture


FIXTURE_TEXT = "sotu-valid-30k.txt"


def fixture_weights(c, seed):
    """Deterministic weights, large enough that every nonlinearity works away from its linear
    regime (unlike GPT-2's N(0, 0.02)): matrices N(0, 1/fan_in), embeddings N(0, 0.5²), LayerNorm
    gains 1 + N(0, 0.2²), biases N(0, 0.1²). Drawn in float64, then rounded to float32 (the values
    the checkpoint holds, which both sides then use)."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for name, shape, _ in parameter_layout(c):
        z = torch.randn(shape, generator=g, dtype=torch.float64)
        if name.endswith(".bias"):
            w = 0.1 * z
        elif ".ln_" in name:
            w = 1.0 + 0.2 * z
        elif name.startswith("transformer.w"):
            w = 0.5 * z
        else:
            w = z / math.sqrt(shape[1])
        out[name] = w.numpy().astype(np.float32)
    return out


def cmd_fixture(args):
    text_path = os.path.join(args.out_dir, FIXTURE_TEXT)
    with open(text_path, "rb") as f:
        text = f.read()
    B, T = 2, 144  # longer than zgen's attention tile (kAttentionQueryBlock: 64, later 128) so it spans tiles
    offsets = [0, 1000]
    inputs = np.array([list(text[o:o + T]) for o in offsets], dtype=np.int64)  # (B,T)
    targets = np.array([list(text[o + 1:o + T + 1]) for o in offsets], dtype=np.int64)
    # Logit rows kept in full (the per-position losses cover every row): both tiles' edges.
    positions = [0, 1, 63, 64, 127, 128, 143]
    rows = [b * T + t for b in range(B) for t in positions]
    variants = [
        ("twin-sinusoidal-untied", Config(layers=2, dim=8, heads=2, seq=160), 11),
        ("twin-learned-tied", Config(layers=2, dim=8, heads=2, seq=144, learned_positions=True, tied_head=True), 12),
    ]
    for stem, c, seed in variants:
        weights = fixture_weights(c, seed)
        ckpt = os.path.join(args.out_dir, stem + ".safetensors")
        save_safetensors(ckpt, [(name, weights[name]) for name, _, _ in parameter_layout(c)],
                         {**c.to_metadata(), "train.note": "PyTorch twin fixture: seeded random weights, not trained"})
        # The reference: float64 from the float32 weights as stored.
        model, _ = load_checkpoint(ckpt, torch.float64)
        idx, tgt = torch.from_numpy(inputs), torch.from_numpy(targets)
        logits, loss = model(idx, tgt)
        loss.backward()
        losses = F.cross_entropy(logits.detach().reshape(-1, VOCAB), tgt.reshape(-1), reduction="none")
        tensors = [("inputs", inputs.astype(np.float32)), ("targets", targets.astype(np.float32)),
                   ("loss", np.array([loss.item()])), ("losses", losses.reshape(B, T).numpy()),
                   ("logit_rows", np.array(rows, dtype=np.float32)),
                   ("logits", logits.detach().reshape(B * T, VOCAB)[rows].numpy())]
        for name, p in model.named_tensors():
            tensors.append(("grad." + name, p.grad.numpy()))
        expected = os.path.join(args.out_dir, stem + "-expected.safetensors")
        save_safetensors(expected, tensors, {
            "source": "scripts/torch_twin.py fixture",
            "torch": torch.__version__,
            "computed_in": "float64 (from the float32 weights of the checkpoint), stored as float32",
            "text": f"tests/data/{FIXTURE_TEXT} bytes [o, o+{T}] for o in {offsets}",
            "loss_float64": repr(loss.item()),
            "seed": str(seed)})
        print(f"{stem}: {c.describe()}\n  loss {loss.item():.12f} nats; wrote {ckpt} "
              f"({os.path.getsize(ckpt):,} bytes) and {expected} ({os.path.getsize(expected):,} bytes)")


# ----------------------------------------------------------------------------------------------
# bench


def forward_flops(c, T):
    """bench/bench_transformer.cpp's count: 2 per weight of every matrix product per token, plus
    causal attention's 2*2*C*(t+1) at position t."""
    C, L, V = c.dim, c.layers, c.vocab
    return 2.0 * T * (L * 12.0 * C * C + V * C) + L * 2.0 * 2.0 * C * (T * (T + 1) / 2.0)


def _openblas():
    """The OpenBLAS torch calls (Debian's torch links libblas.so.3), or None."""
    import ctypes
    try:
        lib = ctypes.CDLL("libblas.so.3")
        lib.openblas_get_corename.restype = ctypes.c_char_p
        lib.openblas_get_num_threads()
        return lib
    except (OSError, AttributeError):
        return None


def set_threads(n):
    torch.set_num_threads(n)
    lib = _openblas()
    if lib is not None:
        lib.openblas_set_num_threads(n)


def peak_rss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024  # Linux: KiB


def gpt2_init(model, seed):
    """GPT-2's scheme (as zgen's init_weights, though from torch's generator): N(0, 0.02), residual
    projections N(0, 0.02/sqrt(2L)), biases 0, LayerNorm gains 1."""
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, p in model.named_tensors():
            if name.endswith(".bias"):
                p.zero_()
            elif ".ln_" in name:
                p.fill_(1.0)
            else:
                std = 0.02 / math.sqrt(2 * model.c.layers) if name.endswith("c_proj.weight") else 0.02
                p.copy_(torch.randn(p.shape, generator=g) * std)


def cmd_bench(args):
    set_threads(args.threads)
    c = Config.named(args.config)
    c.seq = args.seq
    B, T, steps = args.batch, args.seq, args.steps
    model = Twin(c)
    gpt2_init(model, 1)
    opt = make_adamw(model)
    rng = np.random.default_rng(3)
    data = torch.from_numpy(rng.integers(ord("a"), ord("z") + 1, size=1 << 20).astype(np.int64))  # content does not change the speed
    starts = np.random.default_rng(5)

    def batch():
        s = starts.integers(0, data.numel() - T, size=B)
        return (torch.stack([data[i:i + T] for i in s]), torch.stack([data[i + 1:i + T + 1] for i in s]))

    print(f"transformer {args.config}: {c.describe()}")
    blas = _openblas()
    core = blas.openblas_get_corename().decode() if blas is not None else "?"
    print(f"batch {B} x {T}, {args.threads} threads (PyTorch {torch.__version__}, OpenBLAS core {core}, "
          f"OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})\n")

    def train_step(x, y):
        opt.zero_grad(set_to_none=True)
        _, loss = model(x, y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    train_step(*batch())  # warm-up: allocations, optimiser state
    t0 = time.perf_counter()
    for _ in range(steps):
        train_step(*batch())
    train_s = (time.perf_counter() - t0) / steps
    print(f"training     {B * T / train_s:9.0f} tokens/s  {3.0 * B * forward_flops(c, T) / train_s / 1e9:6.1f} GFLOP/s"
          f"  ({train_s:.2f} s/step)")
    print(f"             peak RSS so far {peak_rss_mb()} MB")

    with torch.no_grad():
        t0 = time.perf_counter()
        for _ in range(steps):
            model(*batch())
        score_s = (time.perf_counter() - t0) / steps
    print(f"scoring      {B * T / score_s:9.0f} tokens/s  {B * forward_flops(c, T) / score_s / 1e9:6.1f} GFLOP/s")

    n = min(args.generate, T)

    def best_generation_seconds(runs=3):  # as zgen's bench: the best of a few runs
        best = float("inf")
        for _ in range(runs):
            t0 = time.perf_counter()
            model.generate(ord("a"), n)
            best = min(best, time.perf_counter() - t0)
        return best

    gen_s = best_generation_seconds()
    print(f"generation   {n / gen_s:9.0f} tokens/s  (positions 0..{n - 1}, greedy, KV cache, best of 3)")
    if args.threads > 1:  # one row per layer: thread hand-offs cost more than they bring
        set_threads(1)
        gen1_s = best_generation_seconds()
        set_threads(args.threads)
        print(f"             {n / gen1_s:9.0f} tokens/s  with 1 thread")
    print(f"\npeak RSS {peak_rss_mb()} MB")


# ----------------------------------------------------------------------------------------------
# score


def cmd_score(args):
    """zgen's evaluate(): consecutive windows of T+1 bytes overlapping by one."""
    set_threads(args.threads)
    model, _ = load_checkpoint(args.checkpoint)
    T = args.seq or model.c.seq
    with open(args.data, "rb") as f:
        data = f.read()
    if args.max_bytes:
        data = data[:args.max_bytes]
    nats, predicted = 0.0, 0
    with torch.no_grad():
        for s in range(0, len(data) - 1, T):
            window = torch.tensor(list(data[s:s + T + 1]), dtype=torch.int64)
            _, loss = model(window[:-1].unsqueeze(0), window[1:].unsqueeze(0))
            nats += loss.item() * (len(window) - 1)
            predicted += len(window) - 1
    print(f"{nats / math.log(2) / predicted:.6f} bits/byte over {predicted} predicted bytes (T={T})")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="command", required=True)
    f = sub.add_parser("fixture", help="write the twin test's fixtures")
    f.add_argument("--out-dir", default="tests/data")
    b = sub.add_parser("bench", help="PyTorch speed, printed like bench_transformer")
    b.add_argument("--config", default="800k")
    b.add_argument("--batch", type=int, default=8)
    b.add_argument("--seq", type=int, default=2048)
    b.add_argument("--threads", type=int, default=2)
    b.add_argument("--steps", type=int, default=3)
    b.add_argument("--generate", type=int, default=512)
    s = sub.add_parser("score", help="bits per byte of a zgen checkpoint on a file")
    s.add_argument("--checkpoint", required=True)
    s.add_argument("--data", required=True)
    s.add_argument("--seq", type=int, default=0, help="window (default: the checkpoint's seq)")
    s.add_argument("--max-bytes", type=int, default=0)
    s.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if torch is None:
        sys.exit("torch_twin.py: PyTorch is not installed for " + sys.executable)
    {"fixture": cmd_fixture, "bench": cmd_bench, "score": cmd_score}[args.command](args)


if __name__ == "__main__":
    main()
