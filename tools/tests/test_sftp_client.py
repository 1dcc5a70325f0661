"""The SFTP client against a real OpenSSH server on 127.0.0.1 (see sshd_fixture.py)."""

import contextlib
import importlib.util
import os
import socket
import threading
import time
import uuid
from pathlib import Path

import paramiko
import pytest
from b2b_dropship_tools import sftp_client
from b2b_dropship_tools.sftp_client import SftpClient, SftpSettings


def _load_sibling(name):
    path = Path(__file__).with_name(f"{name}.py")
    spec = importlib.util.spec_from_file_location(
        f"b2b_dropship_tools_tests_{name}", path
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


sshd_fixture = _load_sibling("sshd_fixture")


@pytest.fixture(scope="session")
def sshd(tmp_path_factory):
    if not sshd_fixture.sshd_available():
        pytest.skip(
            f"OpenSSH server missing: {sshd_fixture.SSHD} not found (apt-get install "
            "openssh-server)"
        )
    server = sshd_fixture.SshdServer(tmp_path_factory.mktemp("sshd"))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def base(sshd):
    """Folders of one test on the server: in, processed, error, out."""
    root = sshd.root / uuid.uuid4().hex[:12]
    for folder in ("in", "processed", "error", "out"):
        (root / folder).mkdir(parents=True)
    return root


def _settings(sshd, base, **overrides):
    values = {
        "host": sshd.host,
        "port": sshd.port,
        "username": sshd.user,
        "host_key": sshd.host_key_line("ed25519"),
        "private_key": sshd.user_key("ed25519"),
        "inbox": str(base / "in"),
        "processed": str(base / "processed"),
        "error": str(base / "error"),
        "outbox": str(base / "out"),
        "timeout": 5,
    }
    values.update(overrides)
    return SftpSettings(**values)


@pytest.fixture
def settings(sshd, base):
    return _settings(sshd, base)


def _assert_no_secret(text, settings):
    for secret in (settings.password, settings.private_key_passphrase):
        if secret:
            assert secret not in text
    if settings.private_key:
        for line in settings.private_key.splitlines()[1:-1]:
            assert line not in text


# -- happy path


def test_list_read_move_and_write(settings, base):
    inbox = base / "in"
    (inbox / "b-order.csv").write_bytes(b"second")
    (inbox / "a-order.csv").write_bytes(b"first")
    for skipped in ("c.csv.tmp", "d.csv.part", "e.CSV.FILEPART", ".hidden.csv"):
        (inbox / skipped).write_bytes(b"not yet")
    (inbox / "subfolder").mkdir()
    with SftpClient(settings) as sftp:
        assert sftp.list_inbox() == ["a-order.csv", "b-order.csv"]
        assert [(remote.name, remote.size) for remote in sftp.list_files()] == [
            ("a-order.csv", 5),
            ("b-order.csv", 6),
        ]
        assert sftp.read("a-order.csv") == b"first"
        assert (
            sftp.move("a-order.csv", settings.processed)
            == f"{settings.processed}/a-order.csv"
        )
        assert sftp.list_inbox() == ["b-order.csv"]
        path = sftp.write_atomic(
            settings.outbox, "shipment-1.csv", b"order_reference,sku\r\nPO-1,A\r\n"
        )
    assert path == f"{settings.outbox}/shipment-1.csv"
    assert (base / "processed" / "a-order.csv").read_bytes() == b"first"
    assert (
        base / "out" / "shipment-1.csv"
    ).read_bytes() == b"order_reference,sku\r\nPO-1,A\r\n"
    assert sorted(os.listdir(base / "out")) == ["shipment-1.csv"]


def test_large_file_is_read_whole(settings, base):
    content = os.urandom(3 * 1024 * 1024 + 17)
    (base / "in" / "big.csv").write_bytes(content)
    with SftpClient(settings) as sftp:
        assert sftp.read("big.csv") == content


def test_move_never_overwrites_and_numbers_the_name(settings, base):
    (base / "processed" / "order.csv").write_bytes(b"old")
    (base / "processed" / "order-2.csv").write_bytes(b"older")
    (base / "in" / "order.csv").write_bytes(b"new")
    (base / "in" / "README").write_bytes(b"x")
    (base / "processed" / "README").write_bytes(b"y")
    with SftpClient(settings) as sftp:
        assert (
            sftp.move("order.csv", settings.processed)
            == f"{settings.processed}/order-3.csv"
        )
        assert (
            sftp.move("README", settings.processed) == f"{settings.processed}/README-2"
        )
    assert (base / "processed" / "order.csv").read_bytes() == b"old"
    assert (base / "processed" / "order-3.csv").read_bytes() == b"new"


def test_write_atomic_replaces_an_earlier_write_and_leaves_no_temporary_file(
    settings, base
):
    with SftpClient(settings) as sftp:
        sftp.write_atomic(
            settings.error,
            "order.csv.errors.csv",
            b"row,column,value,message\r\n1,,,first\r\n",
        )
        sftp.write_atomic(
            settings.error, "order.csv.errors.csv", b"row,column,value,message\r\n"
        )
    assert os.listdir(base / "error") == ["order.csv.errors.csv"]
    assert (
        base / "error" / "order.csv.errors.csv"
    ).read_bytes() == b"row,column,value,message\r\n"


def test_reading_or_moving_a_missing_file(settings):
    with SftpClient(settings) as sftp:
        with pytest.raises(sftp_client.SftpFileNotFoundError) as info:
            sftp.read("ghost.csv")
        assert "ghost.csv" in str(info.value)
        with pytest.raises(sftp_client.SftpFileNotFoundError):
            sftp.move("ghost.csv", settings.processed)


def test_read_refuses_a_file_over_the_limit(settings, base):
    (base / "in" / "huge.csv").write_bytes(b"x" * 2000)
    with SftpClient(settings) as sftp, pytest.raises(sftp_client.SftpFileTooLargeError):
        sftp.read("huge.csv", max_size=1000)


def test_file_names_with_a_slash_are_refused(settings):
    with SftpClient(settings) as sftp, pytest.raises(ValueError):
        sftp.read("../../etc/passwd")


def test_missing_inbox_when_listing(sshd, base):
    settings = _settings(sshd, base, inbox=str(base / "nope"))
    with (
        SftpClient(settings) as sftp,
        pytest.raises(sftp_client.SftpFolderMissingError) as info,
    ):
        sftp.list_inbox()
    assert info.value.params["folder"] == str(base / "nope")


# -- claims: two pollers never take the same file


def test_claim_hides_the_file_and_move_restores_its_name(settings, base):
    (base / "in" / "po-7.csv").write_bytes(b"data")
    with SftpClient(settings) as sftp:
        claimed = sftp.claim("po-7.csv", "db1_4")
        assert claimed == ".claim-db1_4-po-7.csv"
        assert sftp.list_inbox() == []
        assert sftp.claim("po-7.csv", "db2_4") is None
        assert sftp.list_claims("db1_4") == [
            sftp_client.Claim(claimed, "po-7.csv", "db1_4")
        ]
        assert sftp.list_claims("db2_4") == []
        assert sftp.read(claimed) == b"data"
        assert (
            sftp.move(claimed, settings.processed) == f"{settings.processed}/po-7.csv"
        )
        assert sftp.list_claims() == []


def test_release_gives_a_claimed_file_back(settings, base):
    (base / "in" / "po-8.csv").write_bytes(b"data")
    with SftpClient(settings) as sftp:
        claimed = sftp.claim("po-8.csv", "me")
        (base / "in" / "po-8.csv").write_bytes(b"uploaded again meanwhile")
        assert sftp.release(claimed) == f"{settings.inbox}/po-8-2.csv"
        assert sftp.list_inbox() == ["po-8-2.csv", "po-8.csv"]


def test_concurrent_pollers_claim_each_file_exactly_once(settings, base):
    names = [f"order-{number:02d}.csv" for number in range(30)]
    for name in names:
        (base / "in" / name).write_bytes(name.encode())
    taken = {"a": [], "b": []}
    barrier = threading.Barrier(2)

    def poll(owner):
        with SftpClient(settings) as sftp:
            listed = sftp.list_inbox()
            barrier.wait()
            for name in listed:
                if sftp.claim(name, owner):
                    taken[owner].append(name)

    threads = [threading.Thread(target=poll, args=(owner,)) for owner in taken]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(taken["a"] + taken["b"]) == names
    assert not set(taken["a"]) & set(taken["b"])


def test_claim_owner_must_be_simple():
    with pytest.raises(ValueError):
        sftp_client.claim_name("x.csv", "a-b")
    assert sftp_client.parse_claim("x.csv") is None
    assert sftp_client.parse_claim(".claim-db_1-my-file.csv") == (
        "." + "claim-db_1-my-file.csv",
        "my-file.csv",
        "db_1",
    )


# -- keys and logins


@pytest.mark.parametrize("key_type", ["ed25519", "ecdsa", "rsa"])
def test_each_host_key_type_can_be_pinned(sshd, base, key_type):
    settings = _settings(sshd, base, host_key=sshd.host_key_line(key_type))
    with SftpClient(settings) as sftp:
        assert sftp.list_inbox() == []
        assert any(
            step.step == "host_key" and key_type.upper()[:3] in step.detail.upper()
            for step in sftp.steps
        )


def test_known_hosts_lines_as_printed_by_ssh_keyscan(sshd, base):
    lines = "\n".join(
        [
            "# 127.0.0.1 SSH-2.0-OpenSSH",
            f"[{sshd.host}]:{sshd.port} {sshd.host_key_line('rsa')}",
            f"[{sshd.host}]:{sshd.port} {sshd.host_key_line('ed25519')} comment",
            "",
        ]
    )
    with SftpClient(_settings(sshd, base, host_key=lines)) as sftp:
        assert sftp.list_inbox() == []


@pytest.mark.parametrize("key_name", ["ed25519", "rsa", "ecdsa"])
def test_user_key_types_in_openssh_and_pem_format(sshd, base, key_name):
    with SftpClient(_settings(sshd, base, private_key=sshd.user_key(key_name))) as sftp:
        assert sftp.list_inbox() == []


def test_private_key_with_crlf_line_ends_and_spaces(sshd, base):
    text = "  \r\n" + sshd.user_key("ed25519").replace("\n", "\r\n") + "\r\n"
    with SftpClient(_settings(sshd, base, private_key=text)) as sftp:
        assert sftp.list_inbox() == []


def test_encrypted_private_key_needs_its_passphrase(sshd, base):
    settings = _settings(sshd, base, private_key=sshd.encrypted_user_key)
    with pytest.raises(sftp_client.SftpConfigError, match="passphrase"):
        SftpClient(settings).connect()
    settings.private_key_passphrase = sshd_fixture.KEY_PASSPHRASE
    with SftpClient(settings) as sftp:
        assert sftp.list_inbox() == []
    settings.private_key_passphrase = "Not-The-Passphrase-7"
    with pytest.raises(sftp_client.SftpConfigError) as info:
        SftpClient(settings).connect()
    _assert_no_secret(str(info.value), settings)


def test_unreadable_private_key_is_refused_without_quoting_it(sshd, base):
    garbage = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "c2VjcmV0IGtleSBtYXRlcmlhbCBub3QgYSBrZXk=\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )
    settings = _settings(sshd, base, private_key=garbage)
    with pytest.raises(sftp_client.SftpConfigError) as info:
        SftpClient(settings).connect()
    assert "c2VjcmV0" not in str(info.value)


def test_wrong_host_key_is_refused(sshd, base):
    other = paramiko.Ed25519Key.from_private_key_file(
        str(sshd.workdir / "user_stranger")
    )
    settings = _settings(sshd, base, host_key=f"ssh-ed25519 {other.get_base64()}")
    with pytest.raises(sftp_client.SftpHostKeyMismatchError) as info:
        SftpClient(settings).connect()
    error = info.value
    real = paramiko.Ed25519Key(filename=str(sshd.host_key_path("ed25519")))
    assert error.code == "host_key_mismatch"
    assert error.presented_key == sshd.host_key_line("ed25519")
    assert real.fingerprint in str(error)
    assert other.fingerprint in str(error)
    assert "Refused" in str(error)


def test_host_key_of_a_type_the_server_lacks_is_unknown(sshd, base):
    foreign = paramiko.ECDSAKey.generate(bits=384)
    settings = _settings(
        sshd, base, host_key=f"{foreign.get_name()} {foreign.get_base64()}"
    )
    with pytest.raises(sftp_client.SftpHostKeyUnknownError) as info:
        SftpClient(settings).connect()
    assert info.value.code == "host_key_unknown"
    assert "ecdsa-sha2-nistp384" in str(info.value)


@pytest.mark.parametrize(
    ("host_key", "message"),
    [
        ("", "host key is required"),
        ("   \n# only a comment\n", "host key is required"),
        ("AAAAC3NzaC1lZDI1NTE5AAAAIAZ", "not a public key"),
        ("ssh-ed25519", "not a public key"),
        ("ssh-ed25519 AAAA!!!", "not a valid ssh-ed25519 key"),
        ("ssh-ed25519 AAAAB3NzaC1yc2EAAAADAQABAAABAQC7", "not a valid ssh-ed25519 key"),
        ("@cert-authority * ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAZ", "marker"),
        ("ssh-dss AAAAB3NzaC1kc3MAAACBAP", "not a public key"),
    ],
)
def test_missing_or_malformed_host_key_is_a_configuration_error(
    sshd, base, host_key, message
):
    with pytest.raises(sftp_client.SftpConfigError, match=message):
        sftp_client.test_connection(_settings(sshd, base, host_key=host_key))


def test_wrong_user_key_is_refused(sshd, base):
    settings = _settings(sshd, base, private_key=sshd.user_key("stranger"))
    with pytest.raises(sftp_client.SftpAuthenticationError) as info:
        SftpClient(settings).connect()
    assert f"user {sshd.user}" in str(info.value)
    assert "private key" in str(info.value)
    _assert_no_secret(str(info.value), settings)


def test_unknown_user_is_refused(sshd, base):
    with pytest.raises(sftp_client.SftpAuthenticationError, match="nobody_here"):
        SftpClient(_settings(sshd, base, username="nobody_here")).connect()


def test_password_login(sshd, base):
    if sshd.password is None:
        pytest.skip(
            "password logins are tested as root only (a throwaway password in a "
            "private mount namespace)"
        )
    settings = _settings(sshd, base, private_key=None, password=sshd.password)
    with SftpClient(settings) as sftp:
        assert sftp.list_inbox() == []
        assert sftp.steps[-2].detail == f"logged in as {sshd.user} with the password"


def test_wrong_password_is_refused_without_repeating_it(sshd, base):
    settings = _settings(sshd, base, private_key=None, password="Not-The-Password-42")
    with pytest.raises(sftp_client.SftpAuthenticationError) as info:
        sftp_client.test_connection(settings)
    assert "the password" in str(info.value)
    _assert_no_secret(str(info.value), settings)
    assert [step.step for step in info.value.steps] == ["dns", "connect", "host_key"]


def test_key_refused_then_password_accepted(sshd, base):
    if sshd.password is None:
        pytest.skip(
            "password logins are tested as root only (a throwaway password in a "
            "private mount namespace)"
        )
    settings = _settings(
        sshd, base, private_key=sshd.user_key("stranger"), password=sshd.password
    )
    with SftpClient(settings) as sftp:
        assert sftp.list_inbox() == []


def test_settings_repr_hides_secrets(sshd, base):
    settings = _settings(
        sshd, base, password="Hunter2-secret", private_key_passphrase="pass-phrase"
    )
    text = repr(settings)
    assert "Hunter2-secret" not in text
    assert "pass-phrase" not in text
    assert "PRIVATE KEY" not in text


def test_settings_need_a_login_method(sshd, base):
    with pytest.raises(
        sftp_client.SftpConfigError, match="Neither a private key nor a password"
    ):
        sftp_client.test_connection(_settings(sshd, base, private_key=None))


# -- test_connection


def test_test_connection_lists_every_step(settings):
    steps = sftp_client.test_connection(settings)
    assert [step.step for step in steps] == [
        "dns",
        "connect",
        "host_key",
        "login",
        "sftp",
        "folder_inbox",
        "folder_processed",
        "folder_error",
        "folder_outbox",
    ]
    assert "127.0.0.1" in steps[0].detail


def test_test_connection_names_the_missing_folder(sshd, base):
    settings = _settings(sshd, base, error=str(base / "errors-typo"))
    with pytest.raises(sftp_client.SftpFolderMissingError) as info:
        sftp_client.test_connection(settings)
    assert info.value.params == {"folder": str(base / "errors-typo"), "role": "error"}
    assert "error folder" in str(info.value) and "errors-typo" in str(info.value)
    assert [step.step for step in info.value.steps][-2:] == [
        "folder_inbox",
        "folder_processed",
    ]


def test_test_connection_refuses_a_file_as_folder(sshd, base):
    (base / "out-file").write_bytes(b"")
    with pytest.raises(sftp_client.SftpFolderMissingError, match="is a file"):
        sftp_client.test_connection(
            _settings(sshd, base, outbox=str(base / "out-file"))
        )


def test_test_connection_skips_folders_left_empty(sshd, base):
    steps = sftp_client.test_connection(
        _settings(sshd, base, processed="", error="", outbox="")
    )
    assert [step.step for step in steps][-1] == "folder_inbox"


def test_refused_port(sshd, base):
    port = sshd_fixture.free_port()
    with pytest.raises(sftp_client.SftpConnectionRefusedError) as info:
        sftp_client.test_connection(_settings(sshd, base, port=port))
    assert f"port {port} was refused" in str(info.value)
    assert info.value.code == "refused"
    assert [step.step for step in info.value.steps] == ["dns"]


def test_unknown_host_name(sshd, base):
    with pytest.raises(sftp_client.SftpDnsError) as info:
        sftp_client.test_connection(_settings(sshd, base, host="nonexistent.invalid"))
    assert "nonexistent.invalid could not be resolved" in str(info.value)
    assert info.value.code == "dns"


class _Listener:
    """A TCP server on 127.0.0.1 that greets each connection with ``greeting``
    (None: stays silent) and may close it at once."""

    def __init__(self, greeting=None, close=False):
        self.greeting = greeting
        self.close_at_once = close
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.connections = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        while True:
            try:
                connection, _address = self.server.accept()
            except OSError:
                return
            self.connections.append(connection)
            if self.greeting is not None:
                connection.sendall(self.greeting)
            if self.close_at_once:
                connection.close()

    def stop(self):
        self.server.close()
        for connection in self.connections:
            connection.close()


@pytest.mark.parametrize(
    ("greeting", "close", "error", "message"),
    [
        (
            None,
            False,
            sftp_client.SftpTimeoutError,
            "sent no SSH greeting within 0.5 seconds",
        ),
        (
            None,
            True,
            sftp_client.SftpProtocolError,
            "closed the connection without an SSH greeting",
        ),
        (
            b"HTTP/1.1 400 Bad Request\r\n\r\n",
            True,
            sftp_client.SftpProtocolError,
            "handshake",
        ),
        (
            b"SSH-2.0-Silent\r\n",
            False,
            sftp_client.SftpTimeoutError,
            "did not finish within 0.5 seconds",
        ),
    ],
)
def test_servers_that_do_not_speak_ssh(sshd, base, greeting, close, error, message):
    listener = _Listener(greeting, close)
    try:
        started = time.monotonic()
        with pytest.raises(error, match=message):
            sftp_client.test_connection(
                _settings(sshd, base, port=listener.port, timeout=0.5)
            )
        assert time.monotonic() - started < 3
    finally:
        listener.stop()


# -- connections that break


class _Proxy:
    """Forwards one TCP connection to sshd, and can cut or stall it after a
    number of bytes sent from the server to the client."""

    def __init__(self, target_port, cut_after=None, stall_after=None):
        self.target_port = target_port
        self.cut_after = cut_after
        self.stall_after = stall_after
        self.stalled = threading.Event()
        self.resume = threading.Event()
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.sockets = []
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        try:
            client, _address = self.server.accept()
        except OSError:
            return
        upstream = socket.create_connection(("127.0.0.1", self.target_port))
        self.sockets = [client, upstream]
        threading.Thread(
            target=self._pump, args=(client, upstream, False), daemon=True
        ).start()
        threading.Thread(
            target=self._pump, args=(upstream, client, True), daemon=True
        ).start()

    def _pump(self, source, target, downstream):
        sent = 0
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if (
                    downstream
                    and self.cut_after is not None
                    and sent + len(data) >= self.cut_after
                ):
                    target.sendall(data[: self.cut_after - sent])
                    self.cut()
                    return
                if (
                    downstream
                    and self.stall_after is not None
                    and sent + len(data) >= self.stall_after
                ):
                    self.stall_after = None
                    self.stalled.set()
                    self.resume.wait(30)
                target.sendall(data)
                sent += len(data)
        except OSError:
            return  # the other side closed, or the test cut the connection
        finally:
            for sock in (source, target):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)

    def cut(self):
        for sock in self.sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def stop(self):
        self.resume.set()
        self.server.close()
        self.cut()


