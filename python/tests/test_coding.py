"""compress / decompress: the CLI's .zgen container, both ways; Python predictors."""
import numpy as np
import pytest

import zgen


class Order1(zgen.Predictor):
    """An adaptive order-1 byte model in numpy: counts of each byte after each byte."""

    def __init__(self, alpha=0.05):
        self.alpha = alpha

    def reset(self, context):
        self.counts = np.full((256, 256), self.alpha)
        self.last = 0
        for b in context:
            self.observe(b)

    def observe(self, byte):
        self.counts[self.last, byte] += 1
        self.last = byte

    def log_probs(self):
        row = self.counts[self.last]
        return np.log(row / row.sum())


def test_python_container_equals_cli_and_decodes_both_ways(cli, sotu, tmp_path, twin):
    data = sotu[:2500]  # two chunks, coded by two threads
    blob = zgen.compress(data, twin, chunk_size=2048, threads=2)
    cli_blob = cli("compress", "-q", "-m", twin, "--chunk-size", 2048, input=data)
    assert blob == cli_blob  # the same file, byte for byte
    path = tmp_path / "python.zgen"
    path.write_bytes(blob)
    assert cli("decompress", "-q", path) == data
    assert zgen.decompress(cli_blob) == data
    assert zgen.decompress(blob, threads=1) == data


def test_compressor_model_and_whole_history(cli, sotu):
    data = sotu[:300]
    blob = zgen.compress(data, zgen.Model("gzip:6"), chunk_size=0, threads=1)
    assert blob == cli("compress", "-q", "-m", "gzip:6", "--chunk-size", 0, "-j", 1, input=data)
    assert zgen.decompress(blob) == data


def test_transformer_round_trip(cli, sotu, models_dir, tmp_path):
    checkpoint = models_dir / "sotu-800k.safetensors"
    data = sotu[-400:]
    blob = zgen.compress(data, f"transformer:{checkpoint}", threads=1)
    assert len(blob) < 0.6 * len(data)  # trained on such text: about 2 bits/byte
    assert zgen.decompress(blob) == data
    path = tmp_path / "t.zgen"
    path.write_bytes(blob)
    assert cli("decompress", "-q", path) == data


def test_old_container_fixture_decodes(data_dir, sotu):
    assert zgen.decompress((data_dir / "v1-gzip6-sotu300.zgen").read_bytes()) == sotu[:300]


def test_bad_containers_raise_format_error(sotu, twin):
    blob = zgen.compress(sotu[:500], twin)
    with pytest.raises(zgen.FormatError):
        zgen.decompress(b"not a zgen file")
    with pytest.raises(zgen.FormatError, match="truncated"):
        zgen.decompress(blob[: len(blob) // 2])
    corrupt = bytearray(blob)
    corrupt[-3] ^= 0x40
    with pytest.raises(zgen.FormatError):
        zgen.decompress(bytes(corrupt))
    assert issubclass(zgen.FormatError, ValueError)


def test_another_model_is_refused(sotu, data_dir):
    blob = zgen.compress(sotu[:300], "ppm:1:unprimed", threads=1)
    with pytest.raises(zgen.ModelMismatch, match="model mismatch"):
        zgen.decompress(blob, model="ppm:2:unprimed")
    assert zgen.decompress(blob) == sotu[:300]


def test_bad_coding_arguments():
    with pytest.raises(ValueError, match="chunk_size must be >= 0"):
        zgen.compress(b"abc", "gzip:1", chunk_size=-1)
    with pytest.raises(ValueError, match="threads must be >= 1"):
        zgen.compress(b"abc", "gzip:1", threads=0)
    with pytest.raises(ValueError, match="nosuch"):
        zgen.compress(b"abc", "nosuch")


def test_python_predictor_round_trips(sotu):
    data = sotu[:3000]
    blob = zgen.compress(data, Order1(), chunk_size=0)
    assert len(blob) < 0.7 * len(data)  # it learns as it codes
    assert zgen.decompress(blob, model=Order1()) == data
    # The fingerprint is what the file records; equal objects give equal fingerprints.
    assert zgen.Model(Order1()).fingerprint() == zgen.Model(Order1()).fingerprint()
    assert zgen.Model(Order1(0.05)).fingerprint() != zgen.Model(Order1(0.04)).fingerprint()


def test_python_predictor_that_computes_differently_is_refused(sotu, cli, tmp_path, twin):
    data = sotu[:1000]
    blob = zgen.compress(data, Order1(alpha=0.05), chunk_size=0)
    with pytest.raises(zgen.ModelMismatch, match="computes differently"):
        zgen.decompress(blob, model=Order1(alpha=0.0500001))

    class Renamed(Order1):
        pass

    with pytest.raises(zgen.ModelMismatch, match="another name"):
        zgen.decompress(blob, model=Renamed())
    with pytest.raises(zgen.ModelMismatch, match="pass that predictor"):
        zgen.decompress(blob)
    with pytest.raises(zgen.ModelMismatch, match="not with a Python predictor"):
        zgen.decompress(zgen.compress(data, twin), model=Order1())
    path = tmp_path / "py.zgen"
    path.write_bytes(blob)
    r = cli("decompress", "-q", path, check=False)
    assert r.returncode == 2 and r.stderr.startswith(b"zgen: ") and b"python:Order1" in r.stderr


def test_python_predictor_samples_and_scores(sotu):
    model = zgen.Model(Order1())
    a = model.sample(sotu[:5000], length=50, seed=4)  # spans need a compressor: bytes
    assert len(a) == 50 and a == model.sample(sotu[:5000], length=50, seed=4)
    s = model.score(sotu[5000:6000], sotu[:5000])
    assert s["model"] == "python:Order1" and s["bytes"] == 1000
    assert 2.0 < s["bits_per_byte"] < 5.0


def test_bad_python_predictors():
    class Short(Order1):
        def log_probs(self):
            return np.zeros(255)

    class NaN(Order1):
        def log_probs(self):
            return np.full(256, np.nan)

    class Fails(Order1):
        def observe(self, byte):
            raise RuntimeError("model broke")

    with pytest.raises(ValueError, match="256 numbers"):
        zgen.compress(b"abc", Short())
    with pytest.raises(ValueError, match="NaN"):
        zgen.compress(b"abc", NaN())
    with pytest.raises(RuntimeError, match="model broke"):
        zgen.compress(b"abc", Fails())
    with pytest.raises(TypeError, match="log_probs"):
        zgen.compress(b"abc", object())
    with pytest.raises(NotImplementedError):
        zgen.compress(b"abc", zgen.Predictor())
