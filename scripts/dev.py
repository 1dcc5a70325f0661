#!/usr/bin/env python3
"""Developer commands of the b2b_dropship addon, called by the Makefile.

    dev.py deps        install what is missing (system packages as root on
                       Debian, Python packages of requirements.txt)
    dev.py run         serve the demo database b2b_demo on localhost:8069
    dev.py test        Odoo-free tests of tools/, then the addon's Odoo tests
    dev.py test-core   Odoo's own tests of sale_stock, purchase_stock and
                       stock_dropshipping with the addon installed
    dev.py lint        ruff and pylint-odoo
    dev.py format      ruff format and ruff's safe fixes
    dev.py stop        stop the private PostgreSQL cluster

Only the standard library is used here: this script runs before anything is
installed. Nothing of Odoo is installed by it: Odoo 18.0 is found, either as
the ``odoo`` package importable by ``$PYTHON`` (default ``python3``) or as the
source folder named by ``$ODOO_PATH``.
"""

import argparse
import ast
import contextlib
import fcntl
import hashlib
import json
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import odoo_log  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
ADDON = "b2b_dropship"
STATE = ROOT / ".state"
LOGS = STATE / "logs"
LOCKS = STATE / "locks"
DATA_DIR = STATE / "data"
ADDONS_LINK_DIR = STATE / "addons"
EXPECTED_SKIPS = ROOT / "tests" / "expected_skips.txt"
DEMO_DB = "b2b_demo"
PG_ROLE = "odoo"  # Odoo refuses to connect as "postgres"
CORE_MODULES = ["sale_stock", "purchase_stock", "stock_dropshipping"]
DEMO_USERS = [
    ("administrator", "admin", "admin"),
    ("demo retailer (portal)", "retailer1@example.com", "retailer1"),
]

APT_PACKAGES = {
    # Debian package -> how to tell it is there
    "postgresql": lambda: bool(pg_bindir()) and bool(which("psql")),
    "wkhtmltopdf": lambda: bool(which("wkhtmltopdf")),
    "chromium": lambda: bool(chrome_path()),
    "openssh-server": lambda: os.path.exists("/usr/sbin/sshd") or bool(which("sshd")),
    "poppler-utils": lambda: bool(which("pdftotext")),
    # a Chinese font: packing slips are printed in Simplified Chinese too
    "fonts-wqy-zenhei": lambda: os.path.exists(
        "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
    ),
}

IS_ROOT = os.geteuid() == 0


class Failure(Exception):
    """A clear, one-line reason to stop."""


def say(message):
    print(f"[b2b] {message}", flush=True)


def env_flag(name):
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def which(name):
    return shutil.which(name)


def python_cmd():
    """The Python that runs Odoo and the tests, as an argv prefix."""
    return shlex.split(os.environ.get("PYTHON") or "python3")


# ---------------------------------------------------------------------------
# Installing what is missing
# ---------------------------------------------------------------------------


def pg_bindir():
    """Folder holding initdb/pg_ctl/postgres (Debian keeps them off PATH)."""
    found = which("pg_ctl")
    if found and which("initdb"):
        return str(Path(os.path.realpath(found)).parent)
    versions = []
    for path in Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"):
        try:
            versions.append((float(path.parent.parent.name), path.parent))
        except ValueError:
            continue
    if versions:
        return str(max(versions)[1])
    return None


def pg_tool(name):
    bindir = pg_bindir()
    if bindir and os.path.exists(os.path.join(bindir, name)):
        return os.path.join(bindir, name)
    return which(name)


def chrome_path():
    for name in (
        "chromium",
        "chromium-browser",
        "google-chrome",
        "google-chrome-stable",
    ):
        if which(name):
            return which(name)
    return None


def install_system_packages():
    missing = [pkg for pkg, present in APT_PACKAGES.items() if not present()]
    if not missing:
        return
    if env_flag("B2B_NO_INSTALL"):
        say(f"missing system packages (B2B_NO_INSTALL is set): {' '.join(missing)}")
        return
    if not (IS_ROOT and which("apt-get")):
        say(
            "missing system packages: "
            + " ".join(missing)
            + " (run as root on Debian to have them installed, or install them)"
        )
        return
    say(f"installing system packages: {' '.join(missing)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update"], env=env, check=True, stdin=subprocess.DEVNULL)
    subprocess.run(
        ["apt-get", "install", "-y", *missing],
        env=env,
        check=True,
        stdin=subprocess.DEVNULL,
    )


def requirement_names(path):
    names = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        names.append(re.split(r"[\s\[<>=!~;]", line, maxsplit=1)[0])
    return names


