"""The package as users install it: the sdist and the wheel built from it hold every data
file under src/csoapi, and the wheel, installed in a fresh virtualenv outside the tree, can
migrate a database, import a shipped sample and serve.

The build runs without isolation (the dev extra brings ``build`` and a new enough
setuptools), so it needs no network; the fresh virtualenv borrows the dev virtualenv's
dependencies through a ``.pth`` line (a plain path: the editable install's own hook in that
directory is not run), so ``csoapi`` itself can come only from the wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import zipfile
from pathlib import Path

import pytest

from tests.servers import free_port, wait_until_serving

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "csoapi"
# What a build needs of the tree; the rest (environments, tools, caches, git) stays behind.
_NOT_BUILT = shutil.ignore_patterns(
    ".venv", "tools", ".git", "*.egg-info", "__pycache__", ".hypothesis", ".pytest_cache",
    ".ruff_cache", "build", "dist", "*.db", ".csoapi-dev-secret",
)  # fmt: skip


def _data_files() -> set[str]:
    """Every file under src/csoapi that is not Python source or a cache, as csoapi/…"""
    out = set()
    for path in PACKAGE.rglob("*"):
        source = path.suffix in (".py", ".pyc") or "__pycache__" in path.parts
        if path.is_file() and not source:
            out.add(path.relative_to(PACKAGE.parent).as_posix())
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("dist")
    # Built from a copy of the tree, in the copy: a build writes its egg-info, build/ and
    # release tree where it runs, and the tree is in use by the rest of the suite meanwhile.
    tree = tmp_path_factory.mktemp("tree") / "csoapi"
    shutil.copytree(ROOT, tree, ignore=_NOT_BUILT)
    run = subprocess.run(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(tree)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tree,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    (wheel,) = out.glob("csoapi-*.whl")
    (sdist,) = out.glob("csoapi-*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_the_tree_ships_data_files():
    # The mappings at least; a feature that adds schedules or samples is covered the same way.
    data = _data_files()
    assert "csoapi/calls/mappings/san_diego.json" in data
    assert "csoapi/samples/san_diego_calltypes.csv" in data


def test_the_wheel_and_the_sdist_hold_every_data_file(built):
    with zipfile.ZipFile(built["wheel"]) as wheel:
        in_wheel = set(wheel.namelist())
    missing = sorted(_data_files() - in_wheel)
    assert not missing, f"data files left out of the wheel: {missing}"
    with tarfile.open(built["sdist"]) as sdist:
        in_sdist = {name.split("/", 1)[1] for name in sdist.getnames() if "/" in name}
    missing = sorted(f"src/{f}" for f in _data_files() if f"src/{f}" not in in_sdist)
    assert not missing, f"data files left out of the sdist: {missing}"


@pytest.fixture(scope="module")
def installed(built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120
    )
    fresh_python = venv / "bin" / "python"
    purelib = subprocess.run(  # noqa: S603
        [str(fresh_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(purelib, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run = subprocess.run(  # noqa: S603
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(fresh_python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(built["wheel"]),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]
    return venv


def _env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CSOAPI_", "PYTHON"))}
    env.update(
        CSOAPI_DATABASE_URL=f"sqlite:///{tmp / 'fresh.db'}",
        CSOAPI_ENV="test",
        CSOAPI_JWT_SECRET="packaging-test-" + "s" * 40,
        # Migrations sit beside the package, as in the image (Dockerfile).
        CSOAPI_ALEMBIC_INI=str(ROOT / "alembic.ini"),
    )
    return env


def test_the_installed_wheel_migrates_imports_a_sample_and_serves(installed, tmp_path):
    cli = str(installed / "bin" / "csoapi")
    env = _env(tmp_path)

    def csoapi(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(  # noqa: S603
            [cli, *args], capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120
        )

    where = subprocess.run(  # noqa: S603
        [str(installed / "bin" / "python"), "-c", "import csoapi; print(csoapi.__file__)"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    assert str(installed) in where.stdout, f"csoapi not imported from the wheel: {where}"
    assert (r := csoapi("migrate")).returncode == 0, r.stderr[-2000:]
    sample = Path(
        subprocess.run(  # noqa: S603
            [
                str(installed / "bin" / "python"),
                "-c",
                "import csoapi.samples as s;print(s.__path__[0])",
            ],
            capture_output=True,
            text=True,
            env=env,
            cwd=tmp_path,
        ).stdout.strip()
    )
    r = csoapi("import", "call-types", str(sample / "san_diego_calltypes.csv"))
    assert r.returncode == 0, r.stderr[-2000:]
    assert '"stored": 2' in r.stdout  # 288 codes, stored in the hundreds
    r = csoapi("import", "calls", str(sample / "san_diego_calls_2023-01-01.csv"))
    assert r.returncode == 0, r.stderr[-2000:]

    port = free_port()
    server = subprocess.Popen(  # noqa: S603
        [cli, "serve", "--port", str(port)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        status = wait_until_serving(port, server)
        assert status == 200, server.stderr.read() if server.poll() is not None else "no answer"
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_the_image_names_its_port_once(monkeypatch):
    """The Dockerfile's CMD and HEALTHCHECK both follow CSOAPI_PORT (no literal port in
    either), and ``csoapi serve`` reads it."""
    from typer.testing import CliRunner

    import csoapi.cli as cli
    from csoapi.core.config import get_settings

    text = (ROOT / "Dockerfile").read_text()
    cmd = next(line for line in text.splitlines() if line.startswith("CMD "))
    health = text.split("HEALTHCHECK", 1)[1].split("\n#", 1)[0]
    assert "CSOAPI_PORT=8000" in text and "--port" not in cmd
    assert "os.environ.get('CSOAPI_PORT'" in health and ":8000/" not in health
    seen = {}
    monkeypatch.setattr("uvicorn.run", lambda *a, **kw: seen.update(kw))
    monkeypatch.setenv("CSOAPI_PORT", "8123")
    monkeypatch.setenv("CSOAPI_ENV", "test")
    monkeypatch.setenv("CSOAPI_JWT_SECRET", "packaging-test-" + "s" * 40)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["serve"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert seen["port"] == 8123
