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
    """`count` contacts of `owner` in one company, with one INSERT … SELECT generate_series.

    Every column of the model is filled (others' defaults as parameters), so a field added
    to Contact later does not break the benchmarks.
    """
    from crm.models import Company, Contact

    company = Company.objects.create(full_name=f"{prefix} Company", owner=owner)
    computed = {
        "email": f"'{prefix}' || g || '@rcpt.test'",
        "first_name": "'First' || g",
        "is_vip": f"(g %% {vip_every} = 0)" if vip_every else "false",
        "created_at": "now()",
        "updated_at": "now()",
    }
    given = {
        "owner_id": owner.pk,
        "department_id": owner.department_id,
        "company_id": company.pk,
        "country": country,
        "last_name": "Last",
        "massmail": True,
    }
    columns, expressions, params = [], [], []
    for field in Contact._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(field.column)
        if field.column in computed:
            expressions.append(computed[field.column])
            continue
        value = given[field.column] if field.column in given else field.get_default()
        expressions.append("%s")
        params.append(field.get_db_prep_save(value, connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Contact._meta.db_table} ({', '.join(columns)}) "
            f"SELECT {', '.join(expressions)} FROM generate_series(1, %s) AS g",
            [*params, count],
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
