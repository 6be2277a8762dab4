import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

pytestmark = pytest.mark.browser


@pytest.fixture
def http_page():
    """A tiny HTTP server answering every GET with one HTML page."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            body = b"<!doctype html><title>Tiny page</title><h1 id='greeting'>Hello</h1>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/"
    server.shutdown()
    server.server_close()


def test_data_url_title(page):
    page.goto("data:text/html,<title>From data</title><p>x</p>")
    assert page.title() == "From data"


def test_http_page(page, http_page):
    response = page.goto(http_page)
    assert response.status == 200
    assert page.title() == "Tiny page"
    assert page.locator("#greeting").inner_text() == "Hello"


def test_page_sets_async_unsafe_for_django(page):
    import os

    assert os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] == "true"
