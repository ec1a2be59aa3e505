"""Apps import each other in one direction only (contracts in pyproject.toml)."""

import subprocess

from tests.servers import ROOT, VENV_BIN


def test_import_contracts_are_kept() -> None:
    result = subprocess.run(
        [str(VENV_BIN / "lint-imports"), "--no-cache"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout
