"""`make run`'s data directory: ./var by default, elsewhere with RASSYLKA_VAR or `--var DIR`."""

from dotenv import dotenv_values

from webapi.local import stack as local
from webapi.settings import ROOT, load_settings, local_env_file, var_dir


def test_the_default_is_var_in_the_repository(tmp_path):
    assert var_dir({}) == ROOT / "var"
    assert local_env_file({}) == ROOT / "var" / "local.env"
    assert var_dir({"RASSYLKA_VAR": str(tmp_path / "data")}) == tmp_path / "data"
    assert local_env_file({"RASSYLKA_VAR": str(tmp_path)}) == tmp_path / "local.env"


def test_settings_read_local_env_from_the_chosen_directory(tmp_path, monkeypatch):
    (tmp_path / "local.env").write_text("ADMIN_KEY=from_the_chosen_var\n")
    monkeypatch.delenv("ADMIN_KEY", raising=False)
    monkeypatch.setenv("RASSYLKA_VAR", str(tmp_path))
    assert load_settings().admin_key == "from_the_chosen_var"


def test_the_runner_keeps_its_secrets_in_the_chosen_directory(tmp_path, monkeypatch):
    for name in (*local.GENERATED, "RASSYLKA_VAR"):
        monkeypatch.delenv(name, raising=False)
    var = tmp_path / "var"
    env = local.local_environment(var)
    stored = dotenv_values(var / "local.env")
    assert env["RASSYLKA_VAR"] == str(var)
    assert {name: env[name] for name in local.GENERATED} == {name: stored[name] for name in local.GENERATED}
    assert local.local_environment(var)["ADMIN_KEY"] == env["ADMIN_KEY"]  # generated once, then reused
    lines = "\n".join(local.banner(env, 8000, "http://127.0.0.1:8081", var))
    assert f"data stays in {var} for the next run" in lines
    assert f"(kept in {var}/local.env)" in lines
    assert "data stays in ./var" in "\n".join(local.banner(env, 8000, "http://127.0.0.1:8081", ROOT / "var"))
