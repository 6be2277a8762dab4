"""A private Dovecot IMAP server for one test session.

It has its own config file, base_dir, state_dir and instance name under a
temporary directory, listens on 127.0.0.1 on free ports and never touches the
system Dovecot. Each user has a one-line passwd-file (``users/<name>``), so a
new user can log in at once; Dovecot checks a file it has read at most once a
second, so changing a password or removing a user waits for that second to
pass. Mail is stored as ``nobody``. Needs root (Dovecot switches users).

UIDVALIDITY changes are made with ``doveadm -c FILE mailbox update
--uid-validity``, which works on the mail storage directly.
"""

from __future__ import annotations

import contextlib
import imaplib
import os
import pwd
import re
import shutil
import ssl
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

from ._net import free_port, wait_port
from .certs import TlsCert

MAIL_USER = "nobody"
MAIL_GROUP = "nogroup"

SPECIAL_USE = {"Drafts": r"\Drafts", "Sent": r"\Sent", "Junk": r"\Junk", "Trash": r"\Trash"}

CONFIG = """\
instance_name = {instance}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {host}
ssl = {ssl}
{ssl_settings}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = dovenull
default_internal_user = dovecot
mail_location = maildir:~/Maildir
first_valid_uid = 1

protocol imap {{
  mail_max_userip_connections = 100
}}

passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users/%u
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {root}/users/%u
  default_fields = uid={mail_user} gid={mail_group} home={root}/mail/%u
}}

namespace inbox {{
  inbox = yes
  separator = /
{mailboxes}
}}

service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
  }}
}}
"""

MAILBOX = """\
  mailbox {name} {{
    auto = subscribe
    special_use = {flag}
  }}"""


class DovecotUnavailable(RuntimeError):
    pass


class MailUser(NamedTuple):
    name: str
    password: str


