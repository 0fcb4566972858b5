"""CLI commands of the REST service: serve, worker, admin create-org/create-key/list-keys/revoke-key/
create-user/first-run, db upgrade."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from service.db import Org

admin = typer.Typer(help="Organisations and API keys.", no_args_is_help=True)
dbcli = typer.Typer(help="Database schema.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("serve")(serve)
    app.command("worker")(worker)
    app.command("beat")(beat)
    app.add_typer(admin, name="admin")
    app.add_typer(dbcli, name="db")


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="TCP port."),
    worker: bool = typer.Option(True, "--worker/--no-worker", help="Start the embedded job worker process."),
    concurrency: int = typer.Option(0, help="Jobs at once in the worker (0 = settings.worker_concurrency)."),
) -> None:
    """Run the API (uvicorn) with an embedded worker process; migrates the database first."""
    import uvicorn

    from service.app import create_app
    from service.settings import get_settings

    settings = get_settings()
    updates: dict = {"embedded_worker": worker}
    if "public_base_url" not in settings.model_fields_set:
        updates["public_base_url"] = f"http://{host}:{port}"
    if concurrency:
        updates["worker_concurrency"] = concurrency
    app = create_app(settings.model_copy(update=updates))
    uvicorn.run(app, host=host, port=port, log_level="info", access_log=False)


def worker(
    concurrency: int = typer.Option(0, help="Jobs at once (0 = settings.worker_concurrency)."),
    queues: str = typer.Option("transcribe,analyze", help="With COACHSCORE_QUEUE=celery: the queues to consume."),
) -> None:
    """Run a job worker in the foreground (for `serve --no-worker`, or a Celery worker with
    COACHSCORE_QUEUE=celery)."""
    from service.db import make_engine, upgrade
    from service.jobs import worker_process_main
    from service.settings import get_settings

    settings = get_settings()
    if concurrency:
        settings = settings.model_copy(update={"worker_concurrency": concurrency})
    if settings.auto_migrate:
        url = settings.resolved_database_url()
        upgrade(url, make_engine(url))
    if settings.queue != "celery":
        worker_process_main(settings, None)
        return
    from service.jobs.distributed import worker_main

    try:
        worker_main(settings, [q.strip() for q in queues.split(",") if q.strip()], settings.worker_concurrency)
    except ValueError as e:
        typer.echo(f"error: {e}", err=True)
        raise typer.Exit(2) from e


def beat() -> None:
    """Run Celery beat (COACHSCORE_QUEUE=celery): the stuck-job sweeper and retention purge."""
    from service.jobs.distributed import beat_main
    from service.settings import get_settings

    settings = get_settings()
    settings.resolved_data_dir().mkdir(parents=True, exist_ok=True)
    beat_main(settings, str(settings.resolved_data_dir()))


@admin.command("create-org")
def create_org_cmd(name: str = typer.Argument(..., help="Organisation name (unique).")) -> None:
    """Create an organisation; prints its id and webhook signing secret."""
    from service.auth import create_org

    with _db() as db:
        org = _or_exit(lambda: create_org(db, name))
        db.commit()
        typer.echo(f"organisation: {org.id} ({org.name})")
        typer.echo(f"webhook secret (HMAC-SHA256 key for X-Coachscore-Signature): {org.webhook_secret}")


@admin.command("create-key")
def create_key_cmd(
    org: str = typer.Argument(..., help="Organisation name or id."),
    name: str = typer.Option("", help="A label for the key."),
) -> None:
    """Create an API key for ORG. The key is printed once; only its hash is stored."""
    from service.auth import create_key

    with _db() as db:
        found = _org_or_exit(db, org)
        key = create_key(db, found, name)
        db.commit()
        typer.echo(key.plain)
        typer.echo(f"(key {key.key_id} for {found.name}; store it now, it is not shown again)", err=True)


@admin.command("list-keys")
def list_keys_cmd(org: str = typer.Option(..., "--org", help="Organisation name or id.")) -> None:
    """List ORG's API keys, tab-separated: id, prefix, name, created, revoked, last used (UTC,
    ISO 8601; last use is stamped at most every few minutes). Never shows a key itself: only
    its hash is stored."""
    from service.auth import KEY_PREFIX, list_keys

    with _db() as db:
        found = _org_or_exit(db, org)
        keys = list_keys(db, found)
    if not keys:
        typer.echo(f"(no keys for {found.name}; create one with `coachscore admin create-key`)", err=True)
        return
    typer.echo("id\tprefix\tname\tcreated\trevoked\tlast used")
    for k in keys:
        revoked, used = (_iso(at) if at else "-" for at in (k.revoked_at, k.last_used_at))
        typer.echo(f"{k.id}\t{KEY_PREFIX}_{k.prefix}\t{k.name or '-'}\t{_iso(k.created_at)}\t{revoked}\t{used}")


@admin.command("revoke-key")
def revoke_key_cmd(key_id: str = typer.Argument(..., help="Key id (key_..., see `admin list-keys`).")) -> None:
    """Revoke an API key: every request with it gets 401 from now on. Revoking twice is a no-op."""
    from service.auth import revoke_key
    from service.db import ApiKey

    with _db() as db:
        key = db.get(ApiKey, key_id)
        if key is None:
            typer.echo(f"error: no API key with id {key_id!r}; see `coachscore admin list-keys --org ORG`", err=True)
            raise typer.Exit(1)
        if not revoke_key(db, key_id):
            typer.echo(f"key {key_id} was already revoked at {_iso(key.revoked_at)}")
            return
        db.commit()
        typer.echo(f"revoked key {key_id} ({key.name or 'no name'}); requests with it now get 401")


@admin.command("create-user")
def create_user_cmd(
    org: str = typer.Option(..., "--org", help="Organisation name or id."),
    email: str = typer.Option(..., "--email", help="Their email address (they sign in with it)."),
    role: str = typer.Option("member", "--role", help="admin (everything in the organisation) or member."),
    name: str = typer.Option("", "--name", help="Their name as a leader in recordings (optional)."),
    new_org: bool = typer.Option(False, "--new-org", help="Create the organisation if it does not exist."),
) -> None:
    """Create a web user (the first admin: --role admin) and print a one-time link where
    they choose their name and password."""
    from service.auth import create_org, find_org
    from service.settings import get_settings
    from service.web.accounts import create_user, new_link

    settings = get_settings()
    with _db() as db:
        found = find_org(db, org) if new_org else _org_or_exit(db, org)
        found = found or _or_exit(lambda: create_org(db, org))
        user = _or_exit(lambda: create_user(db, found, email, role, name))
        link = new_link(db, settings, user, "invite")
        db.commit()
    typer.echo(link)
    typer.echo(f"(one-time link for {user.email}, {role} of {found.name}; open it within "
               f"{settings.invite_ttl_hours:g} hours to choose a password)", err=True)


@admin.command("first-run")
def first_run_cmd(
    email: str = typer.Option("admin@example.com", "--email", help="The first admin's email address (they sign in with it)."),
    org: str = typer.Option("My organisation", "--org", help="The organisation to create when there is none."),
    port: int = typer.Option(8000, "--port", help="The port `coachscore serve` will listen on (for the printed URLs)."),
) -> None:
    """Get a fresh install ready to sign in: the organisation and its first admin when the server
    has no admin yet, then print how to start the web app and a one-time sign-in link. Safe to
    run again: it makes no second admin; the first admin gets a new link (invitation, or password
    reset once they have a password). The link is the last line of the output."""
    from service.settings import get_settings
    from service.web.first_run import first_run

    settings = get_settings()
    if "public_base_url" not in settings.model_fields_set:
        settings = settings.model_copy(update={"public_base_url": f"http://127.0.0.1:{port}"})
    base = settings.public_base_url.rstrip("/")
    with _db() as db:
        done = _or_exit(lambda: first_run(db, settings, email, org))
        db.commit()
    what = "Created" if done.created else "Already there:"
    typer.echo(f"{what} admin {done.email} of {done.org}.")
    typer.echo("")
    typer.echo("Start the web app (keep it running; Ctrl-C stops it):")
    typer.echo(f"    .venv/bin/coachscore serve --port {port}")
    typer.echo(f"Then open {base}/ in a browser. Sample recording to upload: samples/coaching_1on1.wav")
    action = "choose your name and password" if done.purpose == "invite" else "choose a new password"
    typer.echo(f"First sign-in: open this one-time link to {action} (works once, for {done.hours:g} hours;")
    typer.echo("run `coachscore admin first-run` again for a new one):")
    typer.echo(done.url)


@dbcli.command("upgrade")
def db_upgrade() -> None:
    """Apply all database migrations (idempotent)."""
    from service.db import current_revision, make_engine, upgrade
    from service.settings import get_settings

    url = get_settings().resolved_database_url()
    engine = make_engine(url)
    upgrade(url, engine)
    typer.echo(f"database at revision {current_revision(engine)}")


def _db():
    from service.db import make_engine, make_sessionmaker, upgrade
    from service.settings import get_settings

    url = get_settings().resolved_database_url()
    engine = make_engine(url)
    upgrade(url, engine)
    return make_sessionmaker(engine)()


def _org_or_exit(db: Session, org: str) -> Org:
    """The organisation named (or with id) ``org``; exit 1 with a one-line error if none."""
    from service.auth import find_org

    found = find_org(db, org)
    if found is None:
        typer.echo(f"error: no organisation named {org!r}; create it with `coachscore admin create-org`", err=True)
        raise typer.Exit(1)
    return found


def _iso(at: datetime) -> str:
    """A stored UTC datetime as ISO 8601 to the second."""
    return at.isoformat(timespec="seconds")


def _or_exit(fn):
    from service.errors import ApiError

    try:
        return fn()
    except ApiError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(1) from e
