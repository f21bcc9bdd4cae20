"""SSRF-safe download of a user-given http(s) video URL into our own file."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Awaitable, Callable
from urllib.parse import urljoin, urlsplit

import httpx

from services.kit import errors
from services.pose.video import UploadSink, too_large

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# host, port -> every address the name resolves to (as text, as getaddrinfo gives them).
Resolver = Callable[[str, int], Awaitable[list[str]]]
# address -> why it is refused, or None when it may be contacted.
AddressPolicy = Callable[[IPAddress], str | None]

MAX_REDIRECTS = 3
ACCEPTED_TYPES = ("application/octet-stream", "binary/octet-stream")
_REDIRECTS = {301, 302, 303, 307, 308}
_NAT64 = (ipaddress.IPv6Network("64:ff9b::/96"), ipaddress.IPv6Network("64:ff9b:1::/48"))


async def system_resolver(host: str, port: int) -> list[str]:
    """All addresses of `host` from the system resolver (getaddrinfo, which also reads odd IPv4 spellings)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise errors.InvalidRequest(f"The host '{host}' of source_url could not be resolved ({exc.strerror})",
                                    details={"source_url": "unknown host"}) from None
    return list(dict.fromkeys(info[4][0] for info in infos))


def public_only(ip: IPAddress) -> str | None:
    """Refuse every address that is not globally routable, including internal IPv4 wrapped in IPv6."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: list[tuple[str, ipaddress.IPv4Address]] = []
        if ip.ipv4_mapped is not None:
            embedded.append(("IPv4-mapped", ip.ipv4_mapped))
        if any(ip in net for net in _NAT64):
            embedded.append(("NAT64", ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)))
        if ip.sixtofour is not None:
            embedded.append(("6to4", ip.sixtofour))
        if ip.teredo is not None:
            embedded.append(("Teredo", ip.teredo[1]))
        for form, inner in embedded:
            if (reason := public_only(inner)) is not None:
                return f"{form} form of {inner}, which is {reason}"
        if ip.ipv4_mapped is not None or any(ip in net for net in _NAT64):
            return None  # a public IPv4 address in an IPv6 wrapper
    for test, reason in (("is_unspecified", "unspecified"), ("is_loopback", "a loopback address"),
                         ("is_link_local", "link-local (e.g. cloud metadata)"), ("is_multicast", "multicast"),
                         ("is_private", "a private-network address"), ("is_reserved", "reserved")):
        if getattr(ip, test):
            return reason
    if getattr(ip, "is_site_local", False):
        return "a site-local address"
    if not ip.is_global:
        return "not globally routable"
    return None


@dataclass(frozen=True)
class Fetched:
    url: str  # the final URL after redirects
    content_type: str
    size: int


def _refuse(url: str, why: str) -> errors.InvalidRequest:
    return errors.InvalidRequest(f"source_url {url!r} is refused: {why}", details={"source_url": why})


def _target(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of an http(s) URL; anything else is refused."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise _refuse(url, f"it is not a valid URL ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise _refuse(url, f"only http and https URLs are fetched, not '{scheme or 'no scheme'}'")
    if not parts.hostname:
        raise _refuse(url, "it has no host")
    if parts.username or parts.password:
        raise _refuse(url, "credentials in the URL are not accepted")
    return scheme, parts.hostname, port or (443 if scheme == "https" else 80)


async def _checked_address(url: str, host: str, port: int, resolver: Resolver, policy: AddressPolicy) -> IPAddress:
    """Resolve once; refuse if ANY address is not allowed (a name may mix public and internal ones)."""
    try:
        literal = ipaddress.ip_address(host)
        found = [str(literal)]
    except ValueError:
        found = await resolver(host, port)
    if not found:
        raise _refuse(url, f"host '{host}' has no address")
    addresses = [ipaddress.ip_address(a.split("%", 1)[0]) for a in found]
    for address in addresses:
        if (reason := policy(address)) is not None:
            raise _refuse(url, f"host '{host}' resolves to {address}, which is {reason}")
    return addresses[0]


def _pinned(url: str, address: IPAddress) -> str:
    """The same URL with the host replaced by the already-checked address (no second DNS lookup)."""
    parts = urlsplit(url)
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    return parts._replace(netloc=netloc, fragment="").geturl()


def _accepted(content_type: str) -> bool:
    kind = content_type.split(";", 1)[0].strip().lower()
    return kind.startswith("video/") or kind in ACCEPTED_TYPES


async def fetch_to_file(url: str, dest: Path, *, max_bytes: int, timeout: float,
                        resolver: Resolver = system_resolver, policy: AddressPolicy = public_only,
                        max_redirects: int = MAX_REDIRECTS, verify: ssl.SSLContext | bool = True) -> Fetched:
    """Download `url` into `dest` within `max_bytes` and `timeout` seconds, following at most
    `max_redirects` redirects by hand, each target checked like the first."""
    try:
        async with asyncio.timeout(timeout):
            return await _fetch(url, dest, max_bytes, timeout, resolver, policy, max_redirects, verify)
    except TimeoutError:
        raise errors.TimeoutFailure(f"Downloading source_url took longer than {timeout:g} s",
                                    details={"source_url": "download timed out"}) from None


async def _fetch(url: str, dest: Path, max_bytes: int, timeout: float, resolver: Resolver,
                 policy: AddressPolicy, max_redirects: int, verify: ssl.SSLContext | bool) -> Fetched:
    # trust_env=False: a proxy from the environment would resolve names itself, past our checks.
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False, verify=verify,
                                 timeout=httpx.Timeout(timeout)) as client:
        for hop in range(max_redirects + 1):
            scheme, host, port = _target(url)
            address = await _checked_address(url, host, port, resolver, policy)
            host_header = urlsplit(url).netloc.rsplit("@", 1)[-1]
            # Connect to the checked address; the server still sees its name in Host and (TLS) SNI,
            # and the certificate is verified against that name.
            named = scheme == "https" and str(address) != host.strip("[]")
            request = client.build_request("GET", _pinned(url, address), headers={"Host": host_header},
                                           extensions={"sni_hostname": host} if named else {})
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise errors.InvalidRequest(f"source_url {url!r} could not be downloaded: {exc.__class__.__name__}",
                                            details={"source_url": str(exc) or "connection failed"}) from None
            try:
                if response.status_code in _REDIRECTS:
                    location = response.headers.get("location")
                    if not location:
                        raise _refuse(url, f"HTTP {response.status_code} redirect without a Location")
                    if hop == max_redirects:
                        raise _refuse(url, f"more than {max_redirects} redirects")
                    url = urljoin(url, location)
                    continue
                if response.status_code != 200:
                    raise errors.InvalidRequest(
                        f"source_url {url!r} could not be downloaded: the server answered HTTP {response.status_code}",
                        details={"source_url": f"HTTP {response.status_code}"})
                content_type = response.headers.get("content-type", "")
                if not _accepted(content_type):
                    raise _refuse(url, f"its content type '{content_type or 'none'}' is not a video "
                                       "(expected video/* or application/octet-stream)")
                declared = response.headers.get("content-length", "")
                if declared.isdigit() and int(declared) > max_bytes:
                    raise too_large(max_bytes)
                with UploadSink(dest, max_bytes) as sink:
                    try:
                        async for chunk in response.aiter_bytes():
                            sink.write(chunk)
                    except httpx.HTTPError as exc:
                        raise errors.InvalidRequest(
                            f"source_url {url!r}: the download broke off ({exc.__class__.__name__})",
                            details={"source_url": "download incomplete"}) from None
                return Fetched(url=url, content_type=content_type, size=sink.size)
            finally:
                await response.aclose()
    raise AssertionError("unreachable")  # the loop returns or raises
