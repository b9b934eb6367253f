"""A throwaway PostgreSQL + PostGIS cluster holding pgstac, made and removed by the twin.

PostgreSQL refuses to run as root, so when the twin runs as root the cluster runs as the ``postgres``
system user (created by Debian's package) or ``nobody``. It listens on 127.0.0.1 only, on a free port,
with a random password, so other local users cannot read or change it.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import TwinError
from .processes import bind_loopback, die_with_parent, log_tail, stop_process, wait_until

__all__ = ["PgstacCluster", "find_postgres_bindir", "postgres_install_hint"]

_APT_HINT = (
    "Install PostgreSQL and PostGIS, e.g. on Debian/Ubuntu: "
    "sudo apt-get install postgresql postgresql-15-postgis-3 "
    "(the README's set-up command does it when run as root), "
    "or set DINAMIS_PG_BINDIR to the folder holding initdb and postgres."
)


def postgres_install_hint() -> str:
    """How to install what the twin's catalogue needs."""
    return _APT_HINT


def find_postgres_bindir() -> Path:
    """Find the folder holding ``initdb`` and ``postgres``.

    Looks at ``$DINAMIS_PG_BINDIR``, then Debian's ``/usr/lib/postgresql/<version>/bin`` (newest first),
    then the ``PATH``.

    Raises
    ------
    TwinError
        If PostgreSQL is not installed.
    """
    env = os.environ.get("DINAMIS_PG_BINDIR")
    candidates: list[Path] = [Path(env)] if env else []
    debian = sorted(glob.glob("/usr/lib/postgresql/*/bin"),
                    key=lambda p: float(Path(p).parent.name) if Path(p).parent.name.replace(
                        ".", "", 1).isdigit() else 0.0, reverse=True)
    candidates += [Path(p) for p in debian]
    which = shutil.which("initdb")
    if which:
        candidates.append(Path(which).parent)
    for c in candidates:
        if (c / "initdb").exists() and (c / "postgres").exists():
            return c
    raise TwinError(f"PostgreSQL was not found. {_APT_HINT}")


def _postgis_available(bindir: Path) -> bool:
    share = subprocess.run([str(bindir / "pg_config"), "--sharedir"], capture_output=True,
                           text=True, check=False).stdout.strip() if (bindir / "pg_config").exists() else ""
    folders = [Path(share)] if share else []
    folders += [Path(p) for p in glob.glob("/usr/share/postgresql/*")]
    return any((f / "extension" / "postgis.control").exists() for f in folders)


