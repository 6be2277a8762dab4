"""Which address a request came from, also behind the operator's own reverse proxies.

Login throttling (django-axes, AXES_CLIENT_IP_CALLABLE) and open tracking count per address.
Behind a proxy every request comes from the proxy: with TRUSTED_PROXIES = N (the proxies in
front of the site, each appending to X-Forwarded-For), the address is the one the outermost
proxy saw, read from the right. The left part of the header is whatever the client wrote.
"""

from django.conf import settings


def client_address(request):
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = [part.strip() for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [part for part in forwarded if part]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "")
