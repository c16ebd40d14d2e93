"""docker-compose.yml runs the Procfile's processes, after migrations, with one shared environment."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROCESSES = ("web", "worker", "scheduler", "bot", "dashboard")


def _procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def _command(service: dict) -> str:
    shell, flag, command = service["command"]
    assert (shell, flag) == ("sh", "-c")
    # Compose needs $$ for a literal $ that the container's shell expands.
    return command.replace("$$", "$")


def test_procfile_has_every_process_of_the_design():
    assert set(_procfile()) == {"release", *PROCESSES}
    # Migrations, then Telegram's webhook set (WEBHOOK_URL) or deleted (long polling).
    assert _procfile()["release"] == "flask --app wsgi db upgrade && python -m telebot_app.webhook"


def test_compose_runs_the_procfile_commands():
    services = _compose()["services"]
    procfile = _procfile()
    for name in PROCESSES:
        assert _command(services[name]) == procfile[name], name
    assert _command(services["migrate"]) == procfile["release"]


def test_everything_waits_for_migrations_which_wait_for_healthy_stores():
    services = _compose()["services"]
    for name in PROCESSES:
        assert services[name]["depends_on"] == {"migrate": {"condition": "service_completed_successfully"}}, (
            name
        )
    assert services["migrate"]["depends_on"] == {
        "postgres": {"condition": "service_healthy"},
        "redis": {"condition": "service_healthy"},
    }
    assert services["migrate"]["restart"] == "no"
    for store in ("postgres", "redis"):
        assert "healthcheck" in services[store]
        assert services[store]["volumes"]


def test_one_shared_environment():
    services = _compose()["services"]
    for name in ("migrate", *PROCESSES):
        service = services[name]
        assert service["env_file"] == ".env"
        assert service["environment"]["DATABASE_URL"].startswith("postgresql://")
        assert service["environment"]["REDIS_URL"] == "redis://redis:6379/0"


def test_worker_scales_and_dashboard_is_not_public():
    services = _compose()["services"]
    assert "ports" not in services["worker"] and "container_name" not in services["worker"]
    assert all(port.startswith("127.0.0.1:") for port in services["dashboard"]["ports"])


def test_dockerfile_runs_as_a_user_with_dependencies_in_their_own_layer():
    lines = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
    copy_requirements = lines.index("COPY requirements.txt .")
    assert lines[copy_requirements + 1] == "RUN pip install -r requirements.txt"
    assert lines.index("COPY . .") > copy_requirements + 1
    assert any(line.startswith("USER ") and line != "USER root" for line in lines)


def test_every_variable_is_in_env_example():
    from webapi.settings import Settings

    documented = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if "=" in line and not line.startswith("#")
    }
    expected = {field.upper() for field in Settings.__dataclass_fields__}
    assert expected <= documented


def test_the_worker_reports_its_liveness_from_its_heartbeat():
    check = _compose()["services"]["worker"]["healthcheck"]
    assert check["test"] == ["CMD", "python", "-m", "workers.health"]
    assert check["retries"] >= 1 and check["start_period"]


def test_the_files_say_how_to_run_without_the_bot_in_webhook_mode():
    procfile_notes = [line for line in (ROOT / "Procfile").read_text().splitlines() if line.startswith("#")]
    assert any("WEBHOOK_URL" in line and "scale bot to 0" in line for line in procfile_notes)
    # A note, not a process: honcho and the local runner read only "name: command" lines.
    assert all(":" not in line for line in procfile_notes)
    compose = (ROOT / "docker-compose.yml").read_text()
    assert "WEBHOOK_URL" in compose and "--scale bot=0" in compose
    assert _compose()["services"]["web"]["ports"] == ["8000:8000"]


def test_error_tracking_is_a_pinned_dependency():
    pins = (ROOT / "requirements.txt").read_text().splitlines()
    assert any(line.startswith("sentry-sdk==") for line in pins)
    assert "sentry-sdk" in (ROOT / "requirements.in").read_text().splitlines()


def test_make_run_leaves_the_bot_out_in_webhook_mode():
    from webapi.local.stack import procfile_processes

    assert procfile_processes() == list(PROCESSES)
    assert procfile_processes(webhook=True) == [name for name in PROCESSES if name != "bot"]
