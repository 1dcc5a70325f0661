"""A throwaway OpenSSH server on 127.0.0.1, for the tests of the SFTP client.

Plain Python, no pytest: the pytest tests of ``tools`` use it through a
session fixture, and the addon's Odoo tests can load this file by path too.

:class:`SshdServer` generates host keys and user keys with ``ssh-keygen`` in
a temporary folder, writes its own ``sshd_config`` there (no PAM, internal
SFTP server, authorised keys and PID file in the folder, listening on
127.0.0.1 only, on a free port) and runs ``/usr/sbin/sshd -D`` in the
foreground. The login is the user running the tests.

Password logins need a password for that user. When the tests run as root,
sshd is started in a private mount namespace (``unshare --mount``) in which a
copy of ``/etc/shadow`` giving root a throwaway password is bind-mounted over
the real one: the machine's accounts are never changed. Elsewhere
``password`` is None and password logins cannot be tested.
"""

import contextlib
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path

SSHD = "/usr/sbin/sshd"
SSH_KEYGEN = shutil.which("ssh-keygen") or "/usr/bin/ssh-keygen"
HOST = "127.0.0.1"

# Host keys of the server, and user keys: the first three are authorised,
# "stranger" is not. RSA and ECDSA user keys are written in PEM, Ed25519 in
# OpenSSH's own format, so both encodings are exercised.
HOST_KEY_TYPES = ("ed25519", "ecdsa", "rsa")
USER_KEYS = {
    "ed25519": ("ed25519", []),
    "rsa": ("rsa", ["-b", "2048", "-m", "PEM"]),
    "ecdsa": ("ecdsa", ["-b", "256", "-m", "PEM"]),
    "stranger": ("ed25519", []),
}
KEY_PASSPHRASE = "correct horse battery staple"