def _service_user() -> pwd.struct_passwd | None:
    """The unprivileged user to run PostgreSQL as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise TwinError("running as root, but neither a 'postgres' nor a 'nobody' user exists to "
                    "run PostgreSQL as; create one (useradd --system postgres)")


#: Password of the cached template cluster; each twin replaces it with its own before anything else.
_TEMPLATE_PASSWORD = "dinamis-twin-template"


def _template_dir(bindir: Path) -> Path | None:
    """Where the template for this PostgreSQL, PostGIS and pgstac lives (None: templates turned off)."""
    if os.environ.get("DINAMIS_TWIN_PG_TEMPLATE", "1").strip().lower() in {"0", "no", "false", "off"}:
        return None
    import hashlib
    from importlib.metadata import version

    from .scenes import default_cache_dir

    controls = sorted(glob.glob("/usr/share/postgresql/*/extension/postgis.control"))
    share = subprocess.run([str(bindir / "pg_config"), "--sharedir"], capture_output=True, text=True,
                           check=False).stdout.strip() if (bindir / "pg_config").exists() else ""
    if share:
        controls.insert(0, str(Path(share) / "extension" / "postgis.control"))
    postgis = next((Path(c).read_text() for c in controls if Path(c).exists()), "")
    key = "|".join([str(bindir.resolve()), version("pypgstac"), postgis, str(os.geteuid())])
    return default_cache_dir() / "pg-templates" / hashlib.sha256(key.encode()).hexdigest()[:16]


class PgstacCluster:
    """A PostgreSQL cluster in ``workdir`` with PostGIS and the pgstac schema.

    Parameters
    ----------
    workdir
        An empty folder of the twin; the cluster lives in ``workdir/pg`` and is removed by :meth:`stop`.
    port
        TCP port on 127.0.0.1; 0 picks a free one.

    Examples
    --------
    >>> import tempfile
    >>> import psycopg
    >>> collection = {"type": "Collection", "stac_version": "1.0.0", "id": "demo", "description": "",
    ...               "license": "proprietary", "links": [], "extent": {
    ...                   "spatial": {"bbox": [[-1, 45, 0, 46]]}, "temporal": {"interval": [[None, None]]}}}
    >>> item = {"type": "Feature", "stac_version": "1.0.0", "id": "a", "collection": "demo",
    ...         "geometry": {"type": "Point", "coordinates": [-0.5, 45.5]}, "bbox": [-0.5, 45.5, -0.5, 45.5],
    ...         "properties": {"datetime": "2025-06-01T10:00:00Z"}, "assets": {}, "links": []}
    >>> with tempfile.TemporaryDirectory() as workdir:
    ...     cluster = PgstacCluster(Path(workdir))
    ...     cluster.start()                      # initdb, PostgreSQL, pgstac: a few seconds
    ...     try:
    ...         cluster.load([collection], [item])
    ...         with psycopg.connect(cluster.dsn) as conn:
    ...             print(conn.execute("SELECT collection, id FROM pgstac.items").fetchall())
    ...     finally:
    ...         cluster.stop()
    [('demo', 'a')]
    """

    database = "postgis"
    user = "dinamis"

    def __init__(self, workdir: Path, port: int = 0) -> None:
        self.workdir = Path(workdir)
        self.root = self.workdir / "pg"
        self.port = port
        self.password = secrets.token_urlsafe(18)
        self.proc: subprocess.Popen[bytes] | None = None
        self.bindir = find_postgres_bindir()

    # -- connection ------------------------------------------------------------------------------
    @property
    def dsn(self) -> str:
        """libpq connection string for the pgstac database."""
        return (f"postgresql://{self.user}:{self.password}@127.0.0.1:{self.port}/{self.database}")

    def env(self) -> dict[str, str]:
        """Environment variables that point stac-fastapi-pgstac (and libpq) at this cluster."""
        return {
            "PGUSER": self.user, "PGPASSWORD": self.password, "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port), "PGDATABASE": self.database,
            # stac-fastapi-pgstac < 6 reads these names
            "POSTGRES_USER": self.user, "POSTGRES_PASS": self.password,
            "POSTGRES_HOST_READER": "127.0.0.1", "POSTGRES_HOST_WRITER": "127.0.0.1",
            "POSTGRES_PORT": str(self.port), "POSTGRES_DBNAME": self.database,
        }

    # -- life cycle ------------------------------------------------------------------------------
    def _run(self, args: list[str], user: pwd.struct_passwd | None, **kw: Any) -> None:
        res = subprocess.run(args, capture_output=True, text=True, check=False,
                             user=user.pw_uid if user else None,
                             group=user.pw_gid if user else None,
                             extra_groups=[] if user else None, **kw)
        if res.returncode != 0:
            raise TwinError(f"{Path(args[0]).name} failed: {res.stderr.strip() or res.stdout.strip()}")

    def start(self, timeout: float = 30.0) -> None:
        """Create the cluster, start PostgreSQL and install PostGIS and pgstac.

        The first start on a machine builds a template (initdb, PostGIS, the pgstac migration) in the
        twin's cache; later starts copy it (a fraction of a second instead of seconds) and give it this
        cluster's random password. ``DINAMIS_TWIN_PG_TEMPLATE=0`` builds every cluster from scratch.
        """
        if not _postgis_available(self.bindir):
            raise TwinError(f"PostGIS is not installed. {_APT_HINT}")
        user = _service_user()
        self.root.mkdir(mode=0o700)
        if user is not None:
            # The twin's folder must be traversable by the service user; only pg/ is theirs.
            os.chmod(self.workdir, 0o711)
            os.chown(self.root, user.pw_uid, user.pw_gid)
        template = _template_dir(self.bindir)
        if template is None:
            self._start_fresh(self.root, self.password, user, timeout)
            return
        if not (template / "ready").exists():
            self._build_template(template, user, timeout)
        subprocess.run(["cp", "-a", str(template / "data"), str(self.root / "data")], check=True)
        password, self.password = self.password, _TEMPLATE_PASSWORD
        self._launch(self.root / "data", user, timeout)
        try:
            with self._connect() as conn:
                conn.execute(f"ALTER ROLE \"{self.user}\" PASSWORD '{password}'")
        except Exception as exc:
            self.stop()
            raise TwinError(f"the twin's PostgreSQL did not start from its template {template}: {exc}; "
                            "remove that folder to rebuild it") from exc
        self.password = password

    def _build_template(self, template: Path, user: pwd.struct_passwd | None, timeout: float) -> None:
        """Build the template in this twin's folder, stop it cleanly, then move it into the cache."""
        building = self.workdir / "pg-template"
        building.mkdir(mode=0o700)
        if user is not None:
            os.chown(building, user.pw_uid, user.pw_gid)
        password, port = self.password, self.port
        self._start_fresh(building, _TEMPLATE_PASSWORD, user, timeout)
        stop_process(self.proc, signal.SIGINT, timeout=15)
        self.proc, self.password, self.port = None, password, port
        template.parent.mkdir(parents=True, exist_ok=True)
        staging = template.parent / f".{template.name}.{os.getpid()}"
        shutil.rmtree(staging, ignore_errors=True)
        staging.mkdir()
        subprocess.run(["cp", "-a", str(building / "data"), str(staging / "data")], check=True)
        (staging / "ready").write_text("initdb + PostGIS + pgstac, stopped cleanly\n")
        shutil.rmtree(building, ignore_errors=True)
        try:
            os.rename(staging, template)
        except OSError:  # another twin built it meanwhile: theirs is as good
            shutil.rmtree(staging, ignore_errors=True)

    def _start_fresh(self, root: Path, password: str, user: pwd.struct_passwd | None, timeout: float) -> None:
        """initdb in ``root/data``, start PostgreSQL, create the database, install PostGIS and pgstac."""
        data, pwfile = root / "data", root / "pw"
        pwfile.write_text(password)
        if user is not None:
            os.chown(pwfile, user.pw_uid, user.pw_gid)
        self._run([str(self.bindir / "initdb"), "-D", str(data), "-U", self.user,
                   "--pwfile", str(pwfile), "-A", "scram-sha-256", "-E", "UTF8",
                   "--locale=C", "--no-sync", "--wal-segsize=1"], user, cwd=str(root))
        pwfile.unlink()
        self.password = password
        self._launch(data, user, timeout)
        try:
            self._create_database()
            self._migrate()
        except Exception as exc:
            tail = log_tail(self.root / "postgres.log")
            self.stop()
            raise TwinError(f"the twin's PostgreSQL did not start: {exc}\n{tail}") from exc

    def _launch(self, data: Path, user: pwd.struct_passwd | None, timeout: float) -> None:
        """Start PostgreSQL on ``data`` and wait until it accepts connections."""
        sock = self.root / "sock"
        if not sock.exists():
            sock.mkdir(mode=0o700)
            if user is not None:
                os.chown(sock, user.pw_uid, user.pw_gid)
        if self.port == 0:
            s = bind_loopback(0)
            self.port = s.getsockname()[1]
            s.close()
        log = open(self.root / "postgres.log", "ab")  # noqa: SIM115 - handed to the child
        try:
            self.proc = subprocess.Popen(
                [str(self.bindir / "postgres"), "-D", str(data), "-k", str(sock),
                 "-h", "127.0.0.1", "-p", str(self.port),
                 "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off",
                 "-c", "max_connections=60", "-c", "shared_buffers=64MB",
                 # small WAL (1 MB segments at initdb, few kept): less to write, and to copy from the template
                 "-c", "min_wal_size=4MB", "-c", "max_wal_size=256MB",
                 "-c", "logging_collector=off", "-c", "listen_addresses=127.0.0.1"],
                stdout=log, stderr=subprocess.STDOUT, cwd=str(self.root),
                user=user.pw_uid if user else None, group=user.pw_gid if user else None,
                extra_groups=[] if user else None,
                preexec_fn=die_with_parent(signal.SIGINT),
            )
        finally:
            log.close()
        try:
            wait_until(self._accepts_connections, timeout=timeout, what="PostgreSQL",
                       alive=lambda: self.proc is not None and self.proc.poll() is None)
        except Exception as exc:
            tail = log_tail(self.root / "postgres.log")
            self.stop()
            if isinstance(exc, TwinError):
                raise TwinError(f"{exc}\n{tail}") from exc
            raise TwinError(f"the twin's PostgreSQL did not start: {exc}\n{tail}") from exc

    def _connect(self, dbname: str | None = None) -> Any:
        import psycopg

        return psycopg.connect(host="127.0.0.1", port=self.port, user=self.user,
                               password=self.password, dbname=dbname or self.database,
                               connect_timeout=3, autocommit=True,
                               options="-c search_path=pgstac,public")

    def _accepts_connections(self) -> bool:
        try:
            with self._connect("postgres"):
                return True
        except Exception:
            return False

    def _create_database(self) -> None:
        with self._connect("postgres") as conn:
            conn.execute(f'CREATE DATABASE "{self.database}"')

    def _migrate(self) -> None:
        from pypgstac.db import PgstacDB
        from pypgstac.migrate import Migrate

        with PgstacDB(dsn=self.dsn) as db:
            Migrate(db).run_migration()

    def load(self, collections: Iterable[dict[str, Any]], items: Iterable[dict[str, Any]],
             queryables: Iterable[tuple[str, dict[str, Any], str | None, list[str] | None]] = ()) -> None:
        """Load collections and items, and register queryables.

        Parameters
        ----------
        collections, items
            STAC dictionaries.
        queryables
            ``(name, JSON schema definition, property wrapper, collection ids or None)``; the wrapper
            (``to_float``, ``to_int``, ``to_text``, ``to_tstz``, ``to_text_array``) types the property
            in filters and sorting, so numbers compare and sort as numbers.
        """
        from pypgstac.db import PgstacDB
        from pypgstac.load import Loader, Methods

        with PgstacDB(dsn=self.dsn) as db:
            Loader(db=db).load_collections(iter(list(collections)), insert_mode=Methods.upsert)
        queryables = list(queryables)
        with self._connect() as conn:
            # Our definitions replace pgstac's defaults of the same names (it may hold one, global).
            # No index: the twin holds a few dozen items, and pgstac would build one per queryable
            # and partition (a minute of start-up for nothing).
            conn.execute("DELETE FROM pgstac.queryables WHERE name = ANY(%s)",
                         (sorted({q[0] for q in queryables}),))
            for name, definition, wrapper, collection_ids in queryables:
                conn.execute(
                    "INSERT INTO pgstac.queryables (name, definition, property_wrapper, "
                    "property_index_type, collection_ids) VALUES (%s, %s::jsonb, %s, NULL, %s)",
                    (name, _json(definition), wrapper, collection_ids),
                )
        with PgstacDB(dsn=self.dsn) as db:
            Loader(db=db).load_items(iter(list(items)), insert_mode=Methods.upsert)
        with self._connect() as conn:
            conn.execute("ANALYZE")

    def stop(self) -> None:
        """Stop PostgreSQL (fast shutdown) and remove the cluster's folder."""
        stop_process(self.proc, signal.SIGINT, timeout=15)
        self.proc = None
        for _ in range(20):
            try:
                shutil.rmtree(self.root)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.1)


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj)
