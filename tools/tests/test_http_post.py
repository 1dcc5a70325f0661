"""The bounded HTTP POST of the outbound webhooks, against real endpoints on
127.0.0.1 that answer slowly, endlessly or not at all."""

import contextlib
import socket
import threading
import time

import pytest
import requests
from b2b_dropship_tools import http_post

# How long the slow endpoints go on at most: well beyond the deadlines used
# here, so that a POST that is not cut off ends with a complete answer.
SLOW_FOR = 8.0


class RawEndpoint:
    """A TCP server on 127.0.0.1 that reads one HTTP request per connection
    and lets ``answer(sock)`` write whatever it likes back."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = []
        self.server = socket.create_server(("127.0.0.1", 0))
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.getsockname()[1]}/hook"

    def _serve(self):
        with contextlib.suppress(OSError):
            while True:
                sock, _address = self.server.accept()
                threading.Thread(target=self._handle, args=(sock,), daemon=True).start()

    def _handle(self, sock):
        with sock, contextlib.suppress(OSError):
            data = b""
            while b"\r\n\r\n" not in data:
                data += sock.recv(65536)
            head, _sep, body = data.partition(b"\r\n\r\n")
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _sep, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            while len(body) < length:
                body += sock.recv(65536)
            self.requests.append(body)
            self.answer(sock)

    def close(self):
        self.server.close()


@pytest.fixture
def endpoint():
    endpoints = []

    def start(answer):
        endpoints.append(RawEndpoint(answer))
        return endpoints[-1]

    yield start
    for started in endpoints:
        started.close()


def _trickle(sock, data, every):
    """Send ``data`` a byte at a time, for SLOW_FOR seconds at most (then the
    rest at once)."""
    until = time.monotonic() + SLOW_FOR
    for position in range(len(data)):
        if time.monotonic() > until:
            sock.sendall(data[position:])
            return
        sock.sendall(data[position : position + 1])
        time.sleep(every)


def _post(url, deadline=1.0, max_bytes=100):
    return http_post.post(
        url,
        b'{"a": 1}',
        {"Content-Type": "application/json"},
        deadline=deadline,
        max_bytes=max_bytes,
    )


def test_answer_is_status_and_text(endpoint):
    def answer(sock):
        sock.sendall(
            b"HTTP/1.1 202 Accepted\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Length: 6\r\n\r\nmerc\xc3\xad"
        )

    server = endpoint(answer)
    assert _post(server.url) == http_post.Answer(202, "merc\u00ed")
    assert server.requests == [b'{"a": 1}']


def test_headers_sent_a_byte_at_a_time_are_cut_off_at_the_deadline(endpoint):
    # each byte comes well within the per-read timeout: only the deadline of
    # the whole exchange ends it
    head = (
        b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 400 + b"\r\nContent-Length: 2\r\n\r\nok"
    )
    server = endpoint(lambda sock: _trickle(sock, head, every=0.02))
    started = time.monotonic()
    with pytest.raises(http_post.DeadlineExceeded, match="within 1.0 seconds"):
        _post(server.url, deadline=1.0)
    assert time.monotonic() - started < SLOW_FOR / 2


def test_status_line_never_sent_is_a_timeout(endpoint):
    server = endpoint(lambda sock: time.sleep(SLOW_FOR))
    with pytest.raises(requests.Timeout):
        _post(server.url, deadline=0.5)


def test_body_sent_slowly_keeps_the_status_and_what_came(endpoint):
    def answer(sock):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
        _trickle(sock, b"y" * 1000, every=0.02)

    server = endpoint(answer)
    status, text = _post(server.url, deadline=1.0, max_bytes=2000)
    assert status == 200
    assert 0 < len(text) < 1000
    assert set(text) == {"y"}


def test_endless_body_is_read_up_to_max_bytes(endpoint):
    sent = []

    def answer(sock):
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
        with contextlib.suppress(OSError):
            for _round in range(64 * 1024):
                sock.sendall(b"ok " * 1000)
                sent.append(3000)

    server = endpoint(answer)
    status, text = _post(server.url, deadline=5.0, max_bytes=100)
    assert status == 200
    assert text == ("ok " * 34)[:100]
    assert sum(sent) < 64 * 1024 * 3000


def test_refused_connection_is_not_a_deadline(endpoint):
    server = endpoint(lambda sock: None)
    url = server.url
    server.close()
    with pytest.raises(requests.ConnectionError) as error:
        _post(url)
    assert not isinstance(error.value, http_post.DeadlineExceeded)


def test_each_post_has_its_own_deadline(endpoint):
    # a deadline that expired does not cut the next exchange
    head = (
        b"HTTP/1.1 200 OK\r\nX-Slow: " + b"x" * 400 + b"\r\nContent-Length: 2\r\n\r\nok"
    )
    slow = endpoint(lambda sock: _trickle(sock, head, every=0.02))
    with pytest.raises(http_post.DeadlineExceeded):
        _post(slow.url, deadline=0.5)
    fast = endpoint(
        lambda sock: (time.sleep(0.8), sock.sendall(head.replace(b"x" * 400, b"x")))
    )
    assert _post(fast.url, deadline=3.0) == http_post.Answer(200, "ok")