def sshd_available():
    return (
        os.path.isfile(SSHD) and os.access(SSHD, os.X_OK) and os.path.isfile(SSH_KEYGEN)
    )


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _keygen(path, key_type, extra, passphrase=""):
    subprocess.run(
        [
            SSH_KEYGEN,
            "-q",
            "-t",
            key_type,
            *extra,
            "-N",
            passphrase,
            "-C",
            path.name,
            "-f",
            str(path),
        ],
        check=True,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _password_hash(password):
    openssl = shutil.which("openssl")
    if openssl:
        result = subprocess.run(
            [openssl, "passwd", "-6", "-stdin"],
            input=password,
            capture_output=True,
            text=True,
            check=True,
        )
        return result.stdout.strip()
    import crypt  # noqa: PLC0415 - deprecated module, only when openssl is missing

    return crypt.crypt(password, crypt.mksalt(crypt.METHOD_SHA512))


class SshdServer:
    """An sshd listening on 127.0.0.1 with keys of its own in ``workdir``."""

    def __init__(self, workdir):
        self.workdir = Path(workdir)
        self.host = HOST
        self.port = None
        self.user = pwd.getpwuid(os.getuid()).pw_name
        self.password = None
        self.process = None
        self.log_path = self.workdir / "sshd.log"
        self.root = self.workdir / "files"

    # -- keys ------------------------------------------------------------------

    def host_key_path(self, key_type="ed25519"):
        return self.workdir / f"ssh_host_{key_type}_key"

    def host_key_line(self, key_type="ed25519"):
        """The public host key as ``type base64`` (what an admin pastes)."""
        key_type_name, data = (
            self.host_key_path(key_type).with_suffix(".pub").read_text().split()[:2]
        )
        return f"{key_type_name} {data}"

    def user_key(self, name="ed25519"):
        """The text of a user private key."""
        return (self.workdir / f"user_{name}").read_text()

    @property
    def encrypted_user_key(self):
        return (self.workdir / "user_encrypted").read_text()

    def _make_keys(self):
        for key_type in HOST_KEY_TYPES:
            extra = ["-b", "2048"] if key_type == "rsa" else []
            _keygen(self.host_key_path(key_type), key_type, extra)
        authorized = []
        for name, (key_type, extra) in USER_KEYS.items():
            path = self.workdir / f"user_{name}"
            _keygen(path, key_type, extra)
            if name != "stranger":
                authorized.append(path.with_suffix(".pub").read_text())
        encrypted = self.workdir / "user_encrypted"
        # few KDF rounds: the key is decrypted several times by the tests
        _keygen(encrypted, "ed25519", ["-a", "2"], passphrase=KEY_PASSPHRASE)
        authorized.append(encrypted.with_suffix(".pub").read_text())
        (self.workdir / "authorized_keys").write_text("".join(authorized))

    # -- process -----------------------------------------------------------------

    def _write_config(self):
        lines = [
            f"ListenAddress {self.host}:{self.port}",
            *(f"HostKey {self.host_key_path(key_type)}" for key_type in HOST_KEY_TYPES),
            f"PidFile {self.workdir / 'sshd.pid'}",
            f"AuthorizedKeysFile {self.workdir / 'authorized_keys'}",
            "StrictModes no",
            "UsePAM no",
            "PermitRootLogin yes",
            "PubkeyAuthentication yes",
            "PasswordAuthentication yes",
            "KbdInteractiveAuthentication no",
            "UseDNS no",
            "MaxStartups 50",
            "MaxSessions 50",
            "LoginGraceTime 30",
            "LogLevel VERBOSE",
            "Subsystem sftp internal-sftp",
        ]
        config = self.workdir / "sshd_config"
        config.write_text("\n".join(lines) + "\n")
        return config

    def _command(self, config):
        sshd = [SSHD, "-D", "-e", "-f", str(config)]
        if (
            os.geteuid() != 0
            or not shutil.which("unshare")
            or not shutil.which("mount")
        ):
            return sshd
        # root: give root a throwaway password inside a private mount namespace
        self.password = secrets.token_urlsafe(18)
        shadow = self.workdir / "shadow"
        entries = []
        with open("/etc/shadow", encoding="utf-8") as real:
            for entry in real:
                fields = entry.rstrip("\n").split(":")
                if fields[0] == self.user:
                    fields[1] = _password_hash(self.password)
                    # no expiry nor forced change for the throwaway password
                    fields[2:5] = ["19000", "0", "99999"]
                entries.append(":".join(fields))
        shadow.write_text("\n".join(entries) + "\n")
        shadow.chmod(0o600)
        script = 'mount --bind "$1" /etc/shadow && shift && exec "$@"'
        return [
            "unshare",
            "--mount",
            "--propagation",
            "private",
            "/bin/sh",
            "-c",
            script,
            "sh",
            str(shadow),
            *sshd,
        ]

    def start(self, timeout=15):
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.root.mkdir(exist_ok=True)
        self._make_keys()
        if os.geteuid() == 0:
            # privilege separation directory of Debian's sshd
            os.makedirs("/run/sshd", mode=0o755, exist_ok=True)
        last_error = None
        for _attempt in range(5):
            self.port = free_port()
            config = self._write_config()
            with open(self.log_path, "ab") as log:
                self.process = subprocess.Popen(
                    self._command(config),
                    stdin=subprocess.DEVNULL,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            try:
                self._wait_ready(timeout)
                return self
            except RuntimeError as exc:
                last_error = exc
                self.stop()
        raise RuntimeError(f"sshd did not start: {last_error}")

    def _wait_ready(self, timeout):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"sshd exited with {self.process.returncode}: {self.log()[-2000:]}"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection((self.host, self.port), timeout=1) as sock,
            ):
                if sock.recv(8).startswith(b"SSH-"):
                    return
            time.sleep(0.05)
        raise RuntimeError(
            f"sshd did not answer within {timeout} s: {self.log()[-2000:]}"
        )

    def log(self):
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def session_pids(self):
        """PIDs of the processes sshd runs for open connections (its children)."""
        if self.process is None:
            return []
        parents = {self.process.pid}
        found = []
        changed = True
        while changed:
            changed = False
            for entry in Path("/proc").iterdir():
                if not entry.name.isdigit() or int(entry.name) in found:
                    continue
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                ppid = int(stat.rsplit(")", 1)[1].split()[1])
                if ppid in parents:
                    found.append(int(entry.name))
                    parents.add(int(entry.name))
                    changed = True
        return found

    def stop(self):
        if self.process is None:
            return
        children = self.session_pids()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        for pid in children:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, 15)
        self.process = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc_info):
        self.stop()
