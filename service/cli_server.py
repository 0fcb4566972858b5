"""CLI commands of the REST service: serve, worker, admin create-org/create-key, db upgrade."""

from __future__ import annotations

import typer

admin = typer.Typer(help="Organisations and API keys.", no_args_is_help=True)
dbcli = typer.Typer(help="Database schema.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the root app."""
    app.command("serve")(serve)
    app.command("worker")(worker)
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


def worker(concurrency: int = typer.Option(0, help="Jobs at once (0 = settings.worker_concurrency).")) -> None:
    """Run a job worker in the foreground (for deployments with `serve --no-worker`)."""
    from service.db import make_engine, upgrade
    from service.jobs import worker_process_main
    from service.settings import get_settings

    settings = get_settings()
    if concurrency:
        settings = settings.model_copy(update={"worker_concurrency": concurrency})
    if settings.auto_migrate:
        url = settings.resolved_database_url()
        upgrade(url, make_engine(url))
    worker_process_main(settings, None)


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
    from service.auth import create_key, find_org

    with _db() as db:
        found = find_org(db, org)
        if found is None:
            typer.echo(f"error: no organisation named {org!r}; create it with `coachscore admin create-org`", err=True)
            raise typer.Exit(1)
        key = create_key(db, found, name)
        db.commit()
        typer.echo(key.plain)
        typer.echo(f"(key {key.key_id} for {found.name}; store it now, it is not shown again)", err=True)


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


def _or_exit(fn):
    from service.errors import ApiError

    try:
        return fn()
    except ApiError as e:
        typer.echo(f"error: {e.message}", err=True)
        raise typer.Exit(1) from e
