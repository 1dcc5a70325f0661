"""SFTP client of the CSV drop channel, on paramiko.

A retailer's SFTP server is reached with the settings of a connection
(:class:`SftpSettings`), always with its host key pinned: the server must
present one of the keys configured on the connection, an unknown or changed
key is refused (never trusted on first use), and nothing of the machine's own
SSH configuration (``~/.ssh``, agent, known_hosts) is used.

Every failure is an :class:`SftpError` subclass with a ``code`` (``dns``,
``refused``, ``timeout``, ``host_key_unknown``, ``host_key_mismatch``,
``auth``, ``folder_missing``, ``connection_lost``...), the values of its
message in ``params`` (for a translated message on the Odoo side), and an
English message that never contains the password, the private key or its
passphrase.

How a poll uses it without losing or doubling a file (the scheduled action
``b2b_dropship.cron_sftp_poll`` of ``b2b.connection``)::

    with SftpClient(settings) as sftp:
        # claims left by a poll that broke, then new files
        names = [claim.name for claim in sftp.list_claims(owner)]
        for name in sftp.list_inbox():
            claimed = sftp.claim(name, owner)
            if claimed:                          # None: another poller took it
                names.append(claimed)
        for claimed in names:
            content = sftp.read(claimed)
            # store the file (checksum) and COMMIT, import it and COMMIT, then:
            sftp.move(claimed, settings.processed)  # or settings.error, with
            # sftp.write_atomic(settings.error, "<name>.errors.csv", errors)

Two pollers never take the same file:

- In one database, ``b2b.connection`` holds a lock per connection while it
  polls (a row lock taken with ``SKIP LOCKED``), so a second cron worker
  skips the connection.
- Across databases or servers polling the same account (a copy of the
  production database, two Odoo instances), :meth:`SftpClient.claim` renames
  the file to a hidden name carrying the poller's ``owner`` id before reading
  it. A rename is atomic on the server and fails when the source is gone, so
  exactly one poller wins each file; the loser gets None.

Nothing is removed remotely before its import is committed: a claimed file
stays in the inbox under its hidden name until :meth:`SftpClient.move` puts
it, under its original name, into the processed or error folder. When the
connection breaks anywhere in between, the next poll finds the claim again
with :meth:`SftpClient.list_claims` and reads it again; the checksum stored
in the file history tells it was already imported, so only the move is
redone. :meth:`SftpClient.release` hands a claimed file back under its
original name. Claims of another owner are left alone.
"""

import base64
import binascii
import contextlib
import dataclasses
import errno
import io
import posixpath
import re
import socket
import stat
import threading
from typing import NamedTuple

import paramiko

DEFAULT_TIMEOUT = 15.0
TEMPORARY_SUFFIXES = (".tmp", ".part", ".filepart")
TEMPORARY_UPLOAD_SUFFIX = ".tmp"
CLAIM_PREFIX = ".claim-"
HOST_KEY_TYPES = (
    "ssh-ed25519",
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
    "ssh-rsa",
)
# Names under which the server may negotiate a host key of each pinned type.
_NEGOTIATED_TYPES = {"ssh-rsa": ("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa")}
_OWNER_RE = re.compile(r"[A-Za-z0-9_]{1,64}")
_CLAIM_RE = re.compile(
    re.escape(CLAIM_PREFIX) + r"([A-Za-z0-9_]{1,64})-(.+)", re.DOTALL
)
# At most this many numbered names are tried when a move finds its target taken.
_MAX_SUFFIX = 1000


# -- errors ------------------------------------------------------------------------


class SftpError(Exception):
    """A failure of the SFTP channel. ``code`` names its kind, ``params``
    holds the values of its message, ``steps`` (set by
    :func:`test_connection`) the steps that succeeded before it."""

    code = "error"

    def __init__(self, message, **params):
        super().__init__(message)
        self.message = message
        self.params = params
        self.steps = []


class SftpConfigError(SftpError):
    """The connection's settings cannot work (missing host key, unreadable
    private key...)."""

    code = "config"


class SftpConnectError(SftpError):
    """No usable SSH session could be opened."""

    code = "connect"


class SftpDnsError(SftpConnectError):
    code = "dns"


class SftpConnectionRefusedError(SftpConnectError):
    code = "refused"