class Dovecot:
    def __init__(self, *, ssl: bool = True, cert: TlsCert | None = None, host: str = "127.0.0.1"):
        """With ``ssl`` (and a ``cert``), IMAP offers STARTTLS and ``imaps_port`` is open."""
        self.binary = shutil.which("dovecot") or "/usr/sbin/dovecot"
        self.doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        if not os.path.exists(self.binary):
            raise DovecotUnavailable("dovecot is not installed")
        if os.geteuid() != 0:
            raise DovecotUnavailable("the private Dovecot needs root (it switches to its own users)")
        if ssl and cert is None:
            raise ValueError("ssl=True needs a cert")
        self.host = host
        self.ssl = ssl
        self.cert = cert
        self.port: int | None = None
        self.imaps_port: int | None = None
        self.root: Path | None = None
        self.config_path: Path | None = None
        self._users: dict[str, str] = {}
        self._changed_at = 0.0

    # --- lifecycle ----------------------------------------------------------------

    def start(self) -> Dovecot:
        if self.root is not None:
            return self
        self.root = Path(tempfile.mkdtemp(prefix="dovecot-"))
        try:
            returncode = self._launch()
        except BaseException:
            self._remove_root()
            raise
        startup_log = self.root / "startup.log"
        if returncode != 0:
            message = startup_log.read_text(errors="replace").strip() + "\n" + self.log()
            self._remove_root()
            raise RuntimeError(f"dovecot did not start: {message}")
        # Auth connects to anvil's penalty socket when it first starts (on the
        # first login). Without that socket it skips the penalty, which would
        # otherwise delay every login from 127.0.0.1 after a failed one by 4+ s.
        (self.root / "run" / "anvil-auth-penalty").unlink(missing_ok=True)
        try:
            wait_port(self.host, self.port, timeout=15)
            if self.imaps_port:
                wait_port(self.host, self.imaps_port, timeout=15)
        except TimeoutError:
            log = self.log()
            self.stop()
            raise RuntimeError(f"dovecot did not open its ports:\n{log}") from None
        return self

    def _launch(self) -> int:
        self.root.chmod(0o755)  # Dovecot's own users must reach the files
        mail_root = self.root / "mail"
        mail_root.mkdir()
        nobody = pwd.getpwnam(MAIL_USER)
        os.chown(mail_root, nobody.pw_uid, nobody.pw_gid)
        (self.root / "users").mkdir()
        for name in self._users:
            self._write_user(name)
        self.port = free_port(self.host)
        self.imaps_port = free_port(self.host) if self.ssl else 0
        self.config_path = self.root / "dovecot.conf"
        self.config_path.write_text(self._config())
        # The daemon inherits stdout/stderr: a pipe would never reach EOF.
        with (self.root / "startup.log").open("wb") as output:
            return subprocess.call(
                [self.binary, "-c", str(self.config_path)], stdout=output, stderr=subprocess.STDOUT
            )

    def stop(self) -> None:
        if self.root is None:
            return
        master = self._master_pid()
        subprocess.run([self.binary, "-c", str(self.config_path), "stop"], capture_output=True)
        for port in (self.port, self.imaps_port):
            if port:
                wait_port(self.host, port, open=False, timeout=15)
        if master:
            _wait_process_gone(master)
        self._remove_root()

    def __enter__(self) -> Dovecot:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def log(self) -> str:
        path = self.root / "dovecot.log" if self.root else None
        return path.read_text(errors="replace") if path and path.exists() else ""

    # --- users -----------------------------------------------------------------------

    def add_user(self, name: str, password: str) -> None:
        """Add a user or change a password; effective at once."""
        if any(c in name + password for c in ":/\n") or name.startswith("."):
            raise ValueError(f"unusable user name or password: {name!r}")
        known = name in self._users
        self._users[name] = password
        if self.root is not None:
            self._write_user(name)
            if known:
                self._wait_for_reread()

    def new_user(self, prefix: str = "user") -> MailUser:
        """A user with a fresh unique name and a password, added at once."""
        user = MailUser(f"{prefix}-{uuid.uuid4().hex[:10]}", uuid.uuid4().hex[:12])
        self.add_user(user.name, user.password)
        return user

    def remove_user(self, name: str) -> None:
        self._users.pop(name, None)
        if self.root is not None:
            (self.root / "users" / name).unlink(missing_ok=True)
            self._changed_at = time.time()
            self._wait_for_reread()

    # --- IMAP helpers (what a client would do) ---------------------------------------------

    def connect(self, user: str | None = None, password: str | None = None) -> imaplib.IMAP4:
        """A plain IMAP connection, logged in when a user is given."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        if user is not None:
            client.login(user, password)
        return client

    def connect_ssl(self) -> imaplib.IMAP4_SSL:
        return imaplib.IMAP4_SSL(self.host, self.imaps_port, ssl_context=self.client_context(), timeout=10)

    def client_context(self) -> ssl.SSLContext:
        return self.cert.client_context()

    def append(
        self, user: str, password: str, folder: str, raw: bytes, flags: str | None = None, date=None
    ) -> int | None:
        """APPEND a message; return its UID (from APPENDUID) if Dovecot gave one.

        ``flags`` like ``r"(\\Seen)"``; ``date`` a datetime or epoch seconds."""
        when = imaplib.Time2Internaldate(date) if date is not None else None
        with self._session(user, password) as client:
            typ, data = client.append(_quote(folder), flags, when, raw)
            _check(typ, data, "APPEND")
        match = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
        return int(match.group(1)) if match else None

    def create_folder(self, user: str, password: str, name: str) -> None:
        with self._session(user, password) as client:
            typ, data = client.create(_quote(name))
            _check(typ, data, "CREATE")
            client.subscribe(_quote(name))

    def delete_folder(self, user: str, password: str, name: str) -> None:
        with self._session(user, password) as client:
            _check(*client.delete(_quote(name)), "DELETE")

    def uidvalidity(self, user: str, password: str, folder: str = "INBOX") -> int:
        with self._session(user, password) as client:
            typ, data = client.status(_quote(folder), "(UIDVALIDITY)")
            _check(typ, data, "STATUS")
        return int(re.search(rb"UIDVALIDITY (\d+)", data[0]).group(1))

    def change_uidvalidity(self, user: str, folder: str = "INBOX", new: int | None = None) -> int:
        """Give the folder a new UIDVALIDITY (default: the current one + 1); return it.

        Messages stay where they are, as after a server-side rebuild."""
        if new is None:
            output = self._doveadm("-f", "flow", "mailbox", "status", "-u", user, "uidvalidity", folder)
            new = int(re.search(r"uidvalidity=(\d+)", output).group(1)) + 1
        self._doveadm("mailbox", "update", "-u", user, "--uid-validity", str(new), folder)
        return new

    # --- internals ----------------------------------------------------------------------

    @contextlib.contextmanager
    def _session(self, user: str, password: str) -> Iterator[imaplib.IMAP4]:
        client = self.connect(user, password)
        try:
            yield client
        finally:
            with contextlib.suppress(imaplib.IMAP4.error, OSError):
                client.logout()

    def _doveadm(self, *args: str) -> str:
        result = subprocess.run(
            [self.doveadm, "-c", str(self.config_path), *args], capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"doveadm {' '.join(args)} failed: {result.stderr.strip()}")
        return result.stdout

    def _write_user(self, name: str) -> None:
        path = self.root / "users" / name
        temporary = path.with_name(f".{name}.new")
        temporary.write_text(f"{name}:{{PLAIN}}{self._users[name]}::::::\n")
        temporary.chmod(0o644)
        if path.exists():  # Dovecot compares mtimes in whole seconds
            stamp = max(int(time.time()), int(path.stat().st_mtime) + 1)
            os.utime(temporary, (stamp, stamp))
        temporary.replace(path)
        self._changed_at = time.time()

    def _wait_for_reread(self) -> None:
        # Auth stats a passwd-file at most once per second (and compares its
        # mtime in whole seconds): a file it has already read is seen again
        # only from the next second on.
        time.sleep(max(0.0, int(self._changed_at) + 1.05 - time.time()))

    def _config(self) -> str:
        ssl_settings = ""
        if self.ssl:
            ssl_settings = f"ssl_cert = <{self.cert.cert_path}\nssl_key = <{self.cert.key_path}"
        mailboxes = "\n".join(MAILBOX.format(name=name, flag=flag) for name, flag in SPECIAL_USE.items())
        return CONFIG.format(
            instance=f"test-{os.getpid()}-{uuid.uuid4().hex[:8]}",
            root=self.root,
            host=self.host,
            ssl="yes" if self.ssl else "no",
            ssl_settings=ssl_settings,
            mail_user=MAIL_USER,
            mail_group=MAIL_GROUP,
            mailboxes=mailboxes,
            port=self.port,
            imaps_port=self.imaps_port,
        )

    def _master_pid(self) -> int | None:
        try:
            return int((self.root / "run" / "master.pid").read_text())
        except (OSError, ValueError):
            return None

    def _remove_root(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        self.root = None


def _wait_process_gone(pid: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and _running(pid):
        time.sleep(0.05)


def _running(pid: int) -> bool:
    """True while the process exists and is not a zombie (init may reap it late)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _quote(folder: str) -> str:
    if folder.upper() == "INBOX":
        return folder
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _check(typ: str, data: list, command: str) -> None:
    if typ != "OK":
        raise imaplib.IMAP4.error(f"{command} failed: {data!r}")
