"""Set-up on a fresh machine: README's second command installs what the tests need (`sh tests/setup.sh`), `.ci/run`
runs exactly README's commands, and a missing system package fails the tests that need it, saying what to install.

The script is run here against stand-ins for apt-get, dpkg-query, id and pip on PATH: nothing is installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from system import SETUP_COMMAND, SystemPackage, missing_message, require

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "tests" / "setup.sh"
PACKAGES = ["xvfb", "xauth", "chromium", "fonts-dejavu-core", "fonts-noto-cjk"]


def readme_commands() -> list[str]:
    """The two lines of README.md's first code block."""
    block = re.search(r"```\n(.*?)```", (ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    assert block is not None
    return block.group(1).strip().splitlines()


def test_readme_second_command_sets_up_then_tests() -> None:
    commands = readme_commands()
    assert len(commands) == 2
    assert commands[1] == f"{SETUP_COMMAND} && pytest"


def test_ci_runs_exactly_readme_commands_and_installs_nothing_itself() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    lines = [line.strip() for line in ci.splitlines()]
    for command in readme_commands():
        assert command in lines, f"{command!r} is not a line of .ci/run"
    assert "apt-get" not in ci  # the set-up script installs the system packages; CI does not do it twice


def stub(folder: Path, name: str, body: str) -> None:
    path = folder / name
    path.write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
    path.chmod(0o755)


def run_setup(tmp_path: Path, installed: list[str], uid: int) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """Run tests/setup.sh with stand-ins that log their arguments (and working folder) to one file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "calls.log"
    record = f'echo "$(basename "$0") $* [in $PWD]" >> {log}'
    known = " ".join(installed)
    stub(
        bin_dir,
        "dpkg-query",
        f'for p in {known}; do [ "$p" = "$3" ] && echo "install ok installed" && exit 0; done\nexit 1',
    )
    stub(bin_dir, "id", f"echo {uid}")
    stub(bin_dir, "apt-get", record)
    stub(bin_dir, "pip", record)
    # no sudo: a directory of its own on PATH holds only the stand-ins and the few tools the script uses
    for tool in ("sh", "grep", "dirname", "basename", "env"):
        (bin_dir / tool).symlink_to(next(Path(d) / tool for d in ("/usr/bin", "/bin") if (Path(d) / tool).exists()))
    result = subprocess.run(
        ["sh", str(SCRIPT)], env={"PATH": str(bin_dir)}, cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    calls = log.read_text(encoding="utf-8").splitlines() if log.exists() else []
    return result, calls


def test_setup_with_everything_installed_only_runs_pip(tmp_path: Path) -> None:
    result, calls = run_setup(tmp_path, PACKAGES, uid=0)
    assert result.returncode == 0, result.stderr
    assert (result.stdout, result.stderr) == ("", "")
    assert calls == [f"pip install -q -e .[test] [in {ROOT}]"]


def test_setup_as_root_installs_only_missing_packages(tmp_path: Path) -> None:
    result, calls = run_setup(tmp_path, ["xauth", "fonts-dejavu-core"], uid=0)
    assert result.returncode == 0, result.stderr
    assert result.stderr == "tests/setup.sh: installing xvfb chromium fonts-noto-cjk\n"
    assert calls == [
        f"apt-get update -qq [in {ROOT}]",
        f"apt-get install -y -qq --no-install-recommends xvfb chromium fonts-noto-cjk [in {ROOT}]",
        f"pip install -q -e .[test] [in {ROOT}]",
    ]


def test_setup_without_root_or_sudo_says_what_to_install(tmp_path: Path) -> None:
    result, calls = run_setup(tmp_path, ["xvfb", "xauth"], uid=1000)
    assert result.returncode == 0, result.stderr
    missing = "chromium fonts-dejavu-core fonts-noto-cjk"
    assert f"cannot install the system packages the browser, window and font tests need: {missing}" in result.stderr
    assert f"apt-get install {missing}" in result.stderr
    assert calls == [f"pip install -q -e .[test] [in {ROOT}]"]  # the Python extra is still installed


def test_require_fails_naming_the_package_and_the_setup_command(tmp_path: Path) -> None:
    absent = SystemPackage("chromium", str(tmp_path / "no-chromium"), "plays videos")
    present = SystemPackage("xvfb", str(SCRIPT), "a display")
    require(present)  # nothing missing: no failure
    with pytest.raises(pytest.fail.Exception) as failure:
        require(present, absent)
    assert str(failure.value) == missing_message([absent])
    assert str(failure.value) == (
        f"{tmp_path / 'no-chromium'} is missing (plays videos): Debian package chromium\n"
        "install with: sh tests/setup.sh  (or: apt-get install chromium)"
    )


BROWSER_TEST = """
import pytest
import browser as browser_module
from browser import browser_for, chromium
from system import SystemPackage

browser_module.CHROMIUM = SystemPackage("chromium", {absent!r}, "plays videos and the gallery in a real browser")


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def test_plays(browser):
    browser_for(browser).new_page()
"""


def test_a_missing_browser_is_a_test_failure_not_a_setup_error(tmp_path: Path) -> None:
    """The browser fixture as test_video.py and test_gallery.py write it, with Chromium absent, in its own pytest."""
    (tmp_path / "test_inner.py").write_text(BROWSER_TEST.format(absent=str(tmp_path / "no-chromium")), "utf-8")
    (tmp_path / "pytest.ini").write_text("[pytest]\n", encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "tests"), str(ROOT)])}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-c", str(tmp_path / "pytest.ini"), "test_inner.py"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert re.search(r"=+ 1 failed in ", result.stdout), result.stdout
    assert "error" not in result.stdout.splitlines()[-1]
    assert "no-chromium is missing" in result.stdout and "Debian package chromium" in result.stdout
    assert "install with: sh tests/setup.sh" in result.stdout