class SftpNetworkError(SftpConnectError):
    """The host could not be reached (no route, network down...)."""

    code = "network"


class SftpProtocolError(SftpConnectError):
    """The server does not speak SSH/SFTP as expected, or closed the
    connection early."""

    code = "protocol"


class SftpHostKeyError(SftpConnectError):
    """The server's host key is not one of the configured keys: refused.

    ``presented_key`` holds the key line the server presented
    (``type base64``) and ``params['fingerprint']`` its SHA256 fingerprint,
    to compare with what the server's administrator tells.
    """

    code = "host_key"

    def __init__(self, message, presented_key="", **params):
        super().__init__(message, **params)
        self.presented_key = presented_key


class SftpHostKeyUnknownError(SftpHostKeyError):
    """The server presented a key of a type none of the configured keys has."""

    code = "host_key_unknown"


class SftpHostKeyMismatchError(SftpHostKeyError):
    """The server presented a key of a configured type, but another key:
    the key changed, or this is not the server."""

    code = "host_key_mismatch"


class SftpAuthenticationError(SftpConnectError):
    code = "auth"


class SftpTimeoutError(SftpError):
    """The server did not answer in time (connecting, handshaking or transferring)."""

    code = "timeout"


class SftpConnectionLostError(SftpError):
    """The connection broke during an operation."""

    code = "connection_lost"


class SftpFileError(SftpError):
    """A remote file or folder operation failed."""

    code = "file"


class SftpFolderMissingError(SftpFileError):
    """A configured folder does not exist (``params['folder']``, ``params['role']``)."""

    code = "folder_missing"


class SftpFileNotFoundError(SftpFileError):
    code = "file_not_found"


class SftpPermissionError(SftpFileError):
    code = "permission"


class SftpFileChangedError(SftpFileError):
    """The file changed while it was read: it is probably still being uploaded."""

    code = "file_changed"


class SftpFileTooLargeError(SftpFileError):
    code = "file_too_large"


class SftpFileNameError(SftpFileError):
    """A name in a folder is not UTF-8 text, which SFTP requires: the folder
    cannot be listed until it is renamed."""

    code = "file_name"


# -- settings ------------------------------------------------------------------------


@dataclasses.dataclass(kw_only=True)
class SftpSettings:
    """Where and how to reach a retailer's SFTP server.

    ``host_key`` is required: the server's public host key, one per line, as
    ``ssh-ed25519 AAAA...`` or as a known_hosts line ``host ssh-ed25519
    AAAA...`` (the host names of the line are not checked: the keys are those
    of this connection). Several lines (as printed by ``ssh-keyscan``) pin
    several keys. ``private_key`` is the text of an RSA, ECDSA or Ed25519
    private key in PEM or OpenSSH format; ``password`` may replace it or
    come in addition. Empty ``processed``, ``error`` or ``outbox`` mean the
    folder is not used.
    """

    host: str
    username: str
    host_key: str
    port: int = 22
    password: str | None = dataclasses.field(default=None, repr=False)
    private_key: str | None = dataclasses.field(default=None, repr=False)
    private_key_passphrase: str | None = dataclasses.field(default=None, repr=False)
    inbox: str = "/in"
    processed: str = "/processed"
    error: str = "/error"
    outbox: str = "/out"
    timeout: float = DEFAULT_TIMEOUT

    def folders(self):
        """Return the configured folders as (role, path), inbox first."""
        roles = (
            ("inbox", self.inbox),
            ("processed", self.processed),
            ("error", self.error),
            ("outbox", self.outbox),
        )
        return [(role, path) for role, path in roles if path]

    def validate(self):
        """Raise :class:`SftpConfigError` when these settings cannot work."""
        self._check_fields()
        parse_host_keys(self.host_key)
        if self.private_key:
            load_private_key(self.private_key, self.private_key_passphrase)

    def _check_fields(self):
        if not self.host or not str(self.host).strip():
            raise SftpConfigError("The SFTP host is not set.")
        if (
            isinstance(self.port, bool)
            or not isinstance(self.port, int)
            or not 0 < self.port < 65536
        ):
            raise SftpConfigError(
                f"The SFTP port must be a number from 1 to 65535, not {self.port!r}.",
                port=self.port,
            )
        if not self.username:
            raise SftpConfigError("The SFTP user name is not set.")
        if not self.private_key and not self.password:
            raise SftpConfigError(
                "Neither a private key nor a password is set for the SFTP login."
            )
        if not self.inbox and not self.outbox:
            raise SftpConfigError("The SFTP inbox folder is not set.")
        if not self.timeout or self.timeout <= 0:
            raise SftpConfigError(
                "The SFTP timeout must be a positive number of seconds."
            )