def missing_distributions(names):
    """Names of ``names`` not installed for $PYTHON (None if $PYTHON is unusable)."""
    probe = (
        "import sys, json\n"
        "from importlib import metadata\n"
        "missing = []\n"
        "for name in json.loads(sys.argv[1]):\n"
        "    try:\n"
        "        metadata.version(name)\n"
        "    except metadata.PackageNotFoundError:\n"
        "        missing.append(name)\n"
        "print(json.dumps(missing))\n"
    )
    try:
        out = subprocess.run(
            [*python_cmd(), "-c", probe, json.dumps(names)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return json.loads(out)


def install_python_requirements(path):
    names = requirement_names(path)
    missing = missing_distributions(names)
    if missing is None:
        say(f"cannot run {' '.join(python_cmd())} to check Python packages")
        return
    if not missing:
        return
    if env_flag("B2B_NO_INSTALL"):
        say(f"missing Python packages (B2B_NO_INSTALL is set): {' '.join(missing)}")
        return
    say(f"installing Python packages from {Path(path).name}: {' '.join(missing)}")
    cmd = [*python_cmd(), "-m", "pip", "install", "-q", "-r", str(path)]
    result = subprocess.run(cmd, capture_output=True, text=True)
    if (
        result.returncode
        and "externally-managed-environment" in result.stderr
        and (IS_ROOT or env_flag("CI"))
    ):
        result = subprocess.run(
            [*cmd, "--break-system-packages"], capture_output=True, text=True
        )
    if result.returncode:
        sys.stderr.write(result.stdout + result.stderr)
        raise Failure(f"pip could not install {Path(path).name}")


def install_deps(dev=False):
    install_system_packages()
    install_python_requirements(ROOT / "requirements.txt")
    if dev:
        install_python_requirements(ROOT / "requirements-dev.txt")


# ---------------------------------------------------------------------------
# Finding Odoo
# ---------------------------------------------------------------------------

ODOO_PROBE = """
import json, os, sys
import odoo
from odoo import release
print(json.dumps({
    "file": os.path.dirname(os.path.abspath(odoo.__file__)),
    "version": release.version,
    "version_info": list(release.version_info[:2]),
}))
"""


class Odoo:
    def __init__(self, package_dir, version, version_info, launcher, env):
        self.package_dir = Path(package_dir)
        self.version = version
        self.version_info = version_info
        self.launcher = launcher
        self.env = env  # extra environment (PYTHONPATH for ODOO_PATH)

    @property
    def addons_paths(self):
        paths = []
        for candidate in (
            self.package_dir / "addons",
            self.package_dir.parent / "addons",
        ):
            if candidate.is_dir() and any(candidate.glob("*/__manifest__.py")):
                paths.append(str(candidate))
        return paths

    def describe(self):
        return f"Odoo {self.version} at {self.package_dir}"


HOW_TO_PROVIDE = (
    "install Odoo 18.0 Community so that `{py} -c 'import odoo'` works, "
    "or set ODOO_PATH to its source folder (the one holding odoo-bin)"
)


def find_odoo():
    """Return (Odoo, None) or (None, one line saying why and how to fix it)."""
    py = python_cmd()
    how = HOW_TO_PROVIDE.format(py=" ".join(py))
    env = {}
    odoo_path = os.environ.get("ODOO_PATH")
    if odoo_path:
        source = Path(odoo_path).expanduser().resolve()
        if not (source / "odoo" / "__init__.py").is_file():
            return None, (
                f"Odoo not found: ODOO_PATH={odoo_path} holds no odoo/__init__.py; "
                f"{how}"
            )
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(source), os.environ.get("PYTHONPATH", "")) if p
        )
    try:
        result = subprocess.run(
            [*py, "-c", ODOO_PROBE],
            capture_output=True,
            text=True,
            env=dict(os.environ, **env),
            cwd="/",
        )
    except OSError:
        return (
            None,
            f"Odoo not found: the Python {' '.join(py)} cannot be started; {how}",
        )
    if result.returncode:
        last = (result.stderr.strip().splitlines() or ["?"])[-1]
        if "No module named 'odoo'" in result.stderr:
            where = f"ODOO_PATH={odoo_path}" if odoo_path else "ODOO_PATH is not set"
            return None, (
                f"Odoo not found: {' '.join(py)} cannot import odoo and {where}; {how}"
            )
        return None, f"Odoo found but it does not import ({last}); {how}"
    info = json.loads(result.stdout.strip().splitlines()[-1])
    if tuple(info["version_info"]) != (18, 0):
        return None, (
            f"Odoo {info['version']} found at {info['file']}, "
            f"but this addon needs 18.0; {how}"
        )
    package_dir = Path(info["file"])
    odoo_bin = package_dir.parent / "odoo-bin"
    if odoo_path:
        odoo_bin = Path(odoo_path).expanduser().resolve() / "odoo-bin"
    launcher = [*py, str(odoo_bin)] if odoo_bin.is_file() else [*py, "-m", "odoo"]
    return Odoo(package_dir, info["version"], info["version_info"], launcher, env), None


def require_odoo():
    odoo, reason = find_odoo()
    if not odoo:
        raise Failure(reason)
    return odoo


def addons_path(odoo):
    """Odoo's addons folders plus a folder linking the checkout as b2b_dropship."""
    ADDONS_LINK_DIR.mkdir(parents=True, exist_ok=True)
    link = ADDONS_LINK_DIR / ADDON
    if not (link.is_symlink() and os.readlink(link) == str(ROOT)):
        tmp = ADDONS_LINK_DIR / f".{ADDON}.{os.getpid()}"
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(ROOT, target_is_directory=True)
        os.replace(tmp, link)
    return ",".join([*odoo.addons_paths, str(ADDONS_LINK_DIR)])


def manifest():
    return ast.literal_eval((ROOT / "__manifest__.py").read_text(encoding="utf-8"))


# ---------------------------------------------------------------------------
# Locks, ports, processes
# ---------------------------------------------------------------------------


@contextlib.contextmanager
def flock(name, shared=False):
    LOCKS.mkdir(parents=True, exist_ok=True)
    with open(LOCKS / name, "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        try:
            yield handle
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def port_in_use(port):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def _die_with_parent():
    """In the child: get SIGTERM if the driving script dies."""
    with contextlib.suppress(Exception):
        import ctypes  # noqa: PLC0415

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(
            1, signal.SIGTERM
        )  # PR_SET_PDEATHSIG


class Interrupted(Exception):
    pass


def _raise_interrupted(signum, _frame):
    raise Interrupted(signal.Signals(signum).name)


def install_signal_handlers():
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise_interrupted)


def stop_process(proc, timeout=60):
    """Ask a child process group to stop (SIGINT, like Ctrl-C), then insist."""
    if proc.poll() is not None:
        return
    for sig, wait in (
        (signal.SIGINT, timeout),
        (signal.SIGTERM, 10),
        (signal.SIGKILL, 10),
    ):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, sig)
        try:
            proc.wait(wait)
            return
        except subprocess.TimeoutExpired:
            continue


