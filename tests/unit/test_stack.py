"""The local stack refuses clearly to start over someone else's ports, and never stops what it did not start."""
import socket

import pytest

from shared.settings import Settings
from tsunagu.ports import free_amqp_port, free_port
from tsunagu.stack import Stack, settings_env


def test_a_taken_port_is_named_with_the_setting_that_moves_it(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = Stack(Settings(var_dir=tmp_path, http_port=port, amqp_port=free_amqp_port(), smtp_port=free_port()))
        with pytest.raises(RuntimeError, match="TSUNAGU_HTTP_PORT"):
            stack.start()
    assert not stack.broker_started and stack.processes == {}


def test_children_get_every_setting_back_from_the_environment(tmp_path):
    settings = Settings(var_dir=tmp_path, http_port=8123, smtp_starttls=True, organizer_token="t" * 30)
    env = settings_env(settings)
    assert Settings(**{k.removeprefix("TSUNAGU_").lower(): v for k, v in env.items()}) == settings
