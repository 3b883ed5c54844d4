"""Files that hold secrets or personal data: a warning for a config file
others can read, and private files from the moment they exist."""

from __future__ import annotations

import os
import stat
import warnings
from pathlib import Path

import pytest

import ileti
from ileti.settings import ExposedSecretsWarning, forget_plain_http_warnings, private_file

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permission bits")


def _config(tmp_path: Path, body: str, mode: int) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    path.chmod(mode)
    return path


def _from_env(path: Path) -> list[warnings.WarningMessage]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ileti.Client.from_env("testprov", env={}, config_file=path)
    return [w for w in caught if issubclass(w.category, ExposedSecretsWarning)]


def test_a_readable_config_file_with_a_secret_warns_once_naming_file_and_fix(
    tmp_path: Path,
) -> None:
    forget_plain_http_warnings()
    path = _config(tmp_path, '[providers.testprov]\napi_key = "Qx-file-key"\n', 0o640)
    first = _from_env(path)
    assert len(first) == 1
    text = str(first[0].message)
    assert str(path) in text
    assert f"chmod 600 {path}" in text
    assert "api_key" in text
    assert "0640" in text
    assert "Qx-file-key" not in text
    assert _from_env(path) == []  # once per file


def test_no_warning_for_a_private_file_or_one_without_secrets(tmp_path: Path) -> None:
    forget_plain_http_warnings()
    private = _config(tmp_path, '[providers.testprov]\napi_key = "k"\n', 0o600)
    assert _from_env(private) == []
    public = tmp_path / "public.toml"
    public.write_text('[providers.testprov]\nbase_url = "http://127.0.0.1:9"\n')
    public.chmod(0o644)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        ileti.Client.from_env("testprov", env={}, config_file=public, api_key="from-argument")
    assert not [w for w in caught if issubclass(w.category, ExposedSecretsWarning)]


def test_private_file_creates_0600_and_tightens_what_exists(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        made = private_file(tmp_path / "new" / "store.db")
    finally:
        os.umask(old)
    assert stat.S_IMODE(made.stat().st_mode) == 0o600
    assert stat.S_IMODE(made.parent.stat().st_mode) == 0o700
    existing = tmp_path / "old.db"
    existing.write_bytes(b"data")
    existing.chmod(0o664)
    private_file(existing)
    assert stat.S_IMODE(existing.stat().st_mode) == 0o600
    assert existing.read_bytes() == b"data"
