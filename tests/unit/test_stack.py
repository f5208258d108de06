"""The local stack refuses clearly to start over someone else's ports (and only theirs), never stops what it did
not start, and keeps its state private."""
import socket
import stat

import pytest

from shared.settings import Settings
from tsunagu.ports import free_amqp_port, free_port, port_is_free
from tsunagu.stack import Stack, prepare_var_dir, settings_env


def test_a_taken_port_is_named_with_the_setting_that_moves_it(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        stack = Stack(Settings(var_dir=tmp_path, environment="test", http_port=port, amqp_port=free_amqp_port(),
                               smtp_port=free_port()))
        with pytest.raises(RuntimeError, match="TSUNAGU_HTTP_PORT"):
            stack.start()
    assert not stack.broker_started and stack.processes == {}


def test_children_get_every_setting_back_from_the_environment(tmp_path):
    settings = Settings(var_dir=tmp_path, http_port=8123, smtp_starttls=True, organizer_token="t" * 30,
                        secret_key="k" * 32, environment="production")
    env = settings_env(settings)
    assert Settings(**{k.removeprefix("TSUNAGU_").lower(): v for k, v in env.items()}) == settings


def leave_time_wait_on(port: int) -> None:
    """A server that closes its side first leaves the connection in TIME_WAIT on its own port (a minute)."""
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", port))
        server.listen()
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server closes first, as uvicorn does after `Connection: close`
        client.recv(1)
        client.close()


def test_a_port_left_in_time_wait_by_the_last_run_is_free(tmp_path):
    port = free_port()
    leave_time_wait_on(port)
    with socket.socket() as naive, pytest.raises(OSError):
        naive.bind(("127.0.0.1", port))  # what the check did: the stopped server's port read as taken
    assert port_is_free("127.0.0.1", port)
    stack = Stack(Settings(var_dir=tmp_path, environment="test", http_port=port, amqp_port=free_amqp_port(),
                           smtp_port=free_port()))
    stack.check_ports_free()
    with socket.socket() as listener:  # while a real listener holds the port, it is taken
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        assert not port_is_free("127.0.0.1", port)


def test_var_is_made_private_also_when_an_earlier_version_left_it_open(tmp_path):
    var = tmp_path / "var"
    var.mkdir(mode=0o755)
    var.chmod(0o755)
    prepare_var_dir(var)
    assert stat.S_IMODE(var.stat().st_mode) == 0o700
    prepare_var_dir(tmp_path / "fresh" / "var")
    assert stat.S_IMODE((tmp_path / "fresh" / "var").stat().st_mode) == 0o700
