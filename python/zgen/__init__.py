"""zgen: compressors as generative models, models as compressors.

Python bindings over zgen's C++ library ("Language Modeling Is Compression", Deletang et al.
2023). A compressor (gzip, zstd, xz, ...) is a next-byte model; any next-byte model (ppm, the
native transformer, or a Python object implementing :class:`Predictor`) drives an arithmetic
coder and becomes a compressor.

    >>> import zgen
    >>> gzip = zgen.Model("gzip:9")
    >>> text = gzip.sample(prompt="The ", length=100, seed=1)   # same bytes as `zgen sample`
    >>> blob = zgen.compress(b"some data" * 100, "ppm:5")      # a .zgen file, as `zgen compress`
    >>> zgen.decompress(blob) == b"some data" * 100
    True

Long calls release the GIL (threads run them in parallel, one Model per thread) and stop on
Ctrl-C (KeyboardInterrupt). zgen's errors are ValueError (a bad argument or SPEC),
FileNotFoundError (a file that cannot be read), :class:`FormatError` (a corrupt .zgen file) and
:class:`ModelMismatch` (decoding with another model), with the CLI's one-line messages.
"""

from __future__ import annotations

import os
import secrets
from typing import Iterator, Mapping, Optional, Sequence, Union

from . import _zgen

__all__ = [
    "Model",
    "Predictor",
    "compress",
    "decompress",
    "bench",
    "default_corpus",
    "FormatError",
    "ModelMismatch",
    "__version__",
]

__version__: str = _zgen.__version__
FormatError = _zgen.FormatError
ModelMismatch = _zgen.ModelMismatch

BytesLike = Union[bytes, bytearray, memoryview, str]

# The sampler order of `zgen sample --samplers` (SamplerParams::order).
DEFAULT_ORDER = "penalties,top-k,top-p,min-p,temperature"


def default_corpus() -> bytes:
    """The built-in corpus (Moby Dick, first 300 KB) that `zgen sample` conditions on by default."""
    return _zgen.default_corpus()


def _as_bytes(value: BytesLike, what: str) -> bytes:
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value)
    raise TypeError(f"{what} must be bytes or str, not {type(value).__name__}")


def _threads(threads: Optional[int]) -> int:
    """None: every core, as the CLI's default --threads."""
    return (os.cpu_count() or 1) if threads is None else int(threads)


class Predictor:
    """A next-byte model written in Python, for zgen's coder, container and samplers.

    Subclass it and implement the three methods; zgen calls them in this order::

        reset(context)   # condition on `context` (bytes), forgetting everything before
        log_probs()      # 256 numbers: the next byte's log-probabilities (natural log)
        observe(byte)    # the byte (int 0..255) that came next
        log_probs() ...

    ``log_probs`` may return any array-like of 256 floats (a numpy array, a list, a torch
    tensor's ``.detach().numpy()``); zgen normalises it (log-softmax in float64), so logits do
    too. NaN, +inf or every byte at -inf is refused with ValueError.

    ``zgen.compress(data, predictor)`` writes a .zgen file whose model is "python:NAME" (NAME:
    the ``name`` attribute, default the class name) and a fingerprint of the predictor's
    outputs on a fixed probe. ``zgen.decompress(blob, model=predictor)`` refuses
    (:class:`ModelMismatch`) a predictor whose outputs on the probe differ in any bit, so a file
    is never decoded into wrong bytes. The predictor must therefore be deterministic: the same
    calls give the same numbers.
    """

    name: Optional[str] = None

    def reset(self, context: bytes) -> None:
        raise NotImplementedError(f"{type(self).__name__}.reset(context) is not implemented")

    def observe(self, byte: int) -> None:
        raise NotImplementedError(f"{type(self).__name__}.observe(byte) is not implemented")

    def log_probs(self):  # -> array-like of 256 floats
        raise NotImplementedError(f"{type(self).__name__}.log_probs() is not implemented")


def _predictor_name(obj) -> str:
    name = getattr(obj, "name", None)
    return str(name) if name else type(obj).__name__


