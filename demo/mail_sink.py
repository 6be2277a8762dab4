"""The demo's local SMTP server: accepts every message and stores it as a .eml file, and the
page at /crm/sent-mail/ that shows what was "sent". Not for production: nothing is relayed.

    python manage.py mail_sink --port 2525
"""

import email
import email.policy
import time
import uuid
from pathlib import Path

from django.conf import settings
from django.http import Http404
from django.shortcuts import render

from crm.site import crm_site

SHOWN = 200


def sink_dir() -> Path:
    return Path(settings.MAIL_SINK_DIR)


class StoreHandler:
    """aiosmtpd handler: one file per message, named so that sorting by name is by arrival."""

    def __init__(self, directory: Path):
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.eml"
        header = f"X-Sink-Envelope-From: {envelope.mail_from}\r\nX-Sink-Envelope-To: {', '.join(envelope.rcpt_tos)}\r\n"
        (self.directory / name).write_bytes(header.encode() + envelope.original_content)
        return "250 2.0.0 Stored by the demo mail sink"


def serve(host="127.0.0.1", port=2525):
    from aiosmtpd.controller import Controller

    controller = Controller(StoreHandler(sink_dir()), hostname=host, port=port)
    controller.start()
    return controller


def _read(path: Path):
    message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    return {
        "name": path.name,
        "from": message["From"],
        "to": message["X-Sink-Envelope-To"] or message["To"],
        "subject": message["Subject"],
        "date": message["Date"],
        "message": message,
    }


def sent_mail_list(request):
    directory = sink_dir()
    files = sorted(directory.glob("*.eml"), reverse=True) if directory.exists() else []
    context = {
        **crm_site.each_context(request),
        "title": "Demo mail sink: what was sent",
        "messages_": [_read(path) for path in files[:SHOWN]],
        "total": len(files),
        "shown": SHOWN,
        "directory": directory,
    }
    return render(request, "demo/mail_sink_list.html", context)


def sent_mail_detail(request, name):
    path = sink_dir() / name
    if "/" in name or not name.endswith(".eml") or not path.is_file():
        raise Http404("No such message in the demo mail sink.")
    item = _read(path)
    message = item["message"]
    html = message.get_body(("html",))
    text = message.get_body(("plain",))
    context = {
        **crm_site.each_context(request),
        "title": item["subject"] or "(no subject)",
        "item": item,
        "headers": list(message.items()),
        "html": html.get_content() if html else "",
        "text": text.get_content() if text else "",
    }
    return render(request, "demo/mail_sink_detail.html", context)
