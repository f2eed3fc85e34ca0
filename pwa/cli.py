"""Command-line tasks: `flask --app pwa create-user`, `seed-demo`, `push-key` and
`send-reminders`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .audit import audit
from .demo import DEMO_PASSWORD, DEMO_USERS, DemoRefused, seed_demo
from .extensions import db
from .models import ROLES, User
from .passwords import MIN_PASSWORD_LENGTH, hash_password


@click.command("create-user")
@click.argument("username")
@click.option("--role", type=click.Choice(ROLES), required=True, help="What the user may do.")
@click.option("--name", "display_name", help="Full name shown in the app (default: username).")
@click.option(
    "--password",
    prompt=True,
    hide_input=True,
    confirmation_prompt=True,
    help="Prompted for, unseen, when left out.",
)
@with_appcontext
def create_user(username: str, role: str, display_name: str | None, password: str) -> None:
    """Create a user who can sign in."""
    username = username.strip().lower()
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"must be at least {MIN_PASSWORD_LENGTH} characters", param_hint="password"
        )
    if db.session.scalar(db.select(User.id).where(User.username == username)):
        raise click.ClickException(f"a user called {username!r} already exists")
    user = User(
        username=username,
        display_name=display_name or username,
        role=role,
        password_hash=hash_password(password),
    )
    db.session.add(user)
    db.session.flush()
    audit("user.create", record_type="user", record_id=str(user.id))
    db.session.commit()
    click.echo(f"Created {role} {username}")


@click.command("seed-demo")
@with_appcontext
def seed_demo_command() -> None:
    """Fill an empty database with a realistic demo practice."""
    try:
        created = seed_demo()
    except DemoRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    if created:
        click.echo("Demo practice created.")
    else:
        click.echo("Demo practice is already in this database.")
    click.echo(f"Sign in with the password {DEMO_PASSWORD!r} as:")
    for username, display_name, role in DEMO_USERS:
        click.echo(f"  {username:<8} {display_name} ({role.replace('_', ' ')})")


@click.command("push-key")
@with_appcontext
def push_key_command() -> None:
    """Print the Web Push public key, generating the key pair into instance/ if there is none."""
    from .push import public_key

    click.echo(public_key())


@click.command("send-reminders")
@with_appcontext
def send_reminders_command() -> None:
    """Send the Web Push reminders and alerts that are due (run it every 5 minutes)."""
    from .reminders import send_reminders

    try:
        report = send_reminders()
    except RuntimeError as error:  # no VAPID_SUBJECT: nothing can be sent
        raise click.ClickException(str(error)) from None
    if report.pop("outside_hours", 0):
        first, last = current_app.config["REMINDER_HOURS"]
        click.echo(f"Outside reminder hours ({first:02d}:00-{last:02d}:00): nothing sent.")
        return
    made = report.pop("notices", 0)
    outcomes = ", ".join(f"{name} {count}" for name, count in sorted(report.items()))
    click.echo(f"New notices: {made}. Deliveries: {outcomes or 'none due'}.")


def init_app(app: Flask) -> None:
    """Add the commands to `flask --app pwa`."""
    app.cli.add_command(create_user)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(push_key_command)
    app.cli.add_command(send_reminders_command)
