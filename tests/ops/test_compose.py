"""docker-compose.yml (and the developer override) against the compose specification's JSON schema, and its
instructions against what the settings refuse in production. No Docker engine runs here, so this is the check.

tests/ops/compose-spec.json is the compose-spec project's schema/compose-spec.json, vendored (no network at test
time).
"""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from src.entrypoints.settings import SettingsError, load_settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
OVERRIDE = ROOT / "docker-compose.override.yml"
SCHEMA = jsonschema.Draft7Validator(json.loads((Path(__file__).parent / "compose-spec.json").read_text()))
_INNERMOST = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?:(?P<op>:?[-?])(?P<arg>[^${}]*))?\}")


def interpolate(value: Any, env: dict[str, str]) -> Any:
    """Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?error}, nested defaults, $$."""
    if isinstance(value, dict):
        return {key: interpolate(item, env) for key, item in value.items()}
    if isinstance(value, list):
        return [interpolate(item, env) for item in value]
    if not isinstance(value, str):
        return value
    text = value.replace("$$", "\0")

    def one(match: re.Match[str]) -> str:
        name, op, arg = match["name"], match["op"], match["arg"] or ""
        present = env.get(name)
        if (op in (":-", ":?") and not present) or (op in ("-", "?") and present is None):
            if op.endswith("?"):
                raise LookupError(f"{name}: {arg}")
            return arg
        return present or ""

    while True:
        replaced = _INNERMOST.sub(one, text)
        if replaced == text:
            return replaced.replace("\0", "$")
        text = replaced


def _load(path: Path) -> dict[str, Any]:
    document: dict[str, Any] = yaml.safe_load(path.read_text())  # anchors and merge keys resolved
    return document


def _merged() -> dict[str, Any]:
    """The base file with the override merged in, as `docker compose` reads them (maps merge, lists append)."""

    def merge(base: Any, over: Any) -> Any:
        if isinstance(base, dict) and isinstance(over, dict):
            return {
                key: merge(base[key], over[key]) if key in base and key in over else over.get(key, base.get(key))
                for key in {**base, **over}
            }
        if isinstance(base, list) and isinstance(over, list):
            return [*base, *over]
        return over

    return merge(_load(COMPOSE), _load(OVERRIDE))  # type: ignore[no-any-return]


def _header() -> str:
    return "".join(line for line in COMPOSE.read_text().splitlines(keepends=True) if line.startswith("#"))


def _required_in_header() -> set[str]:
    match = re.search(r"Required in \.env: ([A-Z_ ]+)\n", _header())
    assert match, "the compose header names the variables .env must hold"
    return set(match.group(1).split())


@pytest.mark.parametrize("path", [COMPOSE, OVERRIDE], ids=lambda path: path.name)
def test_the_compose_files_are_valid_by_the_compose_specification(path: Path) -> None:
    SCHEMA.validate(_load(path))
    SCHEMA.validate(interpolate(_load(path), {}))  # with no .env at all


def test_what_the_services_refer_to_exists() -> None:
    merged = interpolate(_merged(), {})
    services, configs, volumes = merged["services"], merged.get("configs", {}), merged.get("volumes", {})

    for name, service in services.items():
        for dependency in service.get("depends_on", {}):
            assert dependency in services, f"{name} depends on unknown {dependency}"
        for config in service.get("configs", []):
            assert config["source"] in configs, f"{name} mounts unknown config {config['source']}"
        for mount in service.get("volumes", []):
            source = mount.split(":")[0]
            assert source.startswith("./") or source in volumes, f"{name} mounts unknown volume {source}"
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}, which is not in the repository"
    for config in configs.values():
        assert "content" in config or (ROOT / config["file"]).is_file()


def _app_environment(env: dict[str, str]) -> dict[str, str]:
    app = interpolate(_load(COMPOSE), env)["services"]["app"]["environment"]
    # a key with no value is passed through from the shell only when set there
    return {key: str(value) for key, value in app.items() if value is not None}


