"""Shared fixtures: the CLI of the same build, tests/data/, and small real inputs.

ctest sets ZGEN_CLI, ZGEN_TEST_DATA, ZGEN_MODELS and PYTHONPATH (python/CMakeLists.txt); run by
hand from the repository root:
    PYTHONPATH=build/python ZGEN_CLI=build/zgen /usr/bin/python3 -m pytest python/tests
"""
import os
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _path(variable, default):
    return pathlib.Path(os.environ.get(variable, default))


@pytest.fixture(scope="session")
def data_dir():
    return _path("ZGEN_TEST_DATA", ROOT / "tests" / "data")


@pytest.fixture(scope="session")
def models_dir():
    return _path("ZGEN_MODELS", ROOT / "models")


@pytest.fixture(scope="session")
def sotu(data_dir):
    """30 KB of State of the Union text."""
    return (data_dir / "sotu-valid-30k.txt").read_bytes()


@pytest.fixture(scope="session")
def cli():
    """Runs the zgen CLI of this build: cli(args..., input=bytes) -> stdout bytes (exit 0 asserted)."""
    binary = _path("ZGEN_CLI", ROOT / "build" / "zgen")
    if not binary.exists():
        pytest.skip(f"the zgen CLI is not built at {binary} (set ZGEN_CLI)")

    def run(*args, input=None, check=True):
        r = subprocess.run([str(binary), *map(str, args)], input=input, capture_output=True, timeout=300)
        if check:
            assert r.returncode == 0, r.stderr.decode(errors="replace")
            return r.stdout
        return r

    return run


@pytest.fixture(scope="session")
def twin(data_dir):
    """A tiny transformer checkpoint (2 layers, dim 8, random weights): a coded model that loads
    and predicts in microseconds, where ppm's tables take seconds to allocate on a loaded machine."""
    return f"transformer:{data_dir / 'twin-learned-tied.safetensors'}"
