"""A real OpenSSH server on 127.0.0.1 for the addon's SFTP tests.

The server itself is ``tools/tests/sshd_fixture.py`` (also used by the
Odoo-free tests of the SFTP client), loaded here by path: ``tools/tests`` is
not a package on purpose. :class:`SshdCase` starts one server per test class
(throwaway host and user keys in a temporary folder, a free port) and stops
it afterwards; :class:`CuttingProxy` sits between the client and the server
to cut the connection at a chosen moment.
"""

import contextlib
import importlib.util
import shutil
import socket
import tempfile
import threading
import unittest
import uuid
from pathlib import Path

_FIXTURE = (
    Path(__file__).resolve().parent.parent / "tools" / "tests" / "sshd_fixture.py"
)


def _load_fixture():
    spec = importlib.util.spec_from_file_location("b2b_dropship_sshd_fixture", _FIXTURE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sshd_fixture = _load_fixture()


class SshdCase:
    """Mixin of a test class (before the TransactionCase): ``cls.sshd`` is a
    running OpenSSH server whose SFTP user may read and write ``cls.sshd.root``."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not sshd_fixture.sshd_available():
            # make test counts a skip as a failure unless it is listed
            raise unittest.SkipTest(f"OpenSSH server missing: {sshd_fixture.SSHD}")
        workdir = tempfile.mkdtemp(prefix="b2b-sshd-")
        cls.addClassCleanup(shutil.rmtree, workdir, ignore_errors=True)
        cls.sshd = sshd_fixture.SshdServer(workdir)
        cls.sshd.start()
        cls.addClassCleanup(cls.sshd.stop)

    @classmethod
    def make_folders(cls, *names):
        """A fresh folder on the server with the given subfolders; return its path."""
        base = cls.sshd.root / uuid.uuid4().hex[:12]
        for name in names:
            (base / name).mkdir(parents=True)
        base.mkdir(parents=True, exist_ok=True)
        return base


class CuttingProxy:
    """A TCP relay on 127.0.0.1 to the server, that cuts every connection
    passing through it when told to: at once (:meth:`cut`), or once ``bytes``
    more bytes came from the server (:meth:`cut_after`), in the middle of a
    transfer."""

    def __init__(self, target_port):
        self.target_port = target_port
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets = []
        self.lock = threading.Lock()
        self.budget = None  # bytes from the server still let through
        self.cuts = 0
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    def _accept(self):
        while True:
            try:
                client, _address = self.server.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self.target_port))
            with self.lock:
                self.sockets += [client, upstream]
            threading.Thread(
                target=self._pipe, args=(client, upstream, False), daemon=True
            ).start()
            threading.Thread(
                target=self._pipe, args=(upstream, client, True), daemon=True
            ).start()

    def _pipe(self, source, target, downstream):
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if downstream:
                    with self.lock:
                        budget = self.budget
                        if budget is not None:
                            self.budget = max(budget - len(data), 0)
                    if budget is not None and len(data) >= budget:
                        target.sendall(data[:budget])
                        self.cut()
                        return
                target.sendall(data)
        except OSError:
            return
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut_after(self, size):
        """Cut the connections once ``size`` more bytes came from the server."""
        with self.lock:
            self.budget = size

    def cut(self):
        """Cut every connection now."""
        with self.lock:
            sockets, self.sockets = self.sockets, []
            self.budget = None
            self.cuts += 1
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def stop(self):
        self.server.close()
        self.cut()