def test_the_header_names_exactly_the_secrets_production_refuses_to_start_without() -> None:
    required = _required_in_header()
    env = {name: secrets.token_hex(32) for name in required}

    load_settings(_app_environment(env), env_file=None).check_production_safety()  # these are enough
    for name in sorted(required):  # and each one is needed, with a message that names it
        without = {key: value for key, value in env.items() if key != name}
        with pytest.raises(SettingsError, match=name):
            load_settings(_app_environment(without), env_file=None).check_production_safety()


def test_the_header_one_liner_writes_the_required_variables() -> None:
    match = re.search(r"for v in ([A-Z_ ]+); do echo \"\$v=\$\(openssl rand -hex 32\)\"; done >> \.env", _header())

    assert match
    assert set(match.group(1).split()) == _required_in_header()


def test_postgres_and_redis_start_without_secrets_and_are_published_for_the_test_suite() -> None:
    services = interpolate(_merged(), {})["services"]  # interpolating every service: nothing is required

    assert "127.0.0.1:5432:5432" in services["postgres"]["ports"]
    assert "127.0.0.1:6379:6379" in services["redis"]["ports"]
    assert services["postgres"]["environment"]["POSTGRES_HOST_AUTH_METHOD"] == "trust"
    role = interpolate(_merged(), {})["configs"]["postgres-test-role"]["content"]
    assert "CREATE ROLE postgres" in role
    assert "$$ BEGIN" in role  # compose's $$ escape leaves PostgreSQL's dollar quote


def test_every_app_container_reads_the_one_vapid_key_that_migrate_makes() -> None:
    services = interpolate(_load(COMPOSE), {})["services"]
    key = services["app"]["environment"]["VAPID_PRIVATE_KEY"]
    app_roles = [name for name, service in services.items() if service.get("image", "").startswith("casino-club")]

    assert set(app_roles) >= {"migrate", "app", "worker", "payments-worker", "notifications-worker"}
    for name in app_roles:
        assert services[name]["environment"]["VAPID_PRIVATE_KEY"] == key
        assert any(
            mount.startswith("app-keys:") and key.startswith(mount.split(":")[1]) for mount in services[name]["volumes"]
        )
    assert "casino-club vapid-key" in " ".join(services["migrate"]["command"])
    for name in app_roles:
        if name != "migrate":
            assert services[name]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"


def test_monitoring_scrapes_the_app_with_the_metrics_token() -> None:
    document = interpolate(_load(COMPOSE), {"METRICS_TOKEN": "t0ken"})
    prometheus = document["services"]["prometheus"]
    scrape = yaml.safe_load((ROOT / "deploy/monitoring/prometheus.yml").read_text())["scrape_configs"][0]
    token_file = next(c["target"] for c in prometheus["configs"] if c["source"] == "metrics-token")

    assert prometheus["profiles"] == ["monitoring"]
    assert document["services"]["grafana"]["profiles"] == ["monitoring"]
    assert document["configs"]["metrics-token"]["content"] == "t0ken"
    assert scrape["authorization"]["credentials_file"] == token_file
    assert scrape["static_configs"][0]["targets"] == ["app:8000"]
    assert document["services"]["app"]["environment"]["METRICS_TOKEN"] == "t0ken"


def test_the_image_ships_runtime_dependencies_only_as_a_non_root_user() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime_lock = (ROOT / "requirements.runtime.lock").read_text()
    pins = dict(re.findall(r"^([a-z0-9_.\-]+)==(\S+)", (ROOT / "requirements.lock").read_text(), re.MULTILINE))

    assert "COPY requirements.runtime.lock" in dockerfile
    assert not re.search(r"(COPY|-r) requirements\.lock", dockerfile)
    for tool in ("pytest", "mypy", "ruff", "import-linter", "hypothesis", "jsonschema"):
        assert not re.search(rf"^{tool}==", runtime_lock, re.MULTILINE), tool
    for name, version in re.findall(r"^([a-z0-9_.\-]+)==(\S+)", runtime_lock, re.MULTILINE):
        assert pins.get(name) == version, f"{name}: the image and the dev environment pin different versions"
    assert re.search(r"^USER 10001:10001$", dockerfile, re.MULTILINE)
    assert "compileall" in dockerfile
    assert "HEALTHCHECK" in dockerfile