class Step(NamedTuple):
    """One successful step of :func:`test_connection`."""

    step: str
    detail: str


class RemoteFile(NamedTuple):
    name: str
    size: int
    mtime: int


class Claim(NamedTuple):
    """A file of the inbox claimed by a poller (see :meth:`SftpClient.claim`)."""

    name: str  # its hidden name in the inbox
    original_name: str
    owner: str


# -- keys -----------------------------------------------------------------------------


def fingerprint(key):
    """Return OpenSSH's ``SHA256:...`` fingerprint of a paramiko key."""
    return key.fingerprint


def key_line(key):
    """Return ``type base64`` of a paramiko public key."""
    return f"{key.get_name()} {key.get_base64()}"


def parse_host_keys(text):
    """Return the paramiko public keys written in ``text``.

    :raise SftpConfigError: when no key is given or a line is not a public key.
    """
    keys = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = line.split()
        if fields[0].startswith("@"):
            raise SftpConfigError(
                f"Line {number} of the host key has the marker {fields[0]}: give the "
                "server's key itself.",
                line=number,
            )
        position = next(
            (
                index
                for index, field in enumerate(fields[:2])
                if field in HOST_KEY_TYPES
            ),
            None,
        )
        if position is None or position + 1 >= len(fields):
            raise SftpConfigError(
                f"Line {number} of the host key is not a public key such as "
                "'ssh-ed25519 AAAA...' (key types accepted: "
                f"{', '.join(HOST_KEY_TYPES)}).",
                line=number,
            )
        key_type, data = fields[position], fields[position + 1]
        try:
            key = paramiko.PKey.from_type_string(
                key_type, base64.b64decode(data, validate=True)
            )
        except (
            binascii.Error,
            ValueError,
            paramiko.SSHException,
            TypeError,
            IndexError,
        ):
            key = None
        if key is None or key.get_name() != key_type:
            raise SftpConfigError(
                f"Line {number} of the host key is not a valid {key_type} key.",
                line=number,
            )
        keys.append(key)
    if not keys:
        raise SftpConfigError(
            "The server's host key is required: ask the server's administrator for "
            "it (or read it with ssh-keyscan and check its fingerprint with them)."
        )
    return keys


def host_key_fingerprints(text):
    """Return ``type SHA256:...`` for each key of a host key setting (for display)."""
    return [f"{key.get_name()} {fingerprint(key)}" for key in parse_host_keys(text)]


_PRIVATE_KEY_CLASSES = (paramiko.Ed25519Key, paramiko.ECDSAKey, paramiko.RSAKey)


def load_private_key(text, passphrase=None):
    """Return the paramiko private key written in ``text``.

    :raise SftpConfigError: when it cannot be read (the message never quotes it).
    """
    text = text.strip().replace("\r\n", "\n").replace("\r", "\n") + "\n"
    for key_class in _PRIVATE_KEY_CLASSES:
        try:
            return key_class.from_private_key(
                io.StringIO(text), password=passphrase or None
            )
        except paramiko.PasswordRequiredException:
            raise SftpConfigError(
                "The private key is protected by a passphrase, which is not set."
            ) from None
        except (
            paramiko.SSHException,
            ValueError,
            TypeError,
            IndexError,
            AssertionError,
            UnicodeError,
        ):
            continue
    raise SftpConfigError(
        "The private key could not be read: it is not an RSA, ECDSA or Ed25519 "
        "private key in PEM or OpenSSH format, or its passphrase is wrong."
    )


# -- names


def is_temporary(name):
    """Whether ``name`` is a file still being uploaded (.tmp, .part, .filepart)."""
    return name.lower().endswith(TEMPORARY_SUFFIXES)


def _check_name(name):
    if not name or "/" in name or name in (".", "..") or "\x00" in name:
        raise ValueError(f"{name!r} is not a file name.")
    return name


