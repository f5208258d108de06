import pytest
from pydantic import ValidationError

from shared.bus.parts import BrokerPart, password_of
from shared.settings import Environment, Settings, load_settings

KEY = "k" * 32


def test_environment_variables_are_read_with_the_prefix(monkeypatch):
    monkeypatch.setenv("TSUNAGU_AMQP_PORT", "5690")
    monkeypatch.setenv("TSUNAGU_HTTP_PORT", "8100")
    monkeypatch.setenv("TSUNAGU_SECRET_KEY", KEY)
    settings = Settings()
    assert settings.amqp_port == 5690
    assert settings.amqp_management_port == 15690  # follows the AMQP port, so copies can run side by side
    assert settings.amqp_uri == f"amqp://tsunagu-operator:{password_of(KEY, BrokerPart.OPERATOR)}@127.0.0.1:5690/%2F"
    assert settings.gateway_url == "http://127.0.0.1:8100"


def test_each_part_connects_as_its_own_broker_user_unless_one_is_named():
    settings = Settings(secret_key=KEY)
    uris = {part: settings.amqp_uri_for(part) for part in BrokerPart}
    assert uris[BrokerPart.EVENTS].startswith("amqp://tsunagu-events:")
    assert len({uri.split("@")[0] for uri in uris.values()}) == len(BrokerPart)  # users and passwords differ
    assert password_of(KEY, BrokerPart.GATEWAY) != password_of("k" * 33, BrokerPart.GATEWAY)  # follows the key
    one = Settings(secret_key=KEY, amqp_user="tsunagu", amqp_password="p@ss/word")
    assert {one.amqp_uri_for(part) for part in BrokerPart} == {"amqp://tsunagu:p%40ss%2Fword@127.0.0.1:5672/%2F"}
    with pytest.raises(ValidationError, match="set together"):
        Settings(secret_key=KEY, amqp_user="tsunagu")


def test_each_service_gets_its_own_sqlite_file_unless_postgresql_is_named(tmp_path):
    settings = Settings(var_dir=tmp_path, secret_key=KEY)
    assert settings.database_url_for("events") == f"sqlite:///{tmp_path}/events.db"
    shared = Settings(var_dir=tmp_path, secret_key=KEY, database_url="postgresql+psycopg2://u@h/db")
    assert shared.database_url_for("events") == "postgresql+psycopg2://u@h/db"


def test_production_refuses_default_secrets():
    with pytest.raises(ValidationError, match="SECRET_KEY"):
        Settings(environment="production", secret_key="short")
    with pytest.raises(ValidationError, match="guest account"):
        Settings(environment="production", secret_key=KEY, amqp_user="guest", amqp_password="guest")
    with pytest.raises(ValidationError, match="guest account"):
        Settings(environment="production", secret_key=KEY, amqp_user="admin", amqp_password="guest")
    Settings(environment="production", secret_key=KEY)  # each part its own user, password from the key
    Settings(environment="production", secret_key=KEY, amqp_user="tsunagu", amqp_password="s3cret")


@pytest.mark.parametrize("word", ["Production", "PRODUCTION", " production "])
def test_production_in_any_case_is_production_and_refuses_default_secrets(monkeypatch, word):
    monkeypatch.setenv("TSUNAGU_ENVIRONMENT", word)
    with pytest.raises(ValidationError, match="guest account"):
        Settings(secret_key=KEY, amqp_user="guest", amqp_password="guest")
    assert Settings(secret_key=KEY).environment is Environment.PRODUCTION


@pytest.mark.parametrize("word", ["prod", "staging", "", "live", "dev"])
def test_an_unknown_environment_is_refused_naming_the_known_ones(monkeypatch, word):
    monkeypatch.setenv("TSUNAGU_ENVIRONMENT", word)
    with pytest.raises(ValidationError, match="TSUNAGU_ENVIRONMENT must be one of development, test, production"):
        Settings(secret_key=KEY)


@pytest.mark.parametrize("environment", ["development", "production"])
@pytest.mark.parametrize("key", ["", "short-key"])
def test_an_empty_or_short_secret_key_is_refused_outside_tests(environment, key):
    # with an empty key anyone could sign an unsubscribe link for any subscriber
    with pytest.raises(ValidationError, match="TSUNAGU_SECRET_KEY"):
        Settings(environment=environment, secret_key=key)


def test_tests_run_without_a_secret_key():
    assert Settings(environment="test").secret_key == ""


def test_commands_beside_the_local_stack_use_the_secrets_it_keeps(tmp_path, monkeypatch):
    # `make run` generates the key and keeps it in var/; `tsunagu members import` run beside it needs it too
    (tmp_path / "secret-key").write_text("kept-" + "k" * 40 + "\n")
    monkeypatch.setenv("TSUNAGU_VAR_DIR", str(tmp_path))
    monkeypatch.delenv("TSUNAGU_SECRET_KEY", raising=False)
    settings = load_settings()
    assert settings.secret_key == "kept-" + "k" * 40
    monkeypatch.setenv("TSUNAGU_SECRET_KEY", "from-the-environment-" + "e" * 20)
    assert load_settings().secret_key == "from-the-environment-" + "e" * 20
    (tmp_path / "secret-key").unlink()
    monkeypatch.delenv("TSUNAGU_SECRET_KEY")
    with pytest.raises(ValidationError, match="TSUNAGU_SECRET_KEY"):
        load_settings()
