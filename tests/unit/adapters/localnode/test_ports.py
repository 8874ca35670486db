"""Choosing ports for a node with real sockets: the recorded one when free, never a taken or reserved one."""
from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from efklab.adapters.localnode.process import choose_ports, port_free
from efklab.errors import NodeError


@pytest.fixture
def taken() -> Iterator[int]:
    """A port another process listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_a_recorded_port_that_is_free_is_chosen_again() -> None:
    port = free_port()
    assert choose_ports(1, 40_000, [port]) == [port]


def test_a_recorded_port_someone_else_listens_on_is_passed_over(taken: int) -> None:
    chosen = choose_ports(2, taken, [taken])
    assert taken not in chosen and len(set(chosen)) == 2 and all(port_free(p) for p in chosen)


def test_ports_reserved_for_http_are_not_chosen_for_transport() -> None:
    http = choose_ports(2, 41_000, [])
    transport = choose_ports(2, 41_000, [], avoid=frozenset(http))
    assert not set(http) & set(transport)


def test_an_explicit_port_that_is_taken_or_reserved_is_an_error(taken: int) -> None:
    with pytest.raises(NodeError, match=f"port {taken} on 127.0.0.1 is taken"):
        choose_ports(1, 9200, [], taken)
    port = free_port()
    with pytest.raises(NodeError, match=f"port {port} on 127.0.0.1 is taken"):
        choose_ports(1, 9200, [], port, avoid=frozenset({port}))