def stream_process(cmd, log_path, env, on_line=None, echo=None, timeout=None):
    """Run ``cmd``, copy its output to ``log_path`` and, line by line, to
    ``echo(line)`` (when it returns True the line is printed). Returns the
    exit code; -1 when it ran past ``timeout`` seconds."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        cmd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        cwd=str(ROOT),
        start_new_session=True,
        preexec_fn=_die_with_parent,
        text=True,
        errors="replace",
        bufsize=1,
    )
    timed_out = threading.Event()
    timer = None
    if timeout:

        def expire():
            timed_out.set()
            stop_process(proc, timeout=30)

        timer = threading.Timer(timeout, expire)
        timer.daemon = True
        timer.start()
    try:
        with open(log_path, "w", encoding="utf-8") as log:
            for line in proc.stdout:
                log.write(line)
                if on_line:
                    on_line(line)
                if echo is None or echo(line):
                    sys.stdout.write(line)
                    sys.stdout.flush()
        proc.wait()
    except BaseException:
        stop_process(proc)
        raise
    finally:
        if timer:
            timer.cancel()
    return -1 if timed_out.is_set() else proc.returncode


def important(line):
    """Show only warnings, errors and what follows them (tracebacks)."""
    match = odoo_log.LOG_RE.match(odoo_log.ANSI_RE.sub("", line.rstrip("\n")))
    if match:
        important.showing = match["level"] in ("WARNING", "ERROR", "CRITICAL")
    return getattr(important, "showing", False)


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------


class Postgres:
    """The server named by PG* variables, or a private cluster in .state/pg.

    The private cluster is shared by every command of this checkout: each
    holds a shared lock while it uses the cluster; the last one to leave
    stops it (data stays).
    """

    def __init__(self):
        self.external = bool(os.environ.get("PGHOST") or os.environ.get("PGPORT"))
        self.root = STATE / "pg"
        self._users = None
        self.info = {}

    # -- identity ----------------------------------------------------------
    @property
    def data_dir(self):
        # The real path: the postgres user may not be able to go through
        # .state when .state/pg links to a folder of its own.
        return Path(os.path.realpath(self.root)) / "data"

    @property
    def log_file(self):
        return Path(os.path.realpath(self.root)) / "postgresql.log"

    def env(self):
        env = dict(os.environ)
        if not self.external:
            env.update(
                PGHOST=self.info["socket_dir"],
                PGPORT=str(self.info["port"]),
                PGUSER=PG_ROLE,
            )
            env.pop("PGPASSWORD", None)
            env.pop("PGDATABASE", None)
        return env

    def odoo_args(self):
        if self.external:
            return []  # libpq reads PGHOST, PGPORT, PGUSER, PGPASSWORD itself
        return [
            f"--db_host={self.info['socket_dir']}",
            f"--db_port={self.info['port']}",
            f"--db_user={PG_ROLE}",
        ]

    def identity(self):
        """Which server this is, for cache keys."""
        if not self.external:
            return "private"
        return ":".join(os.environ.get(k, "") for k in ("PGHOST", "PGPORT", "PGUSER"))

    def describe(self):
        if self.external:
            return "PostgreSQL named by PG* variables ({}:{})".format(
                os.environ.get("PGHOST", "local socket"),
                os.environ.get("PGPORT", "5432"),
            )
        socket_dir = self.info["socket_dir"]
        return f"private PostgreSQL cluster in {self.root} (socket {socket_dir})"

    # -- running as the cluster's owner -------------------------------------
    def _owner(self):
        if not IS_ROOT:
            return None
        try:
            return pwd.getpwnam("postgres")
        except KeyError as err:
            raise Failure(
                "PostgreSQL refuses to run as root and there is no 'postgres' "
                "system user: install the postgresql package or run as another user"
            ) from err

    def _as_owner(self, cmd, **kwargs):
        owner = self._owner()
        kwargs.setdefault("cwd", "/")
        if owner:
            kwargs.update(user=owner.pw_uid, group=owner.pw_gid, extra_groups=[])
            kwargs["env"] = dict(kwargs.get("env") or os.environ, HOME=owner.pw_dir)
        return subprocess.run(cmd, **kwargs)

    def _chown(self, path):
        owner = self._owner()
        if owner:
            os.chown(path, owner.pw_uid, owner.pw_gid)

    def _owner_can_use(self, path):
        if not self._owner():
            return True
        result = self._as_owner(["test", "-w", str(path), "-a", "-x", str(path)])
        return result.returncode == 0

    # -- private cluster ----------------------------------------------------
    def _prepare_dirs(self):
        STATE.mkdir(exist_ok=True)
        if not self.root.exists():
            self.root.mkdir(mode=0o700)
            self._chown(self.root)
            if not self._owner_can_use(self.root):
                # The checkout is not reachable by the postgres user (a home
                # folder closed to others): keep the cluster in its home.
                owner = self._owner()
                digest = hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]
                alt = Path(owner.pw_dir) / "b2b_dropship" / digest
                alt.mkdir(parents=True, exist_ok=True)
                for path in (alt.parent, alt):
                    self._chown(path)
                self.root.rmdir()
                self.root.symlink_to(alt, target_is_directory=True)
        info_file = self.root / "cluster.json"
        if info_file.exists():
            self.info = json.loads(info_file.read_text())
        else:
            socket_dir = Path(os.path.realpath(self.root)) / "run"
            if len(str(socket_dir)) > 90:  # unix socket paths are limited to 107 bytes
                digest = hashlib.sha1(str(ROOT).encode()).hexdigest()[:12]
                socket_dir = Path(tempfile.gettempdir()) / f"b2b-pg-{digest}"
            self.info = {"port": free_port(), "socket_dir": str(socket_dir)}
            info_file.write_text(json.dumps(self.info))
        socket_dir = Path(self.info["socket_dir"])
        socket_dir.mkdir(mode=0o700, exist_ok=True)
        self._chown(socket_dir)

    def _initdb(self):
        initdb = pg_tool("initdb")
        if not initdb:
            raise Failure(
                "PostgreSQL server not found: install it (Debian: apt-get install "
                "postgresql) or name a server with PGHOST/PGPORT/PGUSER/PGPASSWORD"
            )
        say(f"creating a private PostgreSQL cluster in {self.root}")
        result = self._as_owner(
            [
                initdb,
                "-D",
                str(self.data_dir),
                "-U",
                PG_ROLE,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "-N",
            ],
            capture_output=True,
            text=True,
        )
        if result.returncode:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            raise Failure(f"initdb failed: {result.stderr.strip()}")
        settings = {
            "listen_addresses": "''",
            "port": self.info["port"],
            "unix_socket_directories": f"'{self.info['socket_dir']}'",
            "fsync": "off",
            "synchronous_commit": "off",
            "full_page_writes": "off",
            "max_connections": 200,
            "shared_buffers": "'256MB'",
            "max_locks_per_transaction": 256,
        }
        with open(self.data_dir / "postgresql.conf", "a", encoding="utf-8") as conf:
            conf.write("\n# b2b_dropship test cluster\n")
            conf.writelines(f"{key} = {value}\n" for key, value in settings.items())

    def _running(self):
        result = self._as_owner(
            [pg_tool("pg_ctl"), "-D", str(self.data_dir), "status"], capture_output=True
        )
        return result.returncode == 0

    def _start(self):
        if not (self.data_dir / "PG_VERSION").exists():
            self._initdb()
        if self._running():
            return
        say(f"starting the private PostgreSQL cluster ({self.root})")
        result = self._as_owner(
            [
                pg_tool("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log_file),
                "-w",
                "-t",
                "120",
                "-s",
                "start",
            ],
            capture_output=True,
            text=True,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        if result.returncode:
            raise Failure(
                "the private PostgreSQL cluster did not start: "
                f"{result.stderr.strip()} (see {self.log_file})"
            )

    def stop(self, quiet=False):
        if self.external or not (self.data_dir / "PG_VERSION").exists():
            return
        if not self._running():
            return
        if not quiet:
            say("stopping the private PostgreSQL cluster")
        self._as_owner(
            [
                pg_tool("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-m",
                "fast",
                "-w",
                "-s",
                "stop",
            ],
            capture_output=True,
        )

    # -- shared use ----------------------------------------------------------
    def acquire(self):
        if self.external:
            if not which("psql"):
                raise Failure("psql not found: install the PostgreSQL client")
            return self
        LOCKS.mkdir(parents=True, exist_ok=True)
        self._users = open(LOCKS / "pg-users.lock", "a+")  # noqa: SIM115
        fcntl.flock(self._users, fcntl.LOCK_SH)
        with flock("pg-start.lock"):
            self._prepare_dirs()
            self._start()
        return self

    def release(self, quiet=False):
        """Stop the private cluster if no other command of this checkout uses it."""
        if self._users is None:
            return
        try:
            fcntl.flock(self._users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            pass  # someone else still works with it
        else:
            with flock("pg-start.lock"):
                self.stop(quiet=quiet)
        finally:
            self._users.close()
            self._users = None

    # -- SQL -------------------------------------------------------------------
    def psql(self, sql, db="postgres", check=True):
        result = subprocess.run(
            [
                pg_tool("psql") or "psql",
                "-X",
                "-q",
                "-t",
                "-A",
                "-v",
                "ON_ERROR_STOP=1",
                "-d",
                db,
                "-c",
                sql,
            ],
            capture_output=True,
            text=True,
            env=self.env(),
        )
        if check and result.returncode:
            raise Failure(f"psql failed on {db}: {result.stderr.strip()}")
        return result.stdout.strip() if not result.returncode else None

    def databases(self, like):
        out = self.psql(f"SELECT datname FROM pg_database WHERE datname LIKE '{like}'")
        return [name for name in out.splitlines() if name]

    def exists(self, db):
        return bool(self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{db}'"))

    def drop(self, db):
        self.psql(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)', check=False)
        shutil.rmtree(DATA_DIR / "filestore" / db, ignore_errors=True)

    def module_state(self, db, module):
        return self.psql(
            f"SELECT state FROM ir_module_module WHERE name = '{module}'",
            db=db,
            check=False,
        )


# ---------------------------------------------------------------------------
# Odoo command lines
# ---------------------------------------------------------------------------


def odoo_command(odoo, pg, db, *args):
    STATE.mkdir(exist_ok=True)
    conf = STATE / "odoo.conf"  # keeps ~/.odoorc out of the way
    if not conf.exists():
        conf.write_text("[options]\n")
    return [
        *odoo.launcher,
        f"--config={conf}",
        f"--addons-path={addons_path(odoo)}",
        f"--data-dir={DATA_DIR}",
        *pg.odoo_args(),
        f"--database={db}",
        *args,
    ]


def odoo_env(odoo, pg):
    env = pg.env()
    env.update(odoo.env)
    env.pop("ODOO_RC", None)
    return env


def copy_filestore(source_db, target_db):
    source = DATA_DIR / "filestore" / source_db
    if source.is_dir():
        shutil.copytree(source, DATA_DIR / "filestore" / target_db, dirs_exist_ok=True)


def check_odoo_log(path, module=None):
    log = odoo_log.OdooLog(module=module)
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            log.feed(line)
    return log


def template_name(odoo, pg, demo):
    """Name of the cached database holding the addon's dependencies.

    The key changes with the dependencies, the Odoo version and whether
    demo data is loaded, so a stale template is never reused.
    """
    key_source = json.dumps(
        {
            "depends": sorted(manifest()["depends"]),
            "odoo": odoo.version,
            "odoo_dir": str(odoo.package_dir),
            "data_dir": str(DATA_DIR),
            "demo": demo,
            "server": pg.identity(),
            "format": 1,
        },
        sort_keys=True,
    )
    return f"b2b_tmpl_{hashlib.sha1(key_source.encode()).hexdigest()[:10]}"


def ensure_template(odoo, pg, demo=False):
    """A database with the addon's dependencies installed (demo data or not)."""
    depends = sorted(manifest()["depends"])
    name = template_name(odoo, pg, demo)
    what = "with demo data" if demo else "without demo data"
    with flock(f"{name}.lock"):
        if pg.exists(name):
            say(f"template database {name} reused ({what})")
            return name
        build = f"b2b_build_{name[len('b2b_tmpl_'):]}_{os.getpid()}"
        pg.drop(build)
        log_path = LOGS / f"{name}.log"
        say(
            f"building template database {name} {what}: {', '.join(depends)} "
            f"(first run only, about a minute; log: {log_path.relative_to(ROOT)})"
        )
        started = time.time()
        try:
            rc = stream_process(
                odoo_command(
                    odoo,
                    pg,
                    build,
                    "-i",
                    ",".join(depends),
                    *([] if demo else ["--without-demo=all"]),
                    "--stop-after-init",
                    "--max-cron-threads=0",
                    "--no-http",
                ),
                log_path,
                odoo_env(odoo, pg),
                echo=important,
            )
            log = check_odoo_log(log_path)
            names = ",".join(f"'{d}'" for d in depends)
            states = pg.psql(
                "SELECT name FROM ir_module_module "
                f"WHERE state = 'installed' AND name IN ({names})",
                db=build,
                check=False,
            )
            installed = set((states or "").split())
            if rc != 0 or log.problem_records or installed != set(depends):
                missing = sorted(set(depends) - installed)
                raise Failure(
                    f"the template database could not be built (exit code {rc}"
                    + (f", not installed: {', '.join(missing)}" if missing else "")
                    + f"); see {log_path}"
                )
            source = DATA_DIR / "filestore" / build
            shutil.rmtree(DATA_DIR / "filestore" / name, ignore_errors=True)
            if source.is_dir():
                os.replace(source, DATA_DIR / "filestore" / name)
            pg.psql(f'ALTER DATABASE "{build}" RENAME TO "{name}"')
            pg.psql(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        except BaseException:
            pg.drop(build)
            if not pg.exists(name):
                shutil.rmtree(DATA_DIR / "filestore" / name, ignore_errors=True)
            raise
        say(f"template database {name} built in {time.time() - started:.0f}s")
    if not pg.external:
        current = {template_name(odoo, pg, False), template_name(odoo, pg, True)}
        for old in pg.databases("b2b\\_tmpl\\_%"):
            if old not in current:
                pg.psql(f'ALTER DATABASE "{old}" ALLOW_CONNECTIONS true', check=False)
                pg.drop(old)
    return name


def copy_template(pg, template, db):
    pg.drop(db)
    pg.psql(f'CREATE DATABASE "{db}" TEMPLATE "{template}"')
    copy_filestore(template, db)


def drop_stale_test_databases(pg):
    """Throwaway databases left by runs that were killed (private cluster only)."""
    if pg.external:
        return
    stale = []
    for prefix in ("test", "core", "build"):
        stale.extend(pg.databases(f"b2b\\_{prefix}\\_%"))
    for db in stale:
        pid = db.rsplit("_", 1)[-1]
        if pid.isdigit() and not Path(f"/proc/{pid}").exists():
            pg.drop(db)


# ---------------------------------------------------------------------------
# make test
# ---------------------------------------------------------------------------


class TierResult:
    def __init__(self, name):
        self.name = name
        self.passed = self.failed = self.skipped = 0
        self.problems = []
        self.notes = []
        self.ran = False

    def line(self):
        text = f"{self.passed} passed, {self.failed} failed"
        if self.skipped:
            text += f", {self.skipped} skipped"
        return text


def run_pure_tier(expected):
    """pytest on tools/tests, then on these scripts' own tests.

    Each folder is a separate pytest run, so that each keeps its own
    settings (tools/tests has its pytest.ini and conftest.py).
    """
    result = TierResult("Odoo-free tier")
    paths = [p for p in ("tools/tests", "scripts/tests") if (ROOT / p).is_dir()]
    if not (ROOT / "tools/tests").is_dir():
        result.notes.append("no tools/tests folder: 0 tests of tools/")
    LOGS.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    unexpected = []
    for path in paths:
        junit = LOGS / f"pytest-{os.getpid()}.xml"
        say(f"Odoo-free tier: python3 -m pytest {path}")
        rc = subprocess.run(
            [*python_cmd(), "-m", "pytest", path, "-q", f"--junitxml={junit}"],
            cwd=str(ROOT),
            env=env,
            stdin=subprocess.DEVNULL,
        ).returncode
        result.ran = True
        if rc == 5:  # no tests collected
            result.notes.append(f"pytest collected no tests in {path}")
            continue
        failed_before = result.failed
        if junit.exists():
            for case in ET.parse(junit).getroot().iter("testcase"):
                test_id = ".".join(
                    filter(None, (case.get("classname"), case.get("name")))
                )
                if case.find("failure") is not None or case.find("error") is not None:
                    result.failed += 1
                elif case.find("skipped") is not None:
                    if odoo_log.match_expected(("pytest", test_id), expected):
                        result.skipped += 1
                    else:
                        result.failed += 1
                        unexpected.append(test_id)
                else:
                    result.passed += 1
            junit.unlink()
        if rc and result.failed == failed_before:
            result.problems.append(f"pytest {path} exited with code {rc}")
            result.failed += 1
        elif rc not in (0, 1):
            result.problems.append(
                f"pytest {path} stopped early (exit code {rc}): "
                "the rest of it did not run"
            )
    if unexpected:
        result.problems.append(
            "skipped without being listed in tests/expected_skips.txt: "
            + ", ".join(unexpected)
        )
    return result


def run_odoo_tier(odoo, pg, tags, expected, demo_check=True):
    result = TierResult("Odoo tier")
    result.ran = True
    template = ensure_template(odoo, pg)
    drop_stale_test_databases(pg)
    db = f"b2b_test_{os.getpid()}"
    log_path = LOGS / f"test-{os.getpid()}.log"
    port = free_port()
    timeout = int(os.environ.get("B2B_TEST_TIMEOUT", "3600"))
    log = odoo_log.OdooLog(module=ADDON)
    try:
        copy_template(pg, template, db)
        say(f"Odoo tier: database {db}, tests {tags}, log {log_path.relative_to(ROOT)}")
        cmd = odoo_command(
            odoo,
            pg,
            db,
            "-i",
            ADDON,
            "--test-enable",
            f"--test-tags={tags}",
            "--stop-after-init",
            "--without-demo=all",
            "--log-level=info",
            f"--http-port={port}",
            "--http-interface=127.0.0.1",
            "--max-cron-threads=0",
            "--workers=0",
        )
        started = time.time()
        rc = stream_process(
            cmd, log_path, odoo_env(odoo, pg), on_line=log.feed, timeout=timeout
        )
        state = pg.module_state(db, ADDON)
        result.notes.append(f"Odoo ran for {time.time() - started:.0f}s")
    finally:
        pg.drop(db)
    counts = log.counts(expected)
    result.passed, result.failed, result.skipped = (
        counts["passed"],
        counts["failed"],
        counts["skipped"],
    )
    for skip in counts["unexpected_skips"]:
        result.problems.append(
            "skipped, and not listed in tests/expected_skips.txt: "
            f"{skip.key[1]} ({skip.reason})"
        )
    for skip in counts["expected_skips"]:
        result.notes.append(f"expected skip: {skip.key[1]} ({skip.reason})")
    if rc == -1:
        result.problems.append(
            f"Odoo ran past B2B_TEST_TIMEOUT={timeout}s and was stopped"
        )
    elif rc != 0 and not result.failed:
        result.problems.append(f"Odoo exited with code {rc}")
    if state != "installed":
        result.problems.append(
            f"{ADDON} did not install (module state: {state or 'unknown'})"
        )
    result.problems.extend(log.install_problems())
    if log.summary is None and rc != -1:
        result.problems.append("Odoo reported no test result")
    if counts["run"] == 0 and not log.skips:
        result.problems.append(f"no Odoo test ran for --test-tags={tags}")
    if demo_check:
        result.problems.extend(check_demo_install(odoo, pg))
    if result.problems and not result.failed:
        result.failed = 1  # the closing line never hides a failed run
    return result


def check_demo_install(odoo, pg):
    """Install the addon with demo data on a copy of the demo template.

    The tests run without demo data; this makes sure the demo data, which
    make run shows, loads without error. Returns the problems found.
    """
    template = ensure_template(odoo, pg, demo=True)
    db = f"b2b_test_demo_{os.getpid()}"
    log_path = LOGS / f"test-demo-{os.getpid()}.log"
    say(f"installing {ADDON} with demo data in {db} (log {log_path.relative_to(ROOT)})")
    try:
        copy_template(pg, template, db)
        rc = stream_process(
            odoo_command(
                odoo,
                pg,
                db,
                "-i",
                ADDON,
                "--stop-after-init",
                "--no-http",
                "--max-cron-threads=0",
            ),
            log_path,
            odoo_env(odoo, pg),
            echo=important,
        )
        state = pg.module_state(db, ADDON)
        log = check_odoo_log(log_path, module=ADDON)
        problems = [f"with demo data: {p}" for p in log.install_problems()]
        if rc:
            problems.append(f"with demo data: Odoo exited with code {rc}")
        if state != "installed":
            problems.append(f"with demo data: {ADDON} did not install (state {state})")
        if not problems:
            say(f"{ADDON} installs with demo data")
            problems = check_uninstall(odoo, pg, db)
    finally:
        pg.drop(db)
    return problems


# Run by ``odoo-bin shell``: uninstall the addon the way the Apps menu does.
UNINSTALL_SCRIPT = f"""
module = env["ir.module.module"].search([("name", "=", "{ADDON}")])
module.button_immediate_uninstall()
env.cr.commit()
"""

# What the addon leaves behind if it does not uninstall cleanly.
LEFTOVER_QUERIES = {
    "models": "SELECT count(*) FROM ir_model WHERE model LIKE 'b2b.%%'",
    "tables": "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'b2b\\_%%'",
    "sale_order columns": (
        "SELECT count(*) FROM information_schema.columns "
        "WHERE table_name = 'sale_order' AND column_name LIKE 'b2b\\_%%'"
    ),
    "views": "SELECT count(*) FROM ir_ui_view WHERE arch_fs LIKE '{ADDON}/%%'",
    "menus": (
        "SELECT count(*) FROM ir_model_data "
        "WHERE module = '{ADDON}' AND model = 'ir.ui.menu'"
    ),
}


def check_uninstall(odoo, pg, db):
    """Uninstall the addon from ``db`` and check it leaves nothing behind."""
    log_path = LOGS / f"test-uninstall-{os.getpid()}.log"
    say(f"uninstalling {ADDON} from {db} (log {log_path.relative_to(ROOT)})")
    cmd = odoo_command(odoo, pg, db, "--no-http", "--max-cron-threads=0")
    cmd.insert(len(odoo.launcher), "shell")
    with open(log_path, "w", encoding="utf-8") as log:
        proc = subprocess.run(
            cmd,
            input=UNINSTALL_SCRIPT,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=odoo_env(odoo, pg),
            cwd=str(ROOT),
            text=True,
            timeout=1800,
            check=False,
        )
    # Odoo's uninstall tries to delete every record the addon created and logs
    # the refused DELETEs of demo records still referenced (by sale orders, for
    # instance) as "bad query": expected, and the records stay, as in Odoo.
    problems = [
        f"uninstall: {p}"
        for p in check_odoo_log(log_path).install_problems()
        if "logged by odoo.sql_db: bad query" not in p
    ]
    if proc.returncode:
        problems.append(f"uninstall: Odoo exited with code {proc.returncode}")
    state = pg.module_state(db, ADDON)
    if state != "uninstalled":
        problems.append(f"uninstall: {ADDON} is still {state}")
    for what, query in LEFTOVER_QUERIES.items():
        left = pg.psql(query.replace("%%", "%").format(ADDON=ADDON), db=db, check=False)
        if left is None:
            problems.append(f"uninstall: could not count the {what} left behind")
        elif left.strip() not in ("", "0"):
            problems.append(f"uninstall: {left.strip()} {what} left behind")
    if not problems:
        say(f"{ADDON} uninstalls cleanly")
    return problems


def cmd_test(args):
    tiers = {t.strip() for t in (args.tiers or "tools,odoo").split(",") if t.strip()}
    tags = args.tags or f"/{ADDON}"
    expected, errors = odoo_log.read_expected_skips(EXPECTED_SKIPS)
    results = []
    pg = None
    try:
        install_deps()
        if errors:
            raise Failure("; ".join(errors))
        if "tools" in tiers:
            results.append(run_pure_tier(expected))
        if "odoo" in tiers:
            odoo, reason = find_odoo()
            tier = TierResult("Odoo tier")
            if not odoo:
                say(reason)
                if env_flag("B2B_REQUIRE_ODOO"):
                    tier.problems.append(
                        "Odoo is required (B2B_REQUIRE_ODOO=1) but was not found"
                    )
                    tier.failed = 1
                else:
                    tier.notes.append("Odoo 18.0 not found: its tests did not run")
                results.append(tier)
            else:
                say(f"using {odoo.describe()}")
                try:
                    pg = Postgres().acquire()
                    say(f"using the {pg.describe()}")
                    # A subset of the tests (TAGS) skips the demo data check.
                    demo_check = (
                        not args.tags and os.environ.get("B2B_DEMO_CHECK") != "0"
                    )
                    results.append(run_odoo_tier(odoo, pg, tags, expected, demo_check))
                except Failure as err:
                    tier = TierResult("Odoo tier")
                    tier.ran = True
                    tier.problems.append(str(err))
                    tier.failed = 1
                    results.append(tier)
    finally:
        if pg:
            pg.release(quiet=True)
    print(flush=True)
    for tier in results:
        state = tier.line() if tier.ran or tier.failed else "not run"
        say(f"{tier.name}: {state}")
        for note in tier.notes:
            say(f"  {note}")
        for problem in tier.problems:
            say(f"  FAILED: {problem}")
    passed = sum(t.passed for t in results)
    failed = sum(t.failed for t in results)
    skipped = sum(t.skipped for t in results)
    line = f"{passed} passed, {failed} failed" + (
        f", {skipped} skipped" if skipped else ""
    )
    print(line, flush=True)
    return 1 if failed else 0


# ---------------------------------------------------------------------------
# make test-core
# ---------------------------------------------------------------------------


def cmd_test_core(args):
    """Odoo's own tests of CORE_MODULES, run as Odoo runs them, with the addon.

    One Odoo run on a fresh database installs the modules and the addon with
    --test-enable: each module's at_install tests run right after it is
    installed (as in Odoo's own CI), and the post_install tests, most of them,
    run once everything, the addon included, is installed. Odoo's modules get
    their demo data, which their tests expect; the addon gets its own only with
    B2B_CORE_DEMO=1, since it changes the company (its time zone, for one)
    in ways Odoo's tests do not expect.
    """
    install_deps()
    odoo = require_odoo()
    say(f"using {odoo.describe()}")
    pg = Postgres().acquire()
    db = f"b2b_core_{os.getpid()}"
    tags = ",".join(f"/{m}" for m in CORE_MODULES)
    log_path = LOGS / f"core-{os.getpid()}.log"
    log = odoo_log.OdooLog(module=None)
    addon_demo = env_flag("B2B_CORE_DEMO")
    started = time.time()
    try:
        drop_stale_test_databases(pg)
        pg.drop(db)
        say(
            f"installing {', '.join(CORE_MODULES)} and {ADDON} "
            f"({'with' if addon_demo else 'without'} its demo data) in {db}, "
            f"with Odoo's tests {tags}; log {log_path.relative_to(ROOT)}"
        )
        rc = stream_process(
            odoo_command(
                odoo,
                pg,
                db,
                "-i",
                ",".join([*CORE_MODULES, ADDON]),
                *([] if addon_demo else [f"--without-demo={ADDON}"]),
                "--test-enable",
                f"--test-tags={tags}",
                "--stop-after-init",
                "--log-level=info",
                f"--http-port={free_port()}",
                "--http-interface=127.0.0.1",
                "--max-cron-threads=0",
                "--workers=0",
            ),
            log_path,
            odoo_env(odoo, pg),
            on_line=log.feed,
            timeout=int(os.environ.get("B2B_TEST_TIMEOUT", "7200")),
        )
        state = pg.module_state(db, ADDON)
    finally:
        pg.drop(db)
        pg.release(quiet=True)
    counts = log.counts(expected_skips=[("*", "Odoo's own tests")])
    failed = counts["failed"]
    problems = []
    if state != "installed":
        problems.append(f"{ADDON} did not install (module state: {state or 'unknown'})")
    if rc and not failed:
        problems.append(f"Odoo exited with code {rc}")
    if log.summary is None:
        problems.append("Odoo reported no test result")
    print(flush=True)
    say(f"Odoo ran for {time.time() - started:.0f}s")
    if counts["skipped"]:
        say(f"{counts['skipped']} of Odoo's tests were skipped by Odoo")
    for problem in problems:
        say(f"FAILED: {problem}")
    if problems and not failed:
        failed = 1
    line = f"{counts['passed']} passed, {failed} failed"
    if counts["skipped"]:
        line += f", {counts['skipped']} skipped"
    print(line, flush=True)
    return 1 if failed else 0


# ---------------------------------------------------------------------------
# make run
# ---------------------------------------------------------------------------


def wait_http(url, proc, timeout=300):
    deadline = time.time() + timeout
    while time.time() < deadline and proc.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310
                if response.status == 200:
                    return True
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(1)
    return False


def cmd_run(args):
    port = int(os.environ.get("HTTP_PORT", "8069"))
    interface = os.environ.get("HTTP_INTERFACE", "127.0.0.1")
    install_deps()
    odoo = require_odoo()
    if port_in_use(port):
        raise Failure(
            f"port {port} is already in use (another Odoo?); set HTTP_PORT=<port>"
        )
    say(f"using {odoo.describe()}")
    pg = Postgres().acquire()
    proc = None
    try:
        say(f"using the {pg.describe()}")
        env = odoo_env(odoo, pg)
        state = pg.module_state(DEMO_DB, ADDON) if pg.exists(DEMO_DB) else None
        if state == "installed":
            action, what = ["-u", ADDON], f"updating {ADDON} in {DEMO_DB}"
        else:
            if state is None and pg.exists(DEMO_DB):
                pg.drop(DEMO_DB)  # left half-made by an interrupted first run
            action, what = (
                ["-i", ADDON],
                f"creating {DEMO_DB} with demo data and {ADDON}",
            )
        log_path = LOGS / "run-install.log"
        say(f"{what} (log: {log_path.relative_to(ROOT)})")
        rc = stream_process(
            odoo_command(
                odoo,
                pg,
                DEMO_DB,
                *action,
                "--stop-after-init",
                "--no-http",
                "--max-cron-threads=0",
            ),
            log_path,
            env,
            echo=important,
        )
        problems = check_odoo_log(log_path, module=ADDON).install_problems()
        if rc or pg.module_state(DEMO_DB, ADDON) != "installed" or problems:
            if action[0] == "-i":
                pg.drop(DEMO_DB)  # the next run starts it afresh
            for problem in problems:
                say(f"  {problem}")
            code = f" (exit code {rc})" if rc else ""
            raise Failure(f"{what} failed{code}; see {log_path}")
        cmd = odoo_command(
            odoo,
            pg,
            DEMO_DB,
            f"--http-port={port}",
            f"--http-interface={interface}",
            f"--db-filter=^{DEMO_DB}$",
            "--no-database-list",
        )
        proc = subprocess.Popen(
            cmd,
            env=env,
            cwd=str(ROOT),
            start_new_session=True,
            preexec_fn=_die_with_parent,
            stdin=subprocess.DEVNULL,
        )
        url = f"http://localhost:{port}"
        if wait_http(f"http://127.0.0.1:{port}/web/login", proc):
            retailer = pg.psql(
                "SELECT 1 FROM res_users WHERE login = 'retailer1@example.com'",
                db=DEMO_DB,
                check=False,
            )
            lines = [f"B2B Dropship is served on {url} (database {DEMO_DB})"]
            for label, login, password in DEMO_USERS:
                lines.append(f"  {label}: login {login} / password {password}")
            if not retailer:
                lines.append(
                    "  (the demo retailer is not in the demo data of this version yet)"
                )
            lines.append(
                "  Ctrl-C stops Odoo and the private PostgreSQL cluster; data stays."
            )
            width = max(len(line) for line in lines)
            print(
                "\n" + "=" * width + "\n" + "\n".join(lines) + "\n" + "=" * width,
                flush=True,
            )
        rc = proc.wait()
        if rc:
            raise Failure(f"Odoo stopped with exit code {rc}")
    except Interrupted:
        say("stopping Odoo")
    finally:
        if proc:
            stop_process(proc)
        pg.release()
    return 0


# ---------------------------------------------------------------------------
# make lint / format / stop
# ---------------------------------------------------------------------------


def cmd_lint(args):
    install_python_requirements(ROOT / "requirements-dev.txt")
    py = python_cmd()
    failed = []
    say("ruff check")
    if subprocess.run(
        [*py, "-m", "ruff", "check", "--no-fix", "--output-format=concise", "."],
        cwd=str(ROOT),
    ).returncode:
        failed.append("ruff")
    # pylint-odoo reads the module's name from its folder: lint the link
    # named b2b_dropship, whatever the checkout's folder is called.
    ADDONS_LINK_DIR.mkdir(parents=True, exist_ok=True)
    link = ADDONS_LINK_DIR / ADDON
    if not link.is_symlink():
        link.symlink_to(ROOT, target_is_directory=True)
    say("pylint-odoo (.pylintrc-mandatory)")
    if subprocess.run(
        [*py, "-m", "pylint", f"--rcfile={ROOT / '.pylintrc-mandatory'}", str(link)],
        cwd=str(ADDONS_LINK_DIR),
    ).returncode:
        failed.append("pylint-odoo")
    if failed:
        say(f"lint FAILED: {', '.join(failed)}")
        return 1
    say("lint passed")
    return 0


def cmd_format(args):
    install_python_requirements(ROOT / "requirements-dev.txt")
    py = python_cmd()
    subprocess.run([*py, "-m", "ruff", "format", "."], cwd=str(ROOT), check=True)
    subprocess.run([*py, "-m", "ruff", "check", "--fix", "."], cwd=str(ROOT))
    return 0


def cmd_deps(args):
    install_deps(dev=args.dev)
    odoo, reason = find_odoo()
    say(odoo.describe() if odoo else reason)
    return 0


def cmd_stop(args):
    pg = Postgres()
    if pg.external:
        say("PG* variables name an external server: nothing to stop")
        return 0
    LOCKS.mkdir(parents=True, exist_ok=True)
    with open(LOCKS / "pg-users.lock", "a+") as users:
        try:
            fcntl.flock(users, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            say("the private cluster is in use by another command; it stops with it")
            return 1
        with flock("pg-start.lock"):
            pg.stop()
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    deps = sub.add_parser("deps")
    deps.add_argument("--dev", action="store_true", help="also requirements-dev.txt")
    sub.add_parser("run")
    test = sub.add_parser("test")
    test.add_argument("--tags", default=os.environ.get("TAGS", ""))
    test.add_argument(
        "--tiers", default=os.environ.get("TIERS", ""), help="tools,odoo (default both)"
    )
    sub.add_parser("test-core")
    sub.add_parser("lint")
    sub.add_parser("format")
    sub.add_parser("stop")
    args = parser.parse_args(argv)
    install_signal_handlers()
    handler = {
        "deps": cmd_deps,
        "run": cmd_run,
        "test": cmd_test,
        "test-core": cmd_test_core,
        "lint": cmd_lint,
        "format": cmd_format,
        "stop": cmd_stop,
    }[args.command]
    try:
        return handler(args)
    except Failure as err:
        say(f"ERROR: {err}")
        return 1
    except Interrupted as err:
        say(f"interrupted ({err})")
        return 130


if __name__ == "__main__":
    sys.exit(main())
