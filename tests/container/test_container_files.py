"""What can be checked of the image and compose.yaml without a Docker engine (tests/container/check
builds and starts them where one runs): the Dockerfile is multi-stage, copies what exists, runs
as a non-root user with a health check; compose.yaml names its services, their order and their
health checks. (The image's health check, `python -m bot.probe`, is tested against a running
signoff in tests/e2e/test_observability.py.)"""

from __future__ import annotations

import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def stages() -> list[list[tuple[str, str]]]:
    """The Dockerfile's stages, each a list of (instruction, arguments), continuations joined."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    found: list[list[tuple[str, str]]] = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        instruction, _, rest = line.partition(" ")
        if instruction.upper() == "FROM":
            found.append([])
        if found:
            found[-1].append((instruction.upper(), " ".join(rest.split())))
    return found


def test_the_image_is_built_in_one_stage_and_run_from_another_as_a_user():
    build, run = stages()
    assert build[0][1].endswith("AS build") and run[0][1].endswith("AS run")
    assert ("COPY", "--from=build /opt/signoff /opt/signoff") in run
    users = [args for instruction, args in run if instruction == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    assert any(i == "HEALTHCHECK" and "bot.probe" in args for i, args in run)
    assert ("ENTRYPOINT", '["signoff"]') in run
    assert any(i == "CMD" and '"serve"' in args and '"0.0.0.0"' in args for i, args in run)
    # Every source the build copies is in the repository, and nothing the image needs is
    # left out by .dockerignore.
    ignored = (ROOT / ".dockerignore").read_text().split()
    for instruction, args in build:
        if instruction == "COPY" and not args.startswith("--from"):
            for source in args.split()[:-1]:
                assert (ROOT / source).exists(), source
                assert source not in ignored, source
    assert {".git", ".venv", "tests"} <= set(ignored)


def test_the_image_keeps_its_compiled_bytecode():
    # It runs with PYTHONDONTWRITEBYTECODE as a user who cannot write to /opt/signoff: without
    # bytecode built in, every command and health probe compiles everything from source again.
    build, run = stages()
    runs = " && ".join(args for instruction, args in build if instruction == "RUN")
    assert "compileall" in runs and "/opt/signoff/lib" in runs
    assert "__pycache__" not in runs
    assert ("COPY", "--from=build /opt/signoff /opt/signoff") in run


def test_compose_migrates_once_then_serves_and_has_a_socket_mode_profile():
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text())
    services = compose["services"]
    assert set(services) == {"db", "migrate", "web", "socket"}
    assert "pg_isready" in " ".join(services["db"]["healthcheck"]["test"])
    assert services["migrate"]["command"] == ["db", "upgrade"]
    assert services["migrate"]["restart"] == "no"
    for name in ("web", "socket"):
        service = services[name]
        assert service["depends_on"] == {
            "db": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }
        assert service["healthcheck"]["test"] == ["CMD", "python", "-m", "bot.probe"]
        assert service["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
    assert services["web"]["command"][0] == "serve" and "profiles" not in services["web"]
    assert services["web"]["ports"] == ["${SIGNOFF_WEB_PORT:-3000}:3000"]
    assert services["socket"]["command"][0] == "run"
    assert services["socket"]["profiles"] == ["socket"]
    assert services["socket"]["environment"]["SIGNOFF_HEALTH_PORT"] == "3001"
    assert "SIGNOFF_HEALTH_PORT" not in services["web"]["environment"]


def test_the_check_script_skips_clearly_where_docker_cannot_run(tmp_path):
    # A PATH with no docker on it: the script must say that it skipped, and why.
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "python3", "tail"):
        found = subprocess.run(["which", tool], capture_output=True, text=True).stdout.strip()
        (bin_dir / tool).symlink_to(found)
    result = subprocess.run(
        [str(ROOT / "tests/container/check")],
        env={"PATH": str(bin_dir)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert result.stdout.strip() == "container check SKIPPED: no docker client on this machine"
