"""Where a webhook may go: a receiver's address must be public (not loopback, link-local, private, reserved or
multicast) unless an admin allowed that endpoint's host. Checked when the endpoint is saved and again at every
connection, on the address then connected to, so a name that resolves elsewhere later (DNS rebinding) is refused."""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from urllib.parse import urlsplit

from servicecenter.errors import N_, DomainError

Resolver = Callable[[str, int], list[str]]  # (host, port) -> the addresses, as getaddrinfo gives them


class TargetRefused(DomainError):
    pass


def system_resolver(host: str, port: int) -> list[str]:
    return [info[4][0] for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def parse(url: str, *, is_private_allowed: bool) -> tuple[str, str, int]:
    """(scheme, host, port) of a receiver's URL. Plain http only to a host an admin allowed (inside our network)."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise TargetRefused(N_("The address is not a valid URL."), field="url") from None
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.username or parts.password:
        raise TargetRefused(N_("The address must be an http(s) URL without a user name or password."), field="url")
    if parts.scheme == "http" and not is_private_allowed:
        raise TargetRefused(N_("The address must use https."), field="url")
    return parts.scheme, parts.hostname, port


# IPv6 prefixes that carry an IPv4 address or reach one through a translator (NAT64, IPv4-compatible, SIIT) or
# are deprecated site-local: Python's is_global calls some of them global, but they can lead to 127.0.0.1,
# 169.254.169.254 or a private network.
_TRANSLATED = tuple(ipaddress.ip_network(n) for n in (
    "64:ff9b::/96", "64:ff9b:1::/48", "::/96", "::ffff:0:0:0/96", "fec0::/10"))


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            ip = ip.ipv4_mapped
        elif any(ip in network for network in _TRANSLATED):
            return False
        elif ip.sixtofour is not None or ip.teredo is not None:  # the IPv4 address inside must be public too
            inner = ip.sixtofour if ip.sixtofour is not None else ip.teredo[1]
            return is_public(str(inner)) and ip.is_global
    return ip.is_global and not ip.is_multicast


def checked_address(host: str, port: int, *, is_private_allowed: bool, resolve: Resolver) -> str:
    """The address to connect to: the first the name resolves to, if every one is allowed (one private answer
    among public ones is refused too: the client could be steered to it)."""
    try:
        addresses = resolve(host, port)
    except OSError:
        raise TargetRefused(N_("The receiver's host name does not resolve."), field="url") from None
    if not addresses:
        raise TargetRefused(N_("The receiver's host name does not resolve."), field="url")
    if not is_private_allowed and not all(is_public(a) for a in addresses):
        raise TargetRefused(N_("The receiver's address is not public (loopback, link-local or private); an admin "
                               "must allow this host."), field="url")
    return addresses[0]
