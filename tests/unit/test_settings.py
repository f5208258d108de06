import pytest
from pydantic import ValidationError

from shared.settings import Settings


def test_environment_variables_are_read_with_the_prefix(monkeypatch):
    monkeypatch.setenv("TSUNAGU_AMQP_PORT", "5690")
    monkeypatch.setenv("TSUNAGU_HTTP_PORT", "8100")
    settings = Settings()
    assert settings.amqp_port == 5690
    assert settings.amqp_management_port == 15690  # follows the AMQP port, so copies can run side by side
    assert settings.amqp_uri == "amqp://guest:guest@127.0.0.1:5690/%2F"
    assert settings.gateway_url == "http://127.0.0.1:8100"


def test_each_service_gets_its_own_sqlite_file_unless_postgresql_is_named(tmp_path):
    settings = Settings(var_dir=tmp_path)
    assert settings.database_url_for("events") == f"sqlite:///{tmp_path}/events.db"
    shared = Settings(var_dir=tmp_path, database_url="postgresql+psycopg2://u@h/db")
    assert shared.database_url_for("events") == "postgresql+psycopg2://u@h/db"


def test_production_refuses_default_secrets():
    with pytest.raises(ValidationError, match="ORGANIZER_TOKEN"):
        Settings(environment="production", organizer_token="short")
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", organizer_token="x" * 32)
    with pytest.raises(ValidationError, match="AMQP_PASSWORD"):
        Settings(environment="production", organizer_token="x" * 32, secret_key="k" * 32)
    Settings(environment="production", organizer_token="x" * 32, secret_key="k" * 32, amqp_password="s3cret")
