"""`signoff teams package` writes a zip Teams takes: a manifest valid by Microsoft's published
Teams app manifest schema, and the two icons at the sizes Teams asks for."""

from __future__ import annotations

import json
import struct
import zipfile
from pathlib import Path

import pytest

from bot.cli import main
from tests.teams.schemas import manifest_validator

APP_ID = "6f1c0d2a-8a3e-4c3e-9a1b-5d2f0c7e9b11"


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_the_package_holds_a_valid_manifest_and_the_icons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.setenv("TEAMS_APP_ID", APP_ID)
    out = tmp_path / "signoff-teams.zip"
    assert main(["teams", "package", "--out", str(out), "--domain", "signoff.example.org"]) == 0
    assert "Upload new app" in capsys.readouterr().out
    with zipfile.ZipFile(out) as package:
        assert sorted(package.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(package.read("manifest.json"))
        assert png_size(package.read("color.png")) == (192, 192)
        assert png_size(package.read("outline.png")) == (32, 32)
    validator = manifest_validator()
    assert [e.message for e in validator.iter_errors(manifest)] == []
    assert manifest["bots"][0]["botId"] == APP_ID
    assert set(manifest["bots"][0]["scopes"]) == {"personal", "team"}
    assert manifest["permissions"] == ["identity", "messageTeamMembers"]
    assert manifest["validDomains"] == ["signoff.example.org"]
    broken = {**manifest, "bots": [{**manifest["bots"][0], "botId": "not-a-guid"}]}
    assert list(validator.iter_errors(broken))  # the schema does catch a wrong manifest


def test_the_package_needs_the_bots_app_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
):
    monkeypatch.delenv("TEAMS_APP_ID", raising=False)
    monkeypatch.chdir(tmp_path)
    assert main(["teams", "package", "--domain", "signoff.example.org"]) == 1
    assert "TEAMS_APP_ID is not set" in capsys.readouterr().err