class Model:
    """A zgen model: a SPEC or a :class:`Predictor`.

    SPECs are those of the CLI: compressors (``gzip:9``, ``zstd:19``, ``xz:9``, ``bzip2:9``,
    ``brotli:11``, ``png``, ``flac``, ``cmd:COMMAND``), ``ppm:N``, ``transformer:PATH`` and
    ``mix:A+B``. A SPEC is checked (and a checkpoint loaded) here.

    Options: ``threads`` costs a compressor model's candidates in parallel and bounds a
    transformer's matrix products (the CLI's ``--threads``; results do not depend on it), ``max_context`` keeps that many bytes of context (0: the compressor's
    window), ``cmd_timeout`` bounds a ``cmd:`` compressor per input, ``snapshot=False``
    recompresses every candidate from scratch (slow; for checking).

    One call runs at a time on a Model (its predictor is stateful); use one Model per thread
    to sample or score in parallel.
    """

    def __init__(self, spec: Union[str, Predictor], *, threads: int = 1, max_context: int = 0,
                 cmd_timeout: float = 30.0, snapshot: bool = True):
        if isinstance(spec, Model):
            spec = spec._native.spec if not spec._native.is_python else spec._predictor
        self._predictor = None if isinstance(spec, str) else spec
        name = "" if isinstance(spec, str) else _predictor_name(spec)
        self._native = _zgen.Model(spec, name, int(threads), int(max_context), float(cmd_timeout), bool(snapshot))

    @property
    def spec(self) -> str:
        """The SPEC, as stored in .zgen files ("python:NAME" for a Python predictor)."""
        return self._native.spec

    @property
    def name(self) -> str:
        """The model's canonical name (``gzip`` → ``gzip:6``)."""
        return self._native.name

    def __repr__(self) -> str:
        return f"zgen.Model({self.spec!r})"

    def log_probs(self, context: BytesLike = b"") -> "numpy.ndarray":  # noqa: F821
        """The next byte's distribution after ``context``: a float64 array of 256 natural-log
        probabilities (exp sums to 1). A compressor's is p(x|c) ∝ 2^-(ℓ(c·x) − ℓ(c))."""
        return self._native.log_probs(_as_bytes(context, "context"))

    def score(self, data: BytesLike, context: BytesLike = b"", *, coder: bool = False) -> dict:
        """The model's log-loss on ``data`` after ``context``, with the fields of
        ``zgen score --json``: ``bits_per_byte``, ``model_bits``, ``bytes``, ``seconds``, and for
        compressors their own format's cost, ``own_bits_per_byte_given_context`` (ℓ(c·d) − ℓ(c))
        and ``own_rate_alone_percent`` (d compressed alone); ``coder=True`` also codes the data
        with the arithmetic coder (``coded_bits``, ``coded_ideal_bits``). Absent values are None."""
        return self._native.score(_as_bytes(data, "data"), _as_bytes(context, "context"), bool(coder))

    def _request(self, context, prompt, length, temperature, top_k, top_p, min_p, repeat_penalty,
                 repeat_last_n, order, seed, horizon, beam, method, alphabet, copy_window):
        ctx = default_corpus() if context is None else _as_bytes(context, "context")
        ctx += _as_bytes(prompt, "prompt")
        if top_k is not None and int(top_k) < 1:
            raise ValueError(f"top_k must be >= 1 (got {top_k}); None switches it off")
        if seed is None:
            seed = secrets.randbelow(1_000_000_000)
        if int(seed) < 0:
            raise ValueError(f"seed must be >= 0 (got {seed})")
        return dict(context=ctx, length=int(length), temperature=float(temperature),
                    top_k=0 if top_k is None else int(top_k), top_p=float(top_p), min_p=float(min_p),
                    repeat_penalty=float(repeat_penalty), repeat_last_n=int(repeat_last_n), order=str(order),
                    seed=int(seed), horizon=int(horizon), beam=int(beam), method=method or "",
                    alphabet=str(alphabet), copy_window=int(copy_window))

    def sample(self, context: Optional[BytesLike] = None, prompt: BytesLike = b"", length: int = 300, *,
               temperature: float = 1.0, top_k: Optional[int] = None, top_p: float = 1.0, min_p: float = 0.0,
               repeat_penalty: float = 1.0, repeat_last_n: int = 64, order: str = DEFAULT_ORDER,
               seed: Optional[int] = None, horizon: int = 1, beam: int = 8, method: Optional[str] = None,
               alphabet: str = "context", copy_window: int = 16) -> bytes:
        """``length`` bytes generated after ``context`` (default: the built-in corpus; ``b""`` for
        none) and ``prompt``, exactly as ``zgen sample`` makes them with the same options and
        seed (``--context FILE --prompt TEXT -n LENGTH --seed SEED ...``).

        ``method``: ``"spans"`` (the CLI's default: the context's words and phrases, priced by
        their exact code length, never copying ``copy_window`` bytes of the context) or
        ``"bytes"`` (the paper's one byte at a time; implied by ``horizon`` > 1, a beam of
        ``beam`` spans of ``horizon`` bytes). Samplers: ``temperature`` (0: greedy), ``top_k``,
        ``top_p``, ``min_p``, ``repeat_penalty`` over ``repeat_last_n`` bytes, applied in
        ``order``. ``seed=None`` draws a fresh seed. ``alphabet``: which bytes a compressor
        model may propose (``context``, ``printable`` or ``all``)."""
        r = self._request(context, prompt, length, temperature, top_k, top_p, min_p, repeat_penalty,
                          repeat_last_n, order, seed, horizon, beam, method, alphabet, copy_window)
        return self._native.sample(**r)

    def stream(self, context: Optional[BytesLike] = None, prompt: BytesLike = b"", length: int = 300, *,
               temperature: float = 1.0, top_k: Optional[int] = None, top_p: float = 1.0, min_p: float = 0.0,
               repeat_penalty: float = 1.0, repeat_last_n: int = 64, order: str = DEFAULT_ORDER,
               seed: Optional[int] = None, horizon: int = 1, beam: int = 8, method: Optional[str] = None,
               alphabet: str = "context", copy_window: int = 16) -> Iterator[bytes]:
        """:meth:`sample` as a generator: yields each piece (a byte, or a word with the span
        method) as soon as it is chosen; the pieces join into :meth:`sample`'s bytes. Sampling
        runs on a thread of its own; closing the generator (or breaking out of the loop) stops it."""
        r = self._request(context, prompt, length, temperature, top_k, top_p, min_p, repeat_penalty,
                          repeat_last_n, order, seed, horizon, beam, method, alphabet, copy_window)
        native = self._native.stream(**r)
        try:
            yield from native
        finally:
            native.close()

    def fingerprint(self) -> Optional[int]:
        """A Python predictor's fingerprint (its outputs on zgen's probe, hashed; what a .zgen
        file records); None for SPEC models, which their SPEC and parameters identify."""
        return self._native.fingerprint()