def claim_name(name, owner):
    """Return the hidden name under which ``owner`` claims ``name``."""
    if not _OWNER_RE.fullmatch(owner or ""):
        raise ValueError("A claim owner is 1 to 64 letters, digits or underscores.")
    return f"{CLAIM_PREFIX}{owner}-{_check_name(name)}"


def parse_claim(name):
    """Return the :class:`Claim` a hidden name stands for, or None."""
    match = _CLAIM_RE.fullmatch(name)
    if not match:
        return None
    return Claim(name, match.group(2), match.group(1))


def _seconds(value):
    return f"{value:g} second" + ("" if value == 1 else "s")


def _numbered(name, number):
    stem, dot, extension = name.rpartition(".")
    if not dot or not stem:
        return f"{name}-{number}"
    return f"{stem}-{number}.{extension}"


# -- client


class SftpClient:
    """An SFTP session with a retailer's server.

    Use as a context manager (``with SftpClient(settings) as sftp:``), or
    call :meth:`connect` and :meth:`close`. File names are names inside a
    folder (no ``/``); folders default to the settings' inbox.
    """

    def __init__(self, settings):
        self.settings = settings
        self.steps = []
        self._transport = None
        self._sftp = None

    def __enter__(self):
        self.connect()
        return self

    def __exit__(self, *exc_info):
        self.close()

    # -- connecting --------------------------------------------------------------------

    def _secrets(self):
        settings = self.settings
        values = [settings.password, settings.private_key_passphrase]
        if settings.private_key:
            values.extend(
                line.strip()
                for line in settings.private_key.splitlines()
                if len(line.strip()) >= 8
            )
        return [value for value in values if value]

    def _scrub(self, text):
        """Remove any secret of the settings from a message taken from a library."""
        for secret in self._secrets():
            text = text.replace(secret, "***")
        return text

    def connect(self):
        """Open the SSH session and the SFTP channel, checking the host key.

        :raise SftpError: a subclass telling what failed.
        """
        settings = self.settings
        settings._check_fields()
        host_keys = parse_host_keys(settings.host_key)
        pkey = (
            load_private_key(settings.private_key, settings.private_key_passphrase)
            if settings.private_key
            else None
        )
        sock = self._open_socket()
        try:
            transport = self._handshake(sock, host_keys)
        except BaseException:
            sock.close()
            raise
        self._transport = transport
        try:
            self._authenticate(pkey)
            self._open_sftp()
        except BaseException:
            self.close()
            raise
        return self

    def _open_socket(self):
        settings = self.settings
        host, port, timeout = settings.host.strip(), settings.port, settings.timeout
        try:
            addresses = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise SftpDnsError(
                f"The host name {host} could not be resolved (DNS): "
                f"{exc.strerror or exc}.",
                host=host,
            ) from None
        except UnicodeError:
            raise SftpDnsError(
                f"The host name {host} is not a valid host name.", host=host
            ) from None
        shown = ", ".join(dict.fromkeys(address[4][0] for address in addresses))
        self.steps.append(Step("dns", f"{host} resolved to {shown}"))
        failures = []
        for family, kind, proto, _name, address in addresses:
            sock = socket.socket(family, kind, proto)
            sock.settimeout(timeout)
            try:
                sock.connect(address)
            except OSError as exc:
                sock.close()
                failures.append((address[0], exc))
                continue
            self.steps.append(
                Step("connect", f"TCP connection to {address[0]} port {port}")
            )
            return sock
        refused = [
            address
            for address, exc in failures
            if isinstance(exc, ConnectionRefusedError)
        ]
        timed_out = [
            address for address, exc in failures if isinstance(exc, TimeoutError)
        ]
        if refused:
            raise SftpConnectionRefusedError(
                f"The connection to {host} port {port} was refused: no SSH server "
                "listens on that port, or a firewall rejects us.",
                host=host,
                port=port,
            )
        if timed_out:
            raise SftpTimeoutError(
                f"{host} port {port} did not answer within {_seconds(timeout)} (a "
                "firewall may drop the connection).",
                host=host,
                port=port,
                timeout=timeout,
            )
        reason = (
            failures[-1][1].strerror or str(failures[-1][1])
            if failures
            else "no address"
        )
        raise SftpNetworkError(
            f"{host} port {port} could not be reached: {reason}.", host=host, port=port
        )

    def _handshake(self, sock, host_keys):
        settings = self.settings
        host, port, timeout = settings.host.strip(), settings.port, settings.timeout
        # wait for the server's greeting ourselves, to tell a silent server
        # (timeout) from one that hangs up at once
        try:
            greeting = sock.recv(4, socket.MSG_PEEK)
        except TimeoutError:
            raise SftpTimeoutError(
                f"{host} port {port} accepted the connection but sent no SSH "
                f"greeting within {_seconds(timeout)}.",
                host=host,
                port=port,
                timeout=timeout,
            ) from None
        except OSError as exc:
            raise SftpProtocolError(
                f"The connection to {host} port {port} broke before the SSH "
                f"greeting: {exc.strerror or exc}.",
                host=host,
                port=port,
            ) from None
        if not greeting:
            raise SftpProtocolError(
                f"{host} port {port} closed the connection without an SSH greeting "
                "(the server may refuse our address, or be overloaded).",
                host=host,
                port=port,
            )
        transport = paramiko.Transport(sock)
        transport.banner_timeout = timeout
        transport.handshake_timeout = timeout
        transport.auth_timeout = timeout
        options = transport.get_security_options()
        preferred = []
        for key in host_keys:
            preferred.extend(_NEGOTIATED_TYPES.get(key.get_name(), (key.get_name(),)))
        available = list(options.key_types)
        options.key_types = [
            kind for kind in dict.fromkeys(preferred) if kind in available
        ] + [kind for kind in available if kind not in preferred]
        done = threading.Event()
        try:
            transport.start_client(event=done)
        except (paramiko.SSHException, OSError, EOFError) as exc:
            transport.close()
            raise SftpProtocolError(
                f"The SSH handshake with {host} port {port} failed: "
                f"{self._scrub(str(exc))}.",
                host=host,
                port=port,
            ) from None
        if not done.wait(timeout):
            transport.close()
            raise SftpTimeoutError(
                f"The SSH handshake with {host} port {port} did not finish within "
                f"{_seconds(timeout)}.",
                host=host,
                port=port,
                timeout=timeout,
            )
        if not transport.is_active():
            exc = transport.get_exception()
            transport.close()
            reason = (
                self._scrub(str(exc)) if exc else "the server closed the connection"
            )
            raise SftpProtocolError(
                f"The SSH handshake with {host} port {port} failed: {reason}.",
                host=host,
                port=port,
            )
        self._check_host_key(transport, host_keys)
        return transport

    def _check_host_key(self, transport, host_keys):
        settings = self.settings
        host, port = settings.host.strip(), settings.port
        presented = transport.get_remote_server_key()
        if any(
            presented.get_name() == key.get_name()
            and presented.asbytes() == key.asbytes()
            for key in host_keys
        ):
            self.steps.append(
                Step(
                    "host_key",
                    f"server host key {presented.get_name()} "
                    f"{fingerprint(presented)} is the configured one",
                )
            )
            return
        transport.close()
        same_type = [key for key in host_keys if key.get_name() == presented.get_name()]
        params = {
            "host": host,
            "port": port,
            "key_type": presented.get_name(),
            "fingerprint": fingerprint(presented),
            "expected": ", ".join(
                f"{key.get_name()} {fingerprint(key)}" for key in host_keys
            ),
        }
        if same_type:
            raise SftpHostKeyMismatchError(
                f"Refused: the host key of {host} port {port} is not the configured "
                f"one. The server presented {params['key_type']} "
                f"{params['fingerprint']}, the connection expects "
                f"{params['expected']}. The key changed, or this is not the "
                "retailer's server: check with its administrator before replacing "
                "the key.",
                presented_key=key_line(presented),
                **params,
            )
        raise SftpHostKeyUnknownError(
            f"Refused: {host} port {port} presented a {params['key_type']} host key "
            f"({params['fingerprint']}), and no key of that type is configured "
            f"(configured: {params['expected']}). Check the key with the server's "
            "administrator before adding it.",
            presented_key=key_line(presented),
            **params,
        )

    def _authenticate(self, pkey):
        settings = self.settings
        transport = self._transport
        username = settings.username
        tried = []
        allowed = None
        attempts = []
        if pkey is not None:
            attempts.append(("the private key", transport.auth_publickey, pkey))
        if settings.password:
            attempts.append(
                ("the password", transport.auth_password, settings.password)
            )
        try:
            for method, authenticate, credential in attempts:
                if transport.is_authenticated():
                    break
                tried.append(method)
                # a refusal leaves the transport unauthenticated: try the next way
                with contextlib.suppress(paramiko.AuthenticationException):
                    try:
                        authenticate(username, credential)
                    except paramiko.BadAuthenticationType as exc:
                        allowed = exc.allowed_types
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise self._lost("logging in", exc) from None
        if not transport.is_authenticated():
            accepted = f" (the server accepts: {', '.join(allowed)})" if allowed else ""
            raise SftpAuthenticationError(
                f"The server refused the login of user {username} with "
                f"{' and '.join(tried)}{accepted}.",
                username=username,
                methods=tried,
            )
        self.steps.append(
            Step("login", f"logged in as {username} with {' and '.join(tried[-1:])}")
        )

    def _open_sftp(self):
        try:
            self._sftp = paramiko.SFTPClient.from_transport(self._transport)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            if not self._transport.is_active():
                raise self._lost("opening the SFTP session", exc) from None
            raise SftpProtocolError(
                "The server does not offer SFTP to this user (the SSH login worked).",
                host=self.settings.host,
            ) from None
        self._sftp.get_channel().settimeout(self.settings.timeout)
        self.steps.append(Step("sftp", "SFTP session opened"))

    def close(self):
        """Close the session; safe to call twice."""
        sftp, transport = self._sftp, self._transport
        self._sftp = self._transport = None
        if sftp is not None:
            with contextlib.suppress(Exception):
                sftp.close()
        if transport is not None:
            with contextlib.suppress(Exception):
                transport.close()

    # -- operations

    def _lost(self, action, exc):
        if isinstance(exc, TimeoutError):
            return SftpTimeoutError(
                f"The server did not answer within {_seconds(self.settings.timeout)} "
                f"while {action}.",
                action=action,
                timeout=self.settings.timeout,
            )
        return SftpConnectionLostError(
            f"The connection to {self.settings.host} broke while {action}.",
            action=action,
            host=self.settings.host,
        )

    @contextlib.contextmanager
    def _operation(self, action, path):
        """Turn what paramiko raises during ``action`` on ``path`` into SftpError."""
        if self._sftp is None:
            raise SftpConnectionLostError(
                f"Not connected: cannot go on {action}.", action=action, path=path
            )
        try:
            yield
        except UnicodeDecodeError:
            raise SftpFileNameError(
                f"A file name in {path} is not UTF-8 text: rename it ({action}).",
                path=path,
                action=action,
            ) from None
        except (EOFError, paramiko.SSHException, OSError) as exc:
            transport = self._transport
            if isinstance(exc, TimeoutError):
                raise self._lost(action, exc) from None
            if (
                transport is None
                or not transport.is_active()
                or isinstance(exc, EOFError | paramiko.SSHException)
            ):
                raise self._lost(action, exc) from None
            if isinstance(exc, FileNotFoundError) or exc.errno == errno.ENOENT:
                raise SftpFileNotFoundError(
                    f"{path} does not exist ({action}).", path=path, action=action
                ) from None
            if isinstance(exc, PermissionError) or exc.errno == errno.EACCES:
                raise SftpPermissionError(
                    f"Permission denied on {path} ({action}).", path=path, action=action
                ) from None
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise SftpFileError(
                f"{action.capitalize()} {path} failed: {reason}.",
                path=path,
                action=action,
            ) from None

    def _path(self, folder, name):
        return posixpath.join(folder, _check_name(name))

    def _exists(self, path):
        with self._operation("checking", path):
            try:
                self._sftp.stat(path)
            except FileNotFoundError:
                return False
            except OSError as exc:
                if exc.errno == errno.ENOENT:
                    return False
                raise
        return True

    def check_folders(self):
        """Check that each configured folder exists and is a folder.

        :return: a :class:`Step` per folder.
        :raise SftpFolderMissingError: naming the first missing folder and its role.
        """
        steps = []
        for role, folder in self.settings.folders():
            with self._operation(f"checking the {role} folder", folder):
                try:
                    attributes = self._sftp.stat(folder)
                except FileNotFoundError:
                    attributes = None
            if attributes is None:
                raise SftpFolderMissingError(
                    f"The {role} folder {folder} does not exist on the server.",
                    folder=folder,
                    role=role,
                )
            if attributes.st_mode is not None and not stat.S_ISDIR(attributes.st_mode):
                raise SftpFolderMissingError(
                    f"The {role} folder {folder} is a file, not a folder.",
                    folder=folder,
                    role=role,
                    is_file=True,
                )
            steps.append(Step(f"folder_{role}", f"{role} folder {folder} exists"))
            self.steps.append(steps[-1])
        return steps

    def list_files(self, folder=None):
        """Return the files ready in ``folder`` (the inbox by default), sorted
        by name: regular files only, without hidden names (starting with a
        dot, claims included) nor names of uploads in progress (.tmp, .part,
        .filepart)."""
        folder = folder or self.settings.inbox
        with self._operation("listing", folder):
            try:
                entries = self._sftp.listdir_attr(folder)
            except FileNotFoundError:
                raise SftpFolderMissingError(
                    f"The folder {folder} does not exist on the server.",
                    folder=folder,
                    role="inbox",
                ) from None
        files = []
        for entry in entries:
            name = entry.filename
            if name.startswith(".") or is_temporary(name):
                continue
            if entry.st_mode is not None and not stat.S_ISREG(entry.st_mode):
                continue
            files.append(RemoteFile(name, entry.st_size or 0, entry.st_mtime or 0))
        return sorted(files)

    def list_inbox(self):
        """Return the names of the files ready in the inbox, sorted."""
        return [remote.name for remote in self.list_files(self.settings.inbox)]

    def read(self, name, folder=None, max_size=None):  # pylint: disable=method-required-super
        """Return the content of a file of ``folder`` (the inbox by default).

        :raise SftpFileTooLargeError: when it is larger than ``max_size`` bytes.
        :raise SftpFileChangedError: when its size changed while it was read.
        :raise SftpConnectionLostError: when the connection broke meanwhile.
        """
        path = self._path(folder or self.settings.inbox, name)
        with self._operation("reading", path):
            with self._sftp.open(path, "rb") as remote:
                size = remote.stat().st_size
                if max_size is not None and size is not None and size > max_size:
                    raise SftpFileTooLargeError(
                        f"{path} is {size:,} bytes long; at most {max_size:,} are "
                        "read.",
                        path=path,
                        size=size,
                    )
                if size:
                    remote.prefetch(size)
                data = remote.read()
        if size is not None and len(data) != size:
            raise SftpFileChangedError(
                f"{path} changed while it was read ({len(data):,} bytes read, "
                f"{size:,} expected): it is probably still being uploaded.",
                path=path,
            )
        return data

    def _rename_free(self, source, folder, name):
        """Rename ``source`` to ``folder/name``, numbering the name when it is
        taken; return the new path. Plain SFTP rename never overwrites."""
        for number in range(1, _MAX_SUFFIX + 1):
            candidate = name if number == 1 else _numbered(name, number)
            target = posixpath.join(folder, candidate)
            if self._exists(target):
                continue
            try:
                with self._operation("moving", source):
                    self._sftp.rename(source, target)
                return target
            except SftpFileError as exc:
                # taken in between by someone else, or the source is gone
                if not self._exists(target):
                    raise
                if not self._exists(source):
                    raise SftpFileNotFoundError(
                        f"{source} does not exist (moving).", path=source
                    ) from exc
        raise SftpFileError(f"No free name for {name} in {folder}.", path=source)

    def free_name(self, folder, name, companion_suffix="", companion_data=None):
        """The first of ``name``, ``name-2``, ``name-3``... that is free in
        ``folder``, together with its companion file (``name`` +
        ``companion_suffix``, an error file beside its CSV), unless that one
        already holds ``companion_data``: written by an earlier try that broke
        before the move."""
        for number in range(1, _MAX_SUFFIX + 1):
            candidate = name if number == 1 else _numbered(name, number)
            if self._exists(self._path(folder, candidate)):
                continue
            companion = candidate + companion_suffix
            if (
                companion_suffix
                and self._exists(self._path(folder, companion))
                and self.read(companion, folder=folder) != companion_data
            ):
                continue
            return candidate
        raise SftpFileError(
            f"No free name for {name} in {folder}.", path=self._path(folder, name)
        )

    def move(self, name, folder, *, source_folder=None, target_name=None):
        """Move a file of ``source_folder`` (the inbox by default) into ``folder``.

        The file keeps its name (a claimed file gets its original name back)
        unless ``target_name`` is given; when the name is taken in ``folder``,
        ``-2``, ``-3``... is added before the extension rather than
        overwriting. Return the new path.
        """
        source = self._path(source_folder or self.settings.inbox, name)
        if target_name is None:
            claim = parse_claim(name)
            target_name = claim.original_name if claim else name
        if not folder:
            raise ValueError("No folder to move the file to.")
        return self._rename_free(source, folder, _check_name(target_name))

    def write_atomic(self, folder, name, data):
        """Write ``data`` to ``folder/name`` so that nobody sees it half
        written: under ``name + '.tmp'`` first, renamed once complete.

        An existing file of that name is replaced (a retried write gives the
        same file, not a second one). Return the path written.
        """
        path = self._path(folder, name)
        temporary = path + TEMPORARY_UPLOAD_SUFFIX
        with self._operation("writing", temporary):
            with self._sftp.open(temporary, "wb") as remote:
                remote.set_pipelined(True)
                remote.write(data)
            written = self._sftp.stat(temporary).st_size
        if written is not None and written != len(data):
            raise SftpFileChangedError(
                f"{temporary} holds {written:,} bytes instead of {len(data):,}.",
                path=temporary,
            )
        try:
            with self._operation("renaming", temporary):
                self._sftp.posix_rename(temporary, path)
        except SftpFileError:
            # a server without OpenSSH's posix-rename: replace in two steps
            if self._exists(path):
                with self._operation("replacing", path):
                    self._sftp.remove(path)
            with self._operation("renaming", temporary):
                self._sftp.rename(temporary, path)
        return path

    def claim(self, name, owner):
        """Take a file of the inbox for ``owner`` by renaming it to a hidden
        name; return that name, or None when the file is gone (another
        poller took it) or the same name is already claimed by this owner."""
        inbox = self.settings.inbox
        source = self._path(inbox, name)
        target = self._path(inbox, claim_name(name, owner))
        try:
            with self._operation("claiming", source):
                self._sftp.rename(source, target)
        except SftpFileError:
            if not self._exists(source) or self._exists(target):
                return None
            raise
        return posixpath.basename(target)

    def list_claims(self, owner=None):
        """Return the claims in the inbox, sorted by name; only those of
        ``owner`` when given."""
        inbox = self.settings.inbox
        with self._operation("listing", inbox):
            names = self._sftp.listdir(inbox)
        claims = [claim for claim in map(parse_claim, names) if claim]
        return sorted(
            claim for claim in claims if owner is None or claim.owner == owner
        )

    def release(self, claimed_name):
        """Give a claimed file back to the inbox under its original name (numbered
        when that name is taken again); return its path."""
        claim = parse_claim(claimed_name)
        if claim is None:
            raise ValueError(f"{claimed_name!r} is not a claimed file name.")
        inbox = self.settings.inbox
        return self._rename_free(
            self._path(inbox, claimed_name), inbox, claim.original_name
        )

    def remove(self, name, folder=None):
        """Delete a file of ``folder`` (the inbox by default)."""
        path = self._path(folder or self.settings.inbox, name)
        with self._operation("removing", path):
            self._sftp.remove(path)


def test_connection(settings):
    """Connect, check the host key, log in, open SFTP and check every
    configured folder.

    :return: the list of :class:`Step` that succeeded.
    :raise SftpError: the subclass of the first failure, with the steps that
        succeeded before it in its ``steps``.
    """
    client = SftpClient(settings)
    try:
        client.connect()
        client.check_folders()
        return list(client.steps)
    except SftpError as exc:
        exc.steps = list(client.steps)
        raise
    finally:
        client.close()


# pytest must not collect test_connection as a test when a test module imports it.
test_connection.__test__ = False
