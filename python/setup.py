"""pip's way to the zgen package: `/usr/bin/python3 -m pip install --no-build-isolation ./python`.

The native module is built by CMake (the project's own build, only the target _zgen, with tests,
examples and benchmarks off), so pip and `cmake --install` install the same thing. Offline: it
needs Debian's setuptools, pybind11-dev, python3-dev and numpy (scripts/setup.sh installs them),
hence --no-build-isolation. Extra CMake arguments come from ZGEN_CMAKE_ARGS, as for setup.sh.
"""
import os
import pathlib
import re
import shlex
import shutil
import subprocess
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parent


def project_version():
    text = (ROOT / "CMakeLists.txt").read_text()
    return re.search(r"project\(zgen VERSION ([0-9.]+)", text).group(1)


class CMakeBuild(build_ext):
    def build_extension(self, ext):
        build = pathlib.Path(self.build_temp).resolve() / "cmake"
        configure = [
            "cmake", "-S", str(ROOT), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
            f"-DPython_EXECUTABLE={sys.executable}", "-DZGEN_PYTHON=ON",
            "-DZGEN_BUILD_TESTS=OFF", "-DZGEN_BUILD_EXAMPLES=OFF", "-DZGEN_BUILD_BENCH=OFF",
            *shlex.split(os.environ.get("ZGEN_CMAKE_ARGS", "")),
        ]
        subprocess.check_call(configure)
        jobs = str(os.cpu_count() or 1)
        subprocess.check_call(["cmake", "--build", str(build), "--target", "_zgen", "-j", jobs])
        built = next((build / "python" / "zgen").glob("_zgen*.so"))
        destination = pathlib.Path(self.get_ext_fullpath(ext.name))
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(built, destination)


setup(
    name="zgen",
    version=project_version(),
    description="Compressors as generative models, models as compressors (Language Modeling Is Compression)",
    packages=["zgen"],
    package_data={"zgen": ["__init__.pyi", "py.typed"]},
    ext_modules=[Extension("zgen._zgen", sources=[])],
    cmdclass={"build_ext": CMakeBuild},
    install_requires=["numpy"],
    python_requires=">=3.8",
    zip_safe=False,
)
