"""Which push endpoints the server will POST to: no request forgery through a subscription.

A phone registers its push subscription's endpoint, and `flask send-reminders` later POSTs to
it from inside the practice's network. Any role can register one, so an endpoint is hostile
until checked (DESIGN.md, "Sessions, devices and push endpoints"):

- `https`, on the default port, with no user name or password in it;
- on a known push service's host (Google's FCM, Mozilla's autopush, Apple's, Microsoft's WNS;
  more with PUSH_EXTRA_HOSTS), named, never an IP address literal;
- and at send time, because a name can come to resolve somewhere new, every address the name
  resolves to must be a public one: private, loopback, link-local, shared, multicast and
  reserved addresses are refused.

PUSH_ALLOW_LOOPBACK_HTTP (tests only) lets `http://127.0.0.1`/`localhost` through, where the
tests' fake push service listens.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import SplitResult, urlsplit

from flask import current_app
from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url

# The push services browsers subscribe through. "*." matches any name under the domain.
KNOWN_PUSH_HOSTS = (
    "fcm.googleapis.com",  # Chrome, Chromium, Samsung Internet, Opera
    "*.push.services.mozilla.com",  # Firefox: updates.push.services.mozilla.com
    "*.push.apple.com",  # Safari: web.push.apple.com
    "*.notify.windows.com",  # Edge: wns2-*.notify.windows.com
)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}
MAX_ENDPOINT_LENGTH = 1000
REFUSED = "Must be the https address of a known push service."
# A host name as DNS spells it: letters, digits and hyphens in labels of 1 to 63, no more.
# Anything else (a backslash, an escape, an empty label) can mean one host to the resolver
# that checks it and another to the HTTP client that connects.
HOST_NAME = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)(\.(?!-)[a-z0-9-]{1,63}(?<!-))*")
# What may follow the host: RFC 3986's path, query and fragment characters, nothing else.
PATH = re.compile(r"[A-Za-z0-9._~!$&'()*+,;=:@%/?#-]*")


def endpoint_problem(endpoint: object) -> str | None:
    """Return why the server will not send to this endpoint, or None if it will (no DNS)."""
    if not isinstance(endpoint, str) or len(endpoint) > MAX_ENDPOINT_LENGTH:
        return REFUSED
    try:
        parts = urlsplit(endpoint)
        port = parts.port
    except ValueError:  # a port that is not a number, brackets that do not close
        return REFUSED
    if _test_loopback(parts):
        return None
    host = parts.hostname or ""
    if parts.scheme != "https" or port not in (None, 443) or parts.username is not None:
        return REFUSED
    if (
        len(host) > 253
        or not HOST_NAME.fullmatch(host)
        or parts.netloc not in (host, f"{host}:443")
    ):
        return REFUSED
    if not PATH.fullmatch(endpoint[len("https://") + len(parts.netloc) :]):
        return REFUSED
    if _is_ip_literal(host) or not _known_host(host) or _client_host(endpoint) != host:
        return REFUSED
    return None


def send_problem(endpoint: str) -> str | None:
    """Check an endpoint again just before sending: the rules above, then where it resolves.

    Returns why not to send (the subscription is then dropped), or None. A name that does not
    resolve raises OSError, as a failed connection would: the push is tried again later.
    """
    problem = endpoint_problem(endpoint)
    if problem is not None:
        return problem
    parts = urlsplit(endpoint)
    if _test_loopback(parts):
        return None
    for *_, address in socket.getaddrinfo(parts.hostname, 443, type=socket.SOCK_STREAM):
        if not _public(str(address[0])):
            return f"{parts.hostname} resolves to an address that is not public."
    return None


def _test_loopback(parts: SplitResult) -> bool:
    return bool(
        current_app.config["PUSH_ALLOW_LOOPBACK_HTTP"]
        and parts.scheme in ("http", "https")
        and parts.hostname in LOOPBACK_HOSTS
        and parts.username is None
    )


def _client_host(endpoint: str) -> str | None:
    """The host the HTTP client (urllib3, under requests) would connect to."""
    try:
        return parse_url(endpoint).host
    except LocationParseError:
        return None


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _known_host(host: str) -> bool:
    patterns = (*KNOWN_PUSH_HOSTS, *current_app.config["PUSH_EXTRA_HOSTS"])
    for pattern in patterns:
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]) and len(host) > len(pattern) - 1:
                return True
        elif host == pattern:
            return True
    return False


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone id is not part of it
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
