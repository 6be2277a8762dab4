import signal
import threading

from django.core.management.base import BaseCommand

from demo.mail_sink import serve, sink_dir


class Command(BaseCommand):
    help = "Demo only: a local SMTP server that stores every message (read them at /crm/sent-mail/)."

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)

    def handle(self, *args, host, port, **options):
        controller = serve(host, port)
        self.stdout.write(f"Demo mail sink on {host}:{port}, storing into {sink_dir()}")
        stop = threading.Event()
        signal.signal(signal.SIGTERM, lambda *_: stop.set())
        try:
            stop.wait()
        except KeyboardInterrupt:
            pass
        finally:
            controller.stop()
