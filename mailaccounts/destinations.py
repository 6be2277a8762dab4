"""Where a form may make the server connect: public addresses only, checked after DNS.

"Save and test connection" connects to a host and port a sales manager typed. Without a
check that is a way into the server's own network (loopback services, private networks, the
cloud's metadata address). For everyone but superusers, the host is resolved once, every
address it resolves to must be public, and the connection goes to the address that was
checked, so a DNS answer cannot change between the check and the connect. The operator can
allow loopback and private networks with MAIL_ALLOW_PRIVATE_HOSTS (the demo, the tests).
"""

import ipaddress
import socket

from django.conf import settings


class RefusedDestination(OSError):
    """A host that resolves to an address a form may not reach; the message is meant for people."""


def may_reach_private(user) -> bool:
    """Whether connections made for `user` (None: the system itself) may go to non-public addresses."""
    return settings.MAIL_ALLOW_PRIVATE_HOSTS or user is None or user.is_superuser


def refused_kind(address: str) -> str:
    """Why an IP address may not be reached ("loopback", "private", …), or "" for a public one."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    for kind, flag in (
        ("unspecified", ip.is_unspecified),
        ("loopback", ip.is_loopback),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved),
        ("private", ip.is_private),
        ("non-public", not ip.is_global),
    ):
        if flag:
            return kind
    return ""


def public_address(host: str, port: int):
    """The first address `host` resolves to, after checking that every one of them is public.

    socket.gaierror when the name does not resolve; RefusedDestination when it names a
    loopback, private, link-local, multicast, reserved or unspecified address."""
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]  # an IPv6 literal as written in a URL
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for *_, sockaddr in infos:
        kind = refused_kind(sockaddr[0])
        if kind:
            raise RefusedDestination(
                f"{host} resolves to a {kind} address, which this form may not connect to; "
                "ask an administrator."
            )
    return infos[0]


def connect(host: str, port: int, timeout: float | None) -> socket.socket:
    """A TCP connection to the public address `host` resolved to (see `public_address`)."""
    family, kind, proto, _, sockaddr = public_address(host, port)
    sock = socket.socket(family, kind, proto)
    try:
        sock.settimeout(timeout)
        sock.connect(sockaddr)
    except BaseException:
        sock.close()
        raise
    return sock
