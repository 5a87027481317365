"""score and bench: the CLI's figures as plain Python data."""
import json

import pytest

import zgen


def test_score_of_a_compressor_model(sotu):
    data = sotu[20000:20400]
    r = zgen.Model("gzip:9").score(data, context=sotu[:20000])
    assert r["bytes"] == 400
    assert 1.0 < r["bits_per_byte"] < 6.0
    assert r["own_bits_per_byte_given_context"] is not None
    assert r["own_rate_alone_percent"] > 50
    assert r["coded_bits"] is None


def test_score_same_as_cli_json(cli, tmp_path, sotu, twin):
    ctx, data = tmp_path / "ctx.txt", tmp_path / "data.txt"
    ctx.write_bytes(sotu[:3000])
    data.write_bytes(sotu[3000:3300])
    expected = json.loads(cli("score", "--json", "-m", twin, "-c", ctx, "-d", data, "-j", 1))
    got = zgen.Model(twin).score(sotu[3000:3300], context=sotu[:3000], coder=True)
    for key in ("model", "bytes", "bits_per_byte", "model_bits", "coded_bits", "coded_ideal_bits"):
        assert got[key] == pytest.approx(expected[key], rel=1e-12), key


def test_score_rejects_empty_data():
    with pytest.raises(ValueError, match="data to score is empty"):
        zgen.Model("gzip:1").score(b"")


def test_bench_rows_match_cli_json(cli, data_dir, tmp_path, sotu, twin):
    out = tmp_path / "bench.json"
    cli("bench", "-q", "--text", data_dir / "sotu-valid-30k.txt", "--models", f"gzip:9,{twin}", "--chunks", 3,
        "--predict-bytes", 16, "--json", out, "-j", 1)
    expected = json.loads(out.read_text())
    rows = zgen.bench(sotu, models=["gzip:9", twin], chunks=3, predict_bytes=16, threads=2)
    assert [(r["modality"], r["spec"]) for r in rows] == [("text", "gzip:9"), ("text", twin)]
    for row, model in zip(rows, expected["models"]):
        cell = model["text"]
        assert row["raw_bytes"] == cell["chunked"]["raw_bytes"] == 3 * 2048
        assert row["chunked_rate"] == pytest.approx(cell["chunked"]["rate"], rel=1e-12)
        assert row["whole_rate"] == pytest.approx(cell["unchunked"]["rate"], rel=1e-12)
        assert row["bits_per_byte"] == pytest.approx(cell["predictor"]["bits_per_byte"], rel=1e-12)
    assert rows[1]["kind"] == "arithmetic-coded predictor" and rows[1]["chunked_ideal_bytes"] > 0


def test_bench_modalities_and_errors(sotu):
    rows = zgen.bench({"a": sotu[:4096], "b": sotu[4096:8192]}, models="gzip:1")
    assert [r["modality"] for r in rows] == ["a", "b"] and rows[0]["chunks"] == 2
    with pytest.raises(ValueError, match="no 2048-byte chunk"):
        zgen.bench(b"short", models=["gzip:1"])
    with pytest.raises(ValueError, match="chunks must be >= 0"):
        zgen.bench(sotu, models=["gzip:1"], chunks=-1)
    with pytest.raises(ValueError):
        zgen.bench(sotu, models=["nosuch"])
