"""The wheel as pip installs it: the program beside the package, `python -m miauth_cli`, and
the tests themselves running against the installed package, not the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

import miauth_cli

SOURCE = Path(__file__).resolve().parents[1] / "miauth_cli"


def test_the_tests_run_against_the_installed_package():
    installed = Path(miauth_cli.__file__).resolve().parent

    assert installed != SOURCE
    assert Path(sysconfig.get_path("purelib")).resolve() in installed.parents


def test_the_wheel_installs_the_program_in_the_environments_scripts_folder():
    found = Path(miauth_cli.find_miauth_bin())

    assert found.parent == Path(sysconfig.get_path("scripts"))
    assert found.name.startswith("miauth")
    assert os.access(found, os.X_OK)
    assert (Path(miauth_cli.__file__).parent / "py.typed").exists()


def run_module(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "miauth_cli", *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=60,
        **kwargs,
    )


def test_python_dash_m_is_the_program_itself():
    program = subprocess.run(
        [miauth_cli.find_miauth_bin(), "--version"], capture_output=True, text=True, check=True
    )

    module = run_module("--version")

    assert module.returncode == 0
    assert module.stdout == program.stdout
    assert module.stdout.startswith("miauth ")


def test_python_dash_m_passes_the_exit_code_and_stderr_through():
    result = run_module("token", "--no-login", "http://127.0.0.1:1")

    assert result.returncode == 6
    assert result.stdout == ""
    assert result.stderr.startswith("miauth: error: not logged in")


def test_python_dash_m_without_the_program_says_so_in_one_line(tmp_path):
    env = dict(os.environ, MIAUTH_BINARY=str(tmp_path / "gone"))

    result = run_module("--version", env=env)

    assert result.returncode == 127
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("miauth: error: MIAUTH_BINARY")


@pytest.mark.skipif(not os.environ.get("MIAUTH_WHEEL"), reason="MIAUTH_WHEEL names no wheel")
def test_a_target_install_finds_the_program_in_its_own_bin_folder(tmp_path):
    target = tmp_path / "target"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-index",
            "--no-deps",
            "--disable-pip-version-check",
            "--target",
            str(target),
            os.environ["MIAUTH_WHEEL"],
        ],
        check=True,
        timeout=300,
    )
    env = dict(os.environ, PYTHONPATH=str(target), PATH="/nonexistent")
    env.pop("MIAUTH_BINARY", None)

    found = subprocess.run(
        [sys.executable, "-c", "import miauth_cli; print(miauth_cli.find_miauth_bin())"],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=True,
        timeout=60,
    )

    assert Path(found.stdout.strip()) == target / "bin" / "miauth"


def test_importing_the_package_leaves_asyncio_for_the_asyncio_api():
    code = (
        "import sys, miauth_cli\n"
        "assert 'asyncio' not in sys.modules, 'asyncio imported'\n"
        "assert callable(miauth_cli.alogin) and callable(miauth_cli.aget_token)\n"
        "assert callable(miauth_cli.alogout) and callable(miauth_cli.arevoke)\n"
        "from miauth_cli import aget_token\n"
        "assert 'asyncio' in sys.modules\n"
    )

    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


def test_python_dash_m_with_a_program_that_cannot_run_says_so_in_one_line(tmp_path):
    not_a_program = tmp_path / "miauth"
    not_a_program.write_text("not a program")
    env = dict(os.environ, MIAUTH_BINARY=str(not_a_program))

    result = run_module("--version", env=env)

    assert result.returncode == 126
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"miauth: error: cannot run {not_a_program}")
