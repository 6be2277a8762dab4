"""django-sendfile2 backend (the default `SENDFILE_BACKEND`): Django streams the file itself.

django-sendfile2's own "simple" backend reads the whole file into memory; this one hands an
open file to FileResponse, which sends it in chunks. `django_sendfile.sendfile` sets the
download headers on what this returns.
"""

from django.http import FileResponse


def sendfile(request, filepath, **kwargs):
    return FileResponse(filepath.open("rb"))
