"""The wheel: a non-editable install (`pip install .`, a wheel) holds every package and what the app reads at run time.

An editable install (what `make` does) imports from the checkout, so a package without `__init__.py` works here, while
in a wheel it is left out or (setuptools' default for pyproject) an implicit namespace package, as dispatch/service
was. The wheel is built from a copy of the sources without build isolation (offline: the venv's setuptools),
unpacked, and imported in a separate interpreter that cannot reach the checkout.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("servicecenter", "inventory", "dispatch", "support", "portal", "coordination", "knowledge", "api",
            "fhirapi", "webhooks")
DATA = ("**/templates/**/*.html", "**/static/**/*", "**/translations/*/LC_MESSAGES/*.mo")  # pyproject's package-data

# argv: the unpacked wheel, the dependencies' directories (os.pathsep), the packages to import.
WHEEL_ONLY = """
import os, sys
site, libraries = sys.argv[1], sys.argv[2].split(os.pathsep)
sys.path[:0] = [site]
sys.path += libraries
"""
IMPORT_ALL = WHEEL_ONLY + """
import importlib
names = sys.argv[3:]
for name in names:
    module = importlib.import_module(name)
    # Without __init__.py a directory is a namespace package: no __file__, and any other such directory merges in.
    assert module.__file__ is not None, f"{name} has no __init__.py"
    assert module.__file__.startswith(site), f"{name} came from {module.__file__}, not from the wheel"
from servicecenter import create_app
app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": "wheel-test"})
print("imported", len(names), "packages; app", app.name, "from", sys.modules["servicecenter"].__file__)
"""


def dependencies() -> str:
    """Where the installed libraries are (the venv's site-packages), read without its .pth files."""
    return os.pathsep.join(sorted({sysconfig.get_paths()[key] for key in ("purelib", "platlib")}))


def source_packages() -> list[str]:
    """Every directory of the project's packages that holds Python files, as a dotted name."""
    found = {p.parent.relative_to(ROOT) for top in PACKAGES for p in (ROOT / top).rglob("*.py")
             if "__pycache__" not in p.parts}
    return sorted(".".join(path.parts) for path in found)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> tuple[Path, Path]:
    """Build the wheel from a copy of the sources (the build writes build/ and *.egg-info beside them) and unpack it."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "src"
    source.mkdir()
    shutil.copy(ROOT / "pyproject.toml", source)
    for top in PACKAGES:
        shutil.copytree(ROOT / top, source / top, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
                            "--no-index", "--wheel-dir", str(work / "dist"), str(source)],
                           capture_output=True, text=True, cwd=work)
    assert built.returncode == 0, built.stdout + built.stderr
    [path] = (work / "dist").glob("servicecenter-*.whl")
    site = work / "site"
    with zipfile.ZipFile(path) as archive:
        archive.extractall(site)
    return path, site


def test_every_package_imports_from_the_wheel_alone(wheel, tmp_path):
    """In an interpreter that sees the unpacked wheel and the installed dependencies, not the checkout (-I: no
    PYTHONPATH or current directory; -S and no .pth files: no editable install)."""
    _path, site = wheel
    names = source_packages()
    assert {"dispatch.service", "support.service", "servicecenter.citizens"} <= set(names)
    ran = subprocess.run([sys.executable, "-I", "-S", "-c", IMPORT_ALL, str(site), dependencies(), *names],
                         capture_output=True, text=True, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert f"imported {len(names)} packages" in ran.stdout and str(site) in ran.stdout


def test_the_wheel_holds_the_templates_static_files_and_translations_of_the_packages(wheel):
    path, _site = wheel
    with zipfile.ZipFile(path) as archive:
        held = set(archive.namelist())
    wanted = {str(p.relative_to(ROOT)) for top in PACKAGES for pattern in DATA for p in (ROOT / top).glob(pattern)
              if p.is_file()}
    assert {"servicecenter/translations/da/LC_MESSAGES/messages.mo", "servicecenter/static/app.js",
            "servicecenter/citizens/templates/citizens/form.html"} <= wanted
    assert wanted - held == set()


@pytest.mark.xfail(strict=True, reason="templates/ (base layout, error pages) and migrations/ sit beside the "
                                       "packages, outside the wheel; the app finds them from the checkout's root")
def test_the_app_from_the_wheel_serves_a_page_and_migrates(wheel, tmp_path):
    _path, site = wheel
    code = WHEEL_ONLY + f"""
from servicecenter import create_app
from servicecenter.seed import prepare_database
url = "sqlite:///{tmp_path / 'wheel.db'}"
prepare_database(url)
assert create_app({{"DATABASE_URL": url, "SECRET_KEY": "x"}}).test_client().get("/login").status_code == 200
"""
    ran = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(site), dependencies()], capture_output=True,
                         text=True, cwd=tmp_path)
    assert ran.returncode == 0, ran.stderr[-2000:]