def _model(model: Union[str, Model, Predictor]) -> Model:
    return model if isinstance(model, Model) else Model(model)


def compress(data: BytesLike, model: Union[str, Model, Predictor], chunk_size: int = 2048, *,
             threads: Optional[int] = None) -> bytes:
    """``data`` as a .zgen file coded by ``model``'s next-byte probabilities, the same file as
    ``zgen compress --model SPEC --chunk-size N`` (byte for byte, whatever ``threads``).
    Each ``chunk_size``-byte chunk is coded on its own (0: the whole data with its history).
    ``threads`` (default: every core) code chunks in parallel, one copy of the model each; a
    Python predictor codes on one thread."""
    return _zgen.compress(_as_bytes(data, "data"), _model(model)._native, int(chunk_size), _threads(threads))


def decompress(blob: BytesLike, model: Union[None, str, Model, Predictor] = None, *,
               threads: Optional[int] = None, model_dirs: Sequence[str] = ()) -> bytes:
    """The data of a .zgen file (from :func:`compress` or ``zgen compress``).

    The file names its model; ``model`` replaces it (the same model, e.g. a moved checkpoint:
    ``"transformer:NEW/PATH"``), and a file made with a Python predictor needs that predictor.
    A checkpoint is also looked for by file name in ``model_dirs``, then in ``ZGEN_MODEL_PATH``'s
    directories. Raises :class:`FormatError` for a corrupt file, :class:`ModelMismatch` when the
    model differs (a Python predictor that computes differently on zgen's probe included)."""
    dirs = [str(d) for d in model_dirs]
    dirs += [d for d in os.environ.get("ZGEN_MODEL_PATH", "").split(":") if d]
    native = None if model is None else _model(model)._native
    return _zgen.decompress(_as_bytes(blob, "blob"), native, _threads(threads), dirs, "")


def bench(data: Union[BytesLike, Mapping[str, BytesLike]],
          models: Sequence[str] = ("gzip:9", "xz:9", "zstd:19", "bzip2:9", "brotli:11", "ppm"), *,
          chunks: int = 0, threads: Optional[int] = None, predict_bytes: int = 0) -> list:
    """The measurements of ``zgen bench`` (Table 1 of the paper) on your data: one dict per
    (modality, model), ready for ``pandas.DataFrame(rows)``.

    ``data``: bytes (one modality, "text") or a mapping modality name → bytes. Each is cut into
    2048-byte chunks (a last partial one is dropped) and ``chunks`` of them are chosen evenly
    (0: all). Per row: ``chunked_rate`` (each chunk compressed alone, sizes summed, over raw
    size), ``whole_rate`` (the chunks concatenated and compressed once), the ``*_adjusted_rate``
    (parameters count 2 bytes each), byte counts, and with ``predict_bytes`` > 0 the model's
    ``bits_per_byte`` on the first ``predict_bytes`` bytes of the chosen chunks."""
    if isinstance(data, Mapping):
        modalities = [(str(k), _as_bytes(v, f"data[{k!r}]")) for k, v in data.items()]
    else:
        modalities = [("text", _as_bytes(data, "data"))]
    if isinstance(models, str):
        models = [models]
    return _zgen.bench(modalities, [str(m) for m in models], int(chunks), _threads(threads), int(predict_bytes))
