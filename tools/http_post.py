"""An HTTP POST whose whole exchange is bounded in time.

The timeout of ``requests`` bounds each read from the socket, not the
exchange: an endpoint that sends its answer a byte at a time, each byte
within the timeout, holds the caller as long as it likes. The outbound
webhooks are sent one after the other by one scheduled action, so such an
endpoint would hold back every retailer's events. Here a timer shuts the
socket down once the deadline has passed, wherever the exchange is: connecting,
sending, waiting for the status line, reading headers or the answer's body.

Of the answer only its start is read, up to ``max_bytes``: the rest is never
downloaded.
"""

import contextlib
import contextvars
import socket
import threading
from typing import NamedTuple

import requests
import urllib3
import urllib3.connection
from requests.adapters import HTTPAdapter


class DeadlineExceeded(requests.Timeout):
    """The exchange was not over within the deadline."""


class Answer(NamedTuple):
    status: int
    text: str


# The deadline of the exchange in progress in this thread (None: none).
_current_deadline = contextvars.ContextVar("b2b_http_deadline", default=None)


class _Deadline:
    """Shuts down the sockets opened for one exchange once it expires."""

    def __init__(self, seconds):
        self.expired = False
        self._sockets = []
        self._lock = threading.Lock()
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self):
        self._timer.start()
        return self

    def __exit__(self, *exc_info):
        self._timer.cancel()

    def watch(self, sock):
        with self._lock:
            self._sockets.append(sock)
            if self.expired:
                _shut(sock)

    def _expire(self):
        with self._lock:
            self.expired = True
            for sock in self._sockets:
                _shut(sock)


def _shut(sock):
    # a blocked read returns at once; the socket is closed by its owner
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _WatchedConnectionMixin:
    def _new_conn(self):
        sock = super()._new_conn()
        deadline = _current_deadline.get()
        if deadline is not None:
            deadline.watch(sock)
        return sock


class _HTTPConnection(_WatchedConnectionMixin, urllib3.connection.HTTPConnection):
    pass


class _HTTPSConnection(_WatchedConnectionMixin, urllib3.connection.HTTPSConnection):
    pass


class _HTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


POOL_CLASSES = {"http": _HTTPConnectionPool, "https": _HTTPSConnectionPool}


class _WatchedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        result = super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = POOL_CLASSES
        return result

    def proxy_manager_for(self, proxy, **proxy_kwargs):
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = POOL_CLASSES
        return manager


def post(url, data, headers, *, deadline, max_bytes):
    """POST ``data`` to ``url`` without following redirects; the whole
    exchange takes at most ``deadline`` seconds (about: the timer's own
    latency aside).

    :return: an :class:`Answer`, its text the start of the answer's body (at
        most ``max_bytes`` read, decoded leniently). A body cut off by the
        deadline keeps what came: the status had arrived.
    :raises DeadlineExceeded: no complete status and headers within the
        deadline.
    :raises requests.RequestException: no answer for another reason.
    """
    with requests.Session() as session, _Deadline(deadline) as watch:
        session.mount("http://", _WatchedAdapter())
        session.mount("https://", _WatchedAdapter())
        token = _current_deadline.set(watch)
        try:
            with session.post(
                url,
                data=data,
                headers=headers,
                timeout=deadline,
                allow_redirects=False,
                stream=True,
            ) as response:
                # cut off before the headers were complete, the socket read as
                # an early end of the headers: the answer is not one
                if watch.expired:
                    raise DeadlineExceeded(_late(deadline))
                content = _read_start(response, max_bytes)
        except DeadlineExceeded:
            raise
        except requests.RequestException as error:
            if watch.expired:
                raise DeadlineExceeded(_late(deadline)) from error
            raise
        finally:
            _current_deadline.reset(token)
    text = content.decode(response.encoding or "utf-8", "replace")
    return Answer(response.status_code, text)


def _late(deadline):
    return f"no complete answer within {deadline} seconds"


def _read_start(response, max_bytes):
    content = b""
    # cut off (by the deadline or the endpoint), the status counts all the same
    with contextlib.suppress(requests.RequestException):
        for chunk in response.iter_content(chunk_size=1024):
            content += chunk
            if len(content) >= max_bytes:
                break
    return content[:max_bytes]
