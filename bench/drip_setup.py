"""What the drip benchmarks share: a throwaway database and bulk-loaded CRM rows.

Each benchmark works in its own database `bench_<name>` on the PostgreSQL server of
DATABASE_URL, created with Django's test database machinery (all migrations) and dropped at
the end, so it leaves nothing behind and never touches the real data.
"""

import contextlib
import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402


@contextlib.contextmanager
def throwaway_database(name):
    if connection.vendor != "postgresql":
        raise SystemExit("These benchmarks need PostgreSQL: set DATABASE_URL=postgres://…")
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = f"bench_{name}"
    settings.DEBUG = False  # no query log growing with the run; CaptureQueriesContext still counts
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
    try:
        yield
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)


def sales_manager(username="bench"):
    from crm.models import Department
    from crm.roles import Role
    from crm.tests.fixtures import make_user

    department, _ = Department.objects.get_or_create(name="Bench")
    return make_user(username, Role.SALES_MANAGER, department)


def insert_contacts(owner, count, *, country="Germany", vip_every=0, prefix="c"):
    """`count` contacts of `owner` in one company, with one INSERT … SELECT generate_series."""
    from crm.models import Company

    company = Company.objects.create(full_name=f"{prefix} Company", owner=owner)
    vip = f"(g %% {vip_every} = 0)" if vip_every else "false"
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO crm_contact (email, phone, country, city, owner_id, department_id, is_vip,
                massmail, description, created_at, updated_at, first_name, last_name, company_id, title)
            SELECT '{prefix}' || g || '@rcpt.test', '', %s, '', %s, %s, {vip}, true, '', now(), now(),
                'First' || g, 'Last', %s, ''
            FROM generate_series(1, %s) AS g
            """,
            [country, owner.pk, owner.department_id, company.pk, count],
        )
    return company


def bench_message(owner):
    from massmail.models import Message

    return Message.objects.create(
        owner=owner,
        subject="News for {{ first_name }}",
        body="<p>Hello {{ first_name }} of {{ company }},</p><p>" + "Our news. " * 40 + "</p>"
        "<p><a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>",
    )


def _sink_main(pipe):
    import logging

    from testsupport.smtp import SmtpSink

    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd logs every line at INFO
    with SmtpSink() as sink:
        pipe.send((sink.host, sink.port))
        while (command := pipe.recv()) != "stop":
            if command == "clear":
                sink.clear()
            pipe.send((len(sink.messages), sink.connections))
    pipe.send(None)


class SinkProcess:
    """The loopback aiosmtpd sink in its own process, so it does not share the GIL with the
    sender being measured (as a real mail server would not)."""

    def __enter__(self):
        import multiprocessing

        context = multiprocessing.get_context("spawn")  # a fork would share our DB sockets
        self.pipe, child = context.Pipe()
        self.process = context.Process(target=_sink_main, args=(child,), daemon=True)
        self.process.start()
        self.host, self.port = self.pipe.recv()
        return self

    def stats(self, command="stats"):
        """(messages received, connections opened) since the start or the last clear."""
        self.pipe.send(command)
        return self.pipe.recv()

    def clear(self):
        return self.stats("clear")

    def __exit__(self, *exc_info):
        self.pipe.send("stop")
        self.pipe.recv()
        self.process.join(5)
