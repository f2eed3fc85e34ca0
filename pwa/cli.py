"""Command-line tasks: `flask --app pwa create-user`, `set-password`, `set-role`, `seed-demo`,
`push-key`, `send-reminders`, and `backup`, `restore`, `restored` (pwa/backup.py)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from .accounts import RoleChangeRefused, change_password, change_role
from .audit import audit
from .backup import backup_command, restore_command, restored_command
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


def _user_named(username: str) -> User:
    user = db.session.scalar(db.select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"there is no user called {username!r}")
    return user


@click.command("set-password")
@click.argument("username")
@click.option("--password", prompt=True, hide_input=True, confirmation_prompt=True,
              help="Prompted for, unseen, when left out.")  # fmt: skip
@with_appcontext
def set_password(username: str, password: str) -> None:
    """Give a user a new password: every session and phone of theirs must sign in again."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise click.BadParameter(
            f"must be at least {MIN_PASSWORD_LENGTH} characters", param_hint="password"
        )
    user = _user_named(username)
    change_password(user, password)
    db.session.commit()
    click.echo(f"New password set for {user.username}; they are signed out everywhere.")


@click.command("set-role")
@click.argument("username")
@click.argument("role", type=click.Choice(ROLES))
@with_appcontext
def set_role(username: str, role: str) -> None:
    """Change what a user may do: every session and phone of theirs must sign in again."""
    user = _user_named(username)
    if user.role == role:
        click.echo(f"{user.username} is already a {role}.")
        return
    try:
        change_role(user, role)
    except RoleChangeRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    db.session.commit()
    click.echo(f"{user.username} is now a {role}; they are signed out everywhere.")


@click.command("seed-demo")
@click.option(
    "--if-empty", is_flag=True, help="With real records here, say so and carry on (make run)."
)
@with_appcontext
def seed_demo_command(if_empty: bool) -> None:
    """Fill an empty database with a realistic demo practice."""
    try:
        created = seed_demo()
    except DemoRefused as refusal:
        if if_empty:
            click.echo(f"{refusal} Starting with the records already here.")
            return
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


@click.command("prune-push")
@with_appcontext
def prune_push_command() -> None:
    """Prune push notices, deliveries and claims past the retention (run it daily)."""
    from .housekeeping import prune_push

    days = int(current_app.config["PUSH_RETENTION_DAYS"])
    removed = prune_push(keep=timedelta(days=days))
    click.echo(f"Pruned {removed['claims']} claims, {removed['deliveries']} deliveries and "
               f"{removed['notices']} notices older than {days} days.")  # fmt: skip


def init_app(app: Flask) -> None:
    """Add the commands to `flask --app pwa`."""
    app.cli.add_command(create_user)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(restored_command)
    app.cli.add_command(set_password)
    app.cli.add_command(set_role)
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(push_key_command)
    app.cli.add_command(send_reminders_command)
    app.cli.add_command(prune_push_command)
