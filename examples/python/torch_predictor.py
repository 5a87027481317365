#!/usr/bin/env python3
"""Plug a PyTorch model into zgen's coder, container and samplers as a zgen.Predictor.

The model here is a tiny byte-level GRU trained for a few seconds on the first part of a text
file; any model that maps the bytes so far to 256 logits fits the same three methods. The
container records a fingerprint of the predictor's outputs, so decoding needs the same model
computing the same numbers (here: the same weights, on the CPU, in float64).

    PYTHONPATH=build/python /usr/bin/python3 examples/python/torch_predictor.py [FILE]
"""
import pathlib
import sys

try:
    import torch
except ImportError:
    print("torch_predictor.py: skipped, PyTorch is not installed (pip install torch, or Debian's python3-torch)")
    sys.exit(0)

import zgen


class ByteGRU(torch.nn.Module):
    def __init__(self, hidden=64):
        super().__init__()
        self.embed = torch.nn.Embedding(256, 32)
        self.gru = torch.nn.GRU(32, hidden, batch_first=True)
        self.head = torch.nn.Linear(hidden, 256)

    def forward(self, x, h=None):  # x: (B, T) bytes → (B, T, 256) logits
        y, h = self.gru(self.embed(x), h)
        return self.head(y), h


class TorchPredictor(zgen.Predictor):
    """One GRU step per byte: the hidden state is the model's memory of everything observed."""

    name = "byte-gru"

    def __init__(self, net):
        self.net = net.double().eval()

    @torch.no_grad()
    def reset(self, context):
        self.h = None
        self.logits = torch.zeros(256, dtype=torch.float64)  # uniform before the first byte
        if context:
            x = torch.tensor(list(context), dtype=torch.long)[None]
            y, self.h = self.net(x)
            self.logits = y[0, -1]

    @torch.no_grad()
    def observe(self, byte):
        y, self.h = self.net(torch.tensor([[byte]]), self.h)
        self.logits = y[0, -1]

    def log_probs(self):
        return torch.log_softmax(self.logits, dim=0).numpy()  # zgen normalises logits too


root = pathlib.Path(__file__).resolve().parents[2]
text = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else root / "tests" / "data" / "sotu-valid-30k.txt").read_bytes()
train, test = text[:20000], text[20000:22048]

torch.manual_seed(0)
net = ByteGRU()
opt = torch.optim.Adam(net.parameters(), lr=3e-3)
data = torch.tensor(list(train), dtype=torch.long)
for step in range(150):
    starts = torch.randint(0, len(data) - 129, (32,))
    batch = torch.stack([data[s : s + 129] for s in starts])
    logits, _ = net(batch[:, :-1])
    loss = torch.nn.functional.cross_entropy(logits.reshape(-1, 256), batch[:, 1:].reshape(-1))
    opt.zero_grad()
    loss.backward()
    opt.step()
print(f"trained 150 steps, last loss {loss.item() / 0.6931:.2f} bits/byte")

predictor = TorchPredictor(net)
blob = zgen.compress(test, predictor, chunk_size=2048)
print(f"compressed {len(test)} -> {len(blob)} bytes ({8 * len(blob) / len(test):.2f} bits/byte)")
assert zgen.decompress(blob, model=predictor) == test
print("decoded with the same predictor: identical")
print("sample:", zgen.Model(predictor).sample(train[-500:], prompt="The ", length=120, seed=1).decode(errors="replace"))
