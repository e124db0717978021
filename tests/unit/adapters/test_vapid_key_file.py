"""`casino-club vapid-key`: a VAPID_PRIVATE_KEY that names a file is generated there once, never overwritten."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from click.testing import CliRunner

from src.adapters.webpush.vapid import configured_keys, key_file
from src.entrypoints.cli.main import cli


def test_racing_first_runs_end_with_one_key(tmp_path: Path) -> None:
    path = tmp_path / "keys" / "vapid.pem"

    with ThreadPoolExecutor(8) as pool:
        keys = list(pool.map(lambda _: key_file(path).private_pem, range(16)))

    assert len(set(keys)) == 1
    assert path.read_bytes() == keys[0]
    assert path.stat().st_mode & 0o777 == 0o600
    assert sorted(p.name for p in path.parent.iterdir()) == ["vapid.pem"]  # no temporary left behind


def test_a_configured_path_that_does_not_exist_says_how_to_make_it(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="casino-club vapid-key"):
        configured_keys(str(tmp_path / "missing.pem"))


def test_the_command_makes_the_key_the_app_then_reads(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "vapid.pem"
    monkeypatch.setenv("VAPID_PRIVATE_KEY", str(path))
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))

    first = CliRunner().invoke(cli, ["vapid-key"])
    second = CliRunner().invoke(cli, ["vapid-key"])

    assert first.exit_code == 0, first.output
    assert first.output == second.output  # the same key: created once, then read
    assert first.output.strip() == configured_keys(str(path)).application_server_key
