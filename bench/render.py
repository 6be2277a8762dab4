"""Rendering a mailing's message per recipient: compiled once vs. the straightforward way.

    python -m bench.render [N]

Works in a throwaway SQLite database (migrated, then deleted), with unsaved recipients, so it
needs no server. Both sides render the same N recipients to bytes, side by side in one run:

- compiled: `compile_message(mailing)` once, then `CompiledMessage.render(recipient, account)`
  and `as_bytes()` per recipient (what the drip engine does);
- naive: a Django template parsed per recipient and the message built with `EmailMessage`'s
  `set_content`/`add_alternative` (what one writes first).

Last line: `compiled_per_s: C naive_per_s: V ratio: R render_only_per_s: O`
"""

import os
import shutil
import sys
import tempfile
import time

DB = os.path.join(tempfile.mkdtemp(prefix="bench_render_"), "db.sqlite3")
os.environ["DATABASE_URL"] = f"sqlite:///{DB}"
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from email import policy  # noqa: E402
from email.message import EmailMessage  # noqa: E402
from email.utils import format_datetime, formataddr  # noqa: E402

from django.core.management import call_command  # noqa: E402
from django.template import Context, Template  # noqa: E402
from django.utils import timezone  # noqa: E402

BODY = (
    "<p>Hello {{ first_name }},</p>"
    + "<p>Our <b>spring offer</b> for {{ company }}: <a href='https://example.com/offer'>see it here</a>.</p>"
    * 15
    + "<p><a href='{{ unsubscribe_url }}'>Unsubscribe</a></p>"
)


def main(count):
    from crm.models import Company, Contact, User
    from mailaccounts.models import EmailAccount
    from mailkit import rendering
    from massmail.compiling import compile_message
    from massmail.models import Mailing, MailingRecipient, Message

    owner = User(username="bench", first_name="Bench", email="bench@example.com")
    message = Message(owner=owner, subject="Spring offer for {{ company }}", body=BODY)
    mailing = Mailing(pk=1, owner=owner, message=message, recipient_type="contacts")
    account = EmailAccount(email="sales@example.com", display_name="Sales Team", reply_to="team@example.com")
    company = Company(full_name="Acme & Söhne")
    recipients = [
        MailingRecipient(
            pk=n + 1,
            mailing=mailing,
            contact=Contact(first_name=f"Zoë{n}", last_name="Ng", company=company, email=f"c{n}@example.com"),
            email=f"c{n}@example.com",
            message_id=f"<{n}@example.com>",
        )
        for n in range(count)
    ]

    started = time.perf_counter()
    compiled = compile_message(mailing)
    for recipient in recipients:
        compiled.render(recipient, account).as_bytes()
    compiled_s = time.perf_counter() - started

    started = time.perf_counter()
    for recipient in recipients:
        compiled.render(recipient, account)
    render_only_s = time.perf_counter() - started

    started = time.perf_counter()
    for recipient in recipients:
        context = Context(
            rendering.record_variables(recipient.record) | {"unsubscribe_url": "https://x/u/t/"}
        )
        html = Template(BODY).render(context)
        email = EmailMessage(policy=policy.SMTP)
        email["Subject"] = Template(message.subject).render(context)
        email["From"] = formataddr((account.display_name, account.email))
        email["To"] = recipient.email
        email["Date"] = format_datetime(timezone.now())
        email["Message-ID"] = recipient.message_id
        email["List-Unsubscribe"] = "<https://x/u/t/>"
        email.set_content(rendering.html_to_text(html))
        email.add_alternative(html, subtype="html")
        email.as_bytes()
    naive_s = time.perf_counter() - started

    compiled_rate, naive_rate = count / compiled_s, count / naive_s
    print(
        f"compiled_per_s: {compiled_rate:.0f} naive_per_s: {naive_rate:.0f} "
        f"ratio: {compiled_rate / naive_rate:.1f} render_only_per_s: {count / render_only_s:.0f}"
    )


if __name__ == "__main__":
    try:
        call_command("migrate", verbosity=0)
        main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
    finally:
        shutil.rmtree(os.path.dirname(DB))
