"""A small HTTP client for tests and benchmarks that talk to a real server (gunicorn): a
cookie jar, the forms of a page read as a browser would submit them, CSRF included."""

from __future__ import annotations

import http.cookiejar
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Response:
    status: int
    url: str
    headers: dict
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


@dataclass
class Form:
    action: str
    fields: dict = field(default_factory=dict)  # name -> value, as submitted without changes
    choices: dict = field(default_factory=dict)  # select name -> [option values]


class _FormReader(HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms: list[Form] = []
        self._textarea = self._select = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(action=a.get("action") or ""))
        elif not self.forms:
            return
        form = self.forms[-1] if self.forms else None
        if tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            form.fields[a["name"]] = a.get("value", "on" if kind in ("checkbox", "radio") else "")
        elif tag == "textarea" and a.get("name"):
            self._textarea = a["name"]
            form.fields[self._textarea] = ""
        elif tag == "select" and a.get("name"):
            self._select = a["name"]
            form.choices[self._select] = []
        elif tag == "option" and self._select:
            value = a.get("value", "")
            form.choices[self._select].append(value)
            if "selected" in a or self._select not in form.fields:
                form.fields[self._select] = value

    def handle_endtag(self, tag):
        if tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def forms_of(html: str) -> list[Form]:
    reader = _FormReader()
    reader.feed(html)
    return reader.forms


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class HttpClient:
    """`get`/`post` relative to `base`; redirects are followed unless `follow=False`."""

    def __init__(self, base: str, timeout: float = 30):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        cookies = urllib.request.HTTPCookieProcessor(self.cookies)
        self._follow = urllib.request.build_opener(cookies)
        self._stay = urllib.request.build_opener(cookies, _NoRedirect)

    def url(self, path: str) -> str:
        return path if path.startswith("http") else self.base + path

    def request(self, method, path, data=None, headers=None, follow=True) -> Response:
        body = urllib.parse.urlencode(data, doseq=True).encode() if data is not None else None
        request = urllib.request.Request(self.url(path), data=body, method=method, headers=headers or {})
        opener = self._follow if follow else self._stay
        try:
            with opener.open(request, timeout=self.timeout) as reply:
                return Response(reply.status, reply.url, dict(reply.headers), reply.read())
        except urllib.error.HTTPError as error:
            return Response(error.code, error.url, dict(error.headers), error.read())

    def get(self, path, **kwargs) -> Response:
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs) -> Response:
        return self.request("POST", path, data=data, **kwargs)

    def submit(self, path, changes, **kwargs) -> Response:
        """GET the page, fill the form that has most of the fields in `changes` (the admin's
        header has a logout form too) and POST it, CSRF token and other fields as they were."""
        page = self.get(path)
        form = max(forms_of(page.text), key=lambda f: len(set(f.fields) & set(changes)))
        action = urllib.parse.urljoin(page.url, form.action) if form.action else page.url
        return self.post(action, {**form.fields, **changes}, **kwargs)

    def log_in(self, login_path, username, password) -> Response:
        response = self.submit(login_path, {"username": username, "password": password})
        if "/login/" in response.url:
            raise AssertionError(f"login as {username} failed: {response.status} {response.text[:500]}")
        return response
