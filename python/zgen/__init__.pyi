# Type hints for the zgen package (the docstrings are in __init__.py).
from typing import Iterator, Mapping, Optional, Sequence, Union

import numpy as np
import numpy.typing as npt

__version__: str
DEFAULT_ORDER: str
BytesLike = Union[bytes, bytearray, memoryview, str]

class FormatError(ValueError): ...
class ModelMismatch(ValueError): ...

def default_corpus() -> bytes: ...

class Predictor:
    name: Optional[str]
    def reset(self, context: bytes) -> None: ...
    def observe(self, byte: int) -> None: ...
    def log_probs(self) -> npt.ArrayLike: ...

class Model:
    def __init__(
        self,
        spec: Union[str, Predictor, Model],
        *,
        threads: int = 1,
        max_context: int = 0,
        cmd_timeout: float = 30.0,
        snapshot: bool = True,
    ) -> None: ...
    @property
    def spec(self) -> str: ...
    @property
    def name(self) -> str: ...
    def log_probs(self, context: BytesLike = b"") -> npt.NDArray[np.float64]: ...
    def score(self, data: BytesLike, context: BytesLike = b"", *, coder: bool = False) -> dict: ...
    def sample(
        self,
        context: Optional[BytesLike] = None,
        prompt: BytesLike = b"",
        length: int = 300,
        *,
        temperature: float = 1.0,
        top_k: Optional[int] = None,
        top_p: float = 1.0,
        min_p: float = 0.0,
        repeat_penalty: float = 1.0,
        repeat_last_n: int = 64,
        order: str = ...,
        seed: Optional[int] = None,
        horizon: int = 1,
        beam: int = 8,
        method: Optional[str] = None,
        alphabet: str = "context",
        copy_window: int = 16,
    ) -> bytes: ...
    def stream(
        self,
        context: Optional[BytesLike] = None,
        prompt: BytesLike = b"",
        length: int = 300,
        *,
        temperature: float = 1.0,
        top_k: Optional[int] = None,
        top_p: float = 1.0,
        min_p: float = 0.0,
        repeat_penalty: float = 1.0,
        repeat_last_n: int = 64,
        order: str = ...,
        seed: Optional[int] = None,
        horizon: int = 1,
        beam: int = 8,
        method: Optional[str] = None,
        alphabet: str = "context",
        copy_window: int = 16,
    ) -> Iterator[bytes]: ...
    def fingerprint(self) -> Optional[int]: ...

def compress(
    data: BytesLike, model: Union[str, Model, Predictor], chunk_size: int = 2048, *, threads: Optional[int] = None
) -> bytes: ...
def decompress(
    blob: BytesLike,
    model: Union[None, str, Model, Predictor] = None,
    *,
    threads: Optional[int] = None,
    model_dirs: Sequence[str] = (),
) -> bytes: ...
def bench(
    data: Union[BytesLike, Mapping[str, BytesLike]],
    models: Sequence[str] = ...,
    *,
    chunks: int = 0,
    threads: Optional[int] = None,
    predict_bytes: int = 0,
) -> list[dict]: ...
