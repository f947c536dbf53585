from __future__ import annotations

from pathlib import Path

import pytest

from authtuna_grpc.cli import _parser
from authtuna_grpc.config import Settings
from authtuna_grpc.settings_sources import InvalidSettings, load_settings
from authtuna_grpc.settings_reference import flag_name, is_secret, with_table

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _no_settings_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:
        monkeypatch.delenv(f"AUTHTUNA_{name.upper()}", raising=False)


def test_flags_beat_environment_beats_file_beats_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "authtuna.toml"
    file.write_text('listen = "10.0.0.1:1"\nworkers = 3\nlog_format = "text"\n')
    monkeypatch.setenv("AUTHTUNA_WORKERS", "2")
    monkeypatch.setenv("AUTHTUNA_LOG_FORMAT", "json")
    settings = load_settings({"log_format": "text"}, file)
    assert settings.listen == "10.0.0.1:1"  # file
    assert settings.workers == 2  # environment over file
    assert settings.log_format == "text"  # flag over environment
    assert settings.db_pool_size == Settings.model_fields["db_pool_size"].default


def test_an_env_file_is_read_with_the_variable_names(tmp_path: Path) -> None:
    file = tmp_path / "authtuna.env"
    file.write_text("# production\nAUTHTUNA_METRICS_LISTEN=0.0.0.0:9464\nAUTHTUNA_BOOTSTRAP_TOKEN='atk_x'\n")
    settings = load_settings({}, file)
    assert settings.metrics_listen == "0.0.0.0:9464"
    assert settings.bootstrap_token is not None
    assert settings.bootstrap_token.get_secret_value() == "atk_x"


def test_a_bad_value_is_reported_with_its_name_and_where_it_came_from(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    file = tmp_path / "prod.toml"
    file.write_text("max_message_bytes = 10\n")
    monkeypatch.setenv("AUTHTUNA_LOG_FORMAT", "xml")
    with pytest.raises(InvalidSettings) as raised:
        load_settings({"listen": "nowhere"}, file)
    problems = "\n".join(raised.value.problems)
    assert "--listen (AUTHTUNA_LISTEN): must be host:port" in problems
    assert "invalid setting AUTHTUNA_LOG_FORMAT:" in problems
    assert f"max_message_bytes in {file} (AUTHTUNA_MAX_MESSAGE_BYTES)" in problems


def test_unknown_names_in_a_settings_file_are_errors(tmp_path: Path) -> None:
    toml = tmp_path / "a.toml"
    toml.write_text("lisen = '1.2.3.4:5'\n")
    env = tmp_path / "a.env"
    env.write_text("AUTHTUNA_LISEN=1.2.3.4:5\n")
    for file, name in ((toml, "lisen in"), (env, "AUTHTUNA_LISEN in")):
        with pytest.raises(InvalidSettings) as raised:
            load_settings({}, file)
        assert name in raised.value.problems[0]


def test_an_unreadable_settings_file_is_reported(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text("listen = \n")
    for file in (tmp_path / "missing.toml", broken):
        with pytest.raises(InvalidSettings) as raised:
            load_settings({}, file)
        assert f"cannot read settings file {file}" in raised.value.problems[0]


def test_several_workers_need_a_fixed_port() -> None:
    with pytest.raises(InvalidSettings) as raised:
        load_settings({"workers": "2", "listen": "127.0.0.1:0"})
    assert "--workers (AUTHTUNA_WORKERS): more than one worker needs a fixed port" in raised.value.problems[0]


def test_every_setting_but_secrets_is_a_flag_of_every_command() -> None:
    parser = _parser()
    for command in ("serve", "migrate", "health"):
        help_text = parser._subparsers._group_actions[0].choices[command].format_help()  # type: ignore[union-attr]
        for name, field in Settings.model_fields.items():
            variable = f"AUTHTUNA_{name.upper()}"
            assert variable in help_text, (command, name)
            assert (flag_name(name) in help_text) != is_secret(field), (command, name)


def test_flags_are_parsed_into_settings() -> None:
    args = _parser().parse_args(
        ["serve", "--workers", "2", "--listen", "0.0.0.0:5", "--no-access-log", "--log-level", "debug"]
    )
    flags = {n: v for n in Settings.model_fields if (v := getattr(args, n, None)) is not None}
    settings = load_settings(flags)
    assert (settings.workers, settings.access_log, settings.log_level) == (2, False, "DEBUG")


def test_the_configuration_page_lists_exactly_the_settings() -> None:
    page = (ROOT / "docs" / "configuration.md").read_text()
    assert page == with_table(page), "docs/configuration.md is stale: run scripts/configuration-docs"
