"""Sampling: the same bytes as `zgen sample`, streaming, threads, bad arguments."""
import sys
import threading

import numpy as np
import pytest

import zgen


def test_gzip_spans_same_bytes_as_cli(cli, data_dir, sotu):
    context = data_dir / "sotu-valid-30k.txt"
    expected = cli("sample", "-q", "-j", "1", "-m", "gzip:9", "-c", context, "-p", "The ", "-n", 40, "-s", 7)
    got = zgen.Model("gzip:9").sample(sotu, prompt="The ", length=40, seed=7)
    assert len(got) == 40
    assert got == expected


def test_bytes_method_with_samplers_same_bytes_as_cli(cli, tmp_path, sotu):
    # ppm without its primer, on 3 KB: quick to make and to condition.
    context = tmp_path / "context.txt"
    context.write_bytes(sotu[:3000])
    args = ["-m", "ppm:3:unprimed", "-c", context, "-p", "We ", "-n", 60, "-s", 11, "--method", "bytes",
            "--temperature", 0.8, "--top-k", 20, "--top-p", 0.95, "--min-p", 0.01]
    expected = cli("sample", "-q", *args)
    model = zgen.Model("ppm:3:unprimed")
    got = model.sample(sotu[:3000], prompt=b"We ", length=60, seed=11, method="bytes", temperature=0.8, top_k=20,
                       top_p=0.95, min_p=0.01)
    assert got == expected
    # The same model again: a call starts afresh (the predictor is reset), same seed, same bytes.
    assert model.sample(sotu[:3000], prompt=b"We ", length=60, seed=11, method="bytes", temperature=0.8, top_k=20,
                        top_p=0.95, min_p=0.01) == expected


def test_horizon_implies_bytes_as_in_cli(cli, data_dir, sotu):
    context = data_dir / "sotu-valid-30k.txt"
    expected = cli("sample", "-q", "-m", "gzip:6", "-c", context, "-n", 12, "-s", 3, "--horizon", 3, "--beam", 2)
    assert zgen.Model("gzip:6").sample(sotu, length=12, seed=3, horizon=3, beam=2) == expected


def test_default_context_is_the_built_in_corpus(cli):
    expected = cli("sample", "-q", "-m", "gzip:1", "--method", "bytes", "-n", 20, "-s", 5)
    assert zgen.Model("gzip:1").sample(length=20, seed=5, method="bytes") == expected
    assert len(zgen.default_corpus()) > 100_000


def test_stream_yields_the_sample_piece_by_piece(sotu):
    model = zgen.Model("gzip:9")
    pieces = list(model.stream(sotu, prompt="The ", length=40, seed=7))
    assert len(pieces) > 1
    assert b"".join(pieces) == model.sample(sotu, prompt="The ", length=40, seed=7)


def test_stream_closed_early_stops_cleanly(sotu):
    model = zgen.Model("ppm:2:unprimed")
    stream = model.stream(sotu[:2000], length=100_000, seed=1, method="bytes")
    first = next(stream)
    assert len(first) == 1
    stream.close()  # the worker stops at its next byte; the model is free again
    assert len(model.sample(sotu[:2000], length=5, seed=1, method="bytes")) == 5


def test_log_probs_is_a_distribution(sotu):
    lp = zgen.Model("ppm:2:unprimed").log_probs(sotu[:2000])
    assert isinstance(lp, np.ndarray) and lp.shape == (256,) and lp.dtype == np.float64
    assert abs(np.exp(lp).sum() - 1) < 1e-9
    gz = zgen.Model("gzip:9").log_probs(b"the cat sat on the mat. the cat sat on the ")
    assert abs(np.exp(gz).sum() - 1) < 1e-9
    assert gz[ord("m")] > gz[ord("q")]  # the compressor expects the repeat


def test_sampling_releases_the_gil(sotu):
    # Not timed: with a huge switch interval a thread keeps the GIL until it blocks or releases
    # it. The main thread waits for the worker to start; it can run again before the worker's
    # sample() returns only if sample() released the GIL (no false pass). The call is long
    # (about 0.2 s, 150 bytes) so that the main thread, woken when the GIL is released, is
    # scheduled before the worker takes the GIL back even on a loaded machine.
    model = zgen.Model("gzip:1")
    started, finished = threading.Event(), threading.Event()
    seen_running = []

    def work():
        started.set()
        model.sample(sotu[:5000], length=150, seed=1, method="bytes")
        finished.set()

    old = sys.getswitchinterval()
    sys.setswitchinterval(1000)
    try:
        t = threading.Thread(target=work)
        t.start()
        started.wait()
        seen_running.append(not finished.is_set())
    finally:
        sys.setswitchinterval(old)
    t.join()
    assert seen_running == [True]


def test_two_threads_give_the_serial_results(sotu):
    seeds = (1, 2)
    serial = [zgen.Model("gzip:6").sample(sotu, length=20, seed=s) for s in seeds]
    results = [None, None]

    def work(i):
        results[i] = zgen.Model("gzip:6").sample(sotu, length=20, seed=seeds[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == serial


@pytest.mark.parametrize("kwargs, message", [
    (dict(top_k=0), "top_k must be >= 1"),
    (dict(temperature=-1), "temperature"),
    (dict(top_p=0), "top_p"),
    (dict(min_p=2), "min_p"),
    (dict(length=-1), "length must be >= 0"),
    (dict(method="words"), "unknown method 'words'"),
    (dict(method="spans", horizon=2), "horizon goes with method bytes"),
    (dict(alphabet="latin"), "alphabet"),
    (dict(order="top-k,bogus"), "bogus"),
])
def test_bad_sampling_arguments_raise_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        zgen.Model("gzip:1").sample(b"some context", **{"length": 3, "seed": 1, **kwargs})


def test_bad_models_and_types():
    with pytest.raises(ValueError, match="nosuch"):
        zgen.Model("nosuch:3")
    with pytest.raises(ValueError):
        zgen.Model("gzip:99")
    with pytest.raises(FileNotFoundError, match="no-such-model.safetensors"):
        zgen.Model("transformer:/nonexistent/no-such-model.safetensors")
    with pytest.raises(TypeError):
        zgen.Model("gzip:1").sample(12345, length=3)
    with pytest.raises(TypeError):
        zgen.Model(42)