def test_connection_cut_in_the_middle_of_a_download(sshd, base):
    content = os.urandom(4 * 1024 * 1024)
    (base / "in" / "big.csv").write_bytes(content)
    proxy = _Proxy(sshd.port, cut_after=1024 * 1024)
    try:
        with SftpClient(_settings(sshd, base, port=proxy.port)) as sftp:
            with pytest.raises(
                sftp_client.SftpConnectionLostError, match="broke while reading"
            ):
                sftp.read("big.csv")
            with pytest.raises(sftp_client.SftpConnectionLostError):
                sftp.move("big.csv", str(base / "processed"))
    finally:
        proxy.stop()
    # nothing was lost on the server
    assert (base / "in" / "big.csv").read_bytes() == content


def test_server_session_killed_in_the_middle_of_a_download(sshd, base):
    (base / "in" / "big.csv").write_bytes(os.urandom(4 * 1024 * 1024))
    proxy = _Proxy(sshd.port, stall_after=1024 * 1024)
    try:
        with SftpClient(_settings(sshd, base, port=proxy.port)) as sftp:
            result = {}

            def download():
                try:
                    result["data"] = sftp.read("big.csv")
                except Exception as exc:  # noqa: BLE001 - handed to the test thread
                    result["error"] = exc

            reader = threading.Thread(target=download)
            reader.start()
            assert proxy.stalled.wait(10)
            pids = sshd.session_pids()
            assert pids
            for pid in pids:
                os.kill(pid, 9)
            proxy.resume.set()
            reader.join(15)
            assert isinstance(
                result.get("error"), sftp_client.SftpConnectionLostError
            ), result
    finally:
        proxy.stop()


def test_stalled_download_times_out(sshd, base):
    (base / "in" / "big.csv").write_bytes(os.urandom(2 * 1024 * 1024))
    proxy = _Proxy(sshd.port, stall_after=512 * 1024)
    try:
        with SftpClient(_settings(sshd, base, port=proxy.port, timeout=0.5)) as sftp:
            started = time.monotonic()
            with pytest.raises(
                sftp_client.SftpTimeoutError,
                match="did not answer within 0.5 seconds while reading",
            ):
                sftp.read("big.csv")
            assert time.monotonic() - started < 3
    finally:
        proxy.stop()


def test_operations_after_close_fail_cleanly(settings):
    sftp = SftpClient(settings).connect()
    sftp.close()
    sftp.close()
    with pytest.raises(sftp_client.SftpConnectionLostError):
        sftp.list_inbox()
