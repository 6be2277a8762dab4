"""Stored files (attachments): how they are named on disk and the one way they are served.

Nothing under MEDIA_ROOT is reachable by URL. A file goes out only through `serve`, behind
the `mail:file` view: the attachment is looked up among those of mail the user may see
(each kind is registered by the app that owns it), and it is always a download
(`Content-Disposition: attachment`) with a content type from a harmless list and
`X-Content-Type-Options: nosniff`, so an uploaded page or script never runs on our origin.
The sending itself is django-sendfile2's: streamed by Django (`crm.file_streaming`) or
handed to the web server (`SENDFILE_BACKEND`, README "Attachments").

File names are never trusted: a stored file gets a random name under its folder
(`RandomName`), the name it came with is only shown and offered as the download name.
"""

import posixpath
import re
import secrets

from django.forms import ClearableFileInput
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django_sendfile import sendfile

# Served with their own type; anything else is application/octet-stream. No HTML, SVG, XML or
# script: a browser could run those.
HARMLESS_CONTENT_TYPES = frozenset(
    {
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
        "image/bmp",
        "image/tiff",
        "application/pdf",
        "text/plain",
        "text/csv",
        "text/calendar",
        "application/zip",
        "application/gzip",
        "application/x-7z-compressed",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
        "application/rtf",
        "audio/mpeg",
        "video/mp4",
    }
)
_UNSAFE_NAME_CHARACTERS = re.compile(r'[\x00-\x1f\x7f"\\/:*?<>|\u2028\u2029]+')


@deconstructible
class RandomName:
    """`upload_to` that stores every file as `<folder>/YYYY/MM/<random>`, whatever it was called."""

    def __init__(self, folder):
        self.folder = folder

    def __call__(self, instance, filename):
        return posixpath.join(self.folder, timezone.now().strftime("%Y/%m"), secrets.token_hex(16))

    def __eq__(self, other):
        return isinstance(other, RandomName) and other.folder == self.folder


def display_name(name, default="attachment"):
    """A file name fit to show and to offer as a download name: the last path part, one line."""
    name = str(name or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME_CHARACTERS.sub("_", name).strip(" ._")
    return name[:255] or default


def served_content_type(content_type):
    """The stored type when it is harmless, else application/octet-stream."""
    kind = (content_type or "").split(";", 1)[0].strip().lower()
    return kind if kind in HARMLESS_CONTENT_TYPES else "application/octet-stream"


# --- who may download what --------------------------------------------------------------------

_KINDS = {}


def register(kind, visible_to):
    """`visible_to(user)` gives the attachments of `kind` (rows with `file`, `filename`,
    `content_type`) the user may download: those of mail they may see."""
    _KINDS[kind] = visible_to


def url_of(kind, attachment):
    return reverse("mail:file", args=[kind, attachment.pk])


def find(user, kind, pk):
    """The stored attachment, if `user` may see the mail it belongs to; else 404."""
    visible_to = _KINDS.get(kind)
    attachment = visible_to(user).filter(pk=pk).exclude(file="").first() if visible_to else None
    if attachment is None:
        raise Http404("No such file, or not yours to see.")
    return attachment


def serve(request, attachment):
    """The download response: an attachment, a harmless type, nosniff; streamed or offloaded."""
    response = sendfile(
        request,
        attachment.file.path,
        attachment=True,
        attachment_filename=display_name(attachment.filename),
        mimetype=served_content_type(attachment.content_type),
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


class StoredFileInput(ClearableFileInput):
    """The admin's file input, whose "Currently" link goes through the checked view, not MEDIA_URL."""

    def __init__(self, kind, attrs=None):
        super().__init__(attrs)
        self.kind = kind

    def format_value(self, value):
        if self.is_initial(value) and getattr(value, "instance", None) is not None and value.instance.pk:
            return _Link(url_of(self.kind, value.instance), display_name(value.instance.filename))
        return None

    def is_initial(self, value):
        return bool(value and getattr(value, "name", None))


class _Link:
    def __init__(self, url, name):
        self.url, self.name = url, name

    def __str__(self):
        return self.name
