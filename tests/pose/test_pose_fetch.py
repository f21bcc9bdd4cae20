"""SSRF-safe fetch: address policy, odd IP spellings, redirects, limits, Host/SNI, against real local servers."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from services.kit import errors
from services.kit.paths import VIDEOS
from services.pose import fetch

VIDEO = (VIDEOS / "pose2sim-balancing-cam01.mp4").read_bytes()


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        server: _Server = self.server  # type: ignore[assignment]
        server.hosts.append(self.headers.get("Host"))
        path = self.path
        if path == "/video.mp4":
            self._send(200, VIDEO, "video/mp4")
        elif path.startswith("/redirect/"):
            left = int(path.rsplit("/", 1)[1])
            self._redirect("/video.mp4" if left <= 1 else f"/redirect/{left - 1}")
        elif path.startswith("/to/"):
            self._redirect(path[len("/to/"):])
        elif path == "/page.html":
            self._send(200, b"<html></html>", "text/html")
        elif path == "/declared-big":
            self._send(200, VIDEO, "application/octet-stream", length=str(10 * len(VIDEO)))
        elif path == "/undeclared-big":
            self._send(200, VIDEO * 3, "video/mp4", length=None)
        elif path == "/slow":
            time.sleep(3)
            self._send(200, VIDEO, "video/mp4")
        else:
            self._send(404, b"missing", "text/plain")

    def _redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def _send(self, status: int, body: bytes, kind: str, length: str | None = "auto") -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        if length is not None:
            self.send_header("Content-Length", str(len(body)) if length == "auto" else length)
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.hosts: list[str | None] = []
        self.connections = 0
        self.tls = tls

    def get_request(self):
        sock, addr = super().get_request()
        self.connections += 1
        if self.tls is not None:
            sock = self.tls.wrap_socket(sock, server_side=True)
        return sock, addr


@pytest.fixture
def server():
    srv = _Server()
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def only_test_server(ip: fetch.IPAddress) -> str | None:
    """A policy for tests: the local server's address is allowed, everything else refused."""
    return None if str(ip) == "127.0.0.1" else "not the test server"


async def test_resolver(host: str, port: int) -> list[str]:
    return ["127.0.0.1"] if host == "video.test" else await fetch.system_resolver(host, port)


test_resolver.__test__ = False  # a helper, not a test


async def _fetch(url: str, tmp_path, **kw):
    kw = {"max_bytes": 10 * 1024 * 1024, "timeout": 10.0, "resolver": test_resolver, "policy": only_test_server} | kw
    return await fetch.fetch_to_file(url, tmp_path / "video", **kw)


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "169.254.169.254", "100.64.0.1", "0.0.0.0",
    "224.0.0.1", "240.0.0.1", "255.255.255.255", "::1", "::", "fe80::1", "fc00::1", "ff02::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1",
    "2001:0:4136:e378:8000:63bf:80ff:fffe",
])
def test_default_policy_refuses_internal_addresses(address):
    assert fetch.public_only(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "8.8.8.8", "2606:4700::1111", "::ffff:8.8.8.8",
                                     "64:ff9b::808:808"])
def test_default_policy_allows_public_addresses(address):
    assert fetch.public_only(ipaddress.ip_address(address)) is None


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1", "0177.0.0.1", "2130706433", "0x7f.1", "0x7f000001",
                                  "localhost", "[::1]", "[::ffff:127.0.0.1]"])
async def test_default_policy_refuses_loopback_spellings_before_connecting(server, tmp_path, host):
    url = f"http://{host}:{server.server_port}/video.mp4"
    with pytest.raises(errors.InvalidRequest) as caught:
        await fetch.fetch_to_file(url, tmp_path / "video", max_bytes=10 ** 7, timeout=10)
    assert "refused" in caught.value.message and "loopback" in caught.value.message
    assert server.connections == 0 and not (tmp_path / "video").exists()


async def test_any_internal_address_of_a_name_refuses_it(tmp_path):
    async def mixed(host: str, port: int) -> list[str]:
        return ["8.8.8.8", "10.0.0.7"]
    with pytest.raises(errors.InvalidRequest, match="10.0.0.7, which is a private-network address"):
        await fetch.fetch_to_file("http://mixed.test/v.mp4", tmp_path / "video", max_bytes=10, timeout=5,
                                  resolver=mixed)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/v.mp4", "gopher://example.com/",
                                 "data:video/mp4;base64,AAAA", "//example.com/v.mp4", "http://user:pw@example.com/"])
async def test_other_schemes_and_credentials_are_refused(tmp_path, url):
    with pytest.raises(errors.InvalidRequest, match="refused"):
        await fetch.fetch_to_file(url, tmp_path / "video", max_bytes=10, timeout=5)


async def test_download_keeps_the_host_header(server, tmp_path):
    got = await _fetch(f"http://video.test:{server.server_port}/video.mp4", tmp_path)
    assert (tmp_path / "video").read_bytes() == VIDEO and got.size == len(VIDEO)
    assert got.content_type == "video/mp4"
    assert server.hosts == [f"video.test:{server.server_port}"]


async def test_three_redirects_are_followed_and_four_refused(server, tmp_path):
    base = f"http://127.0.0.1:{server.server_port}"
    got = await _fetch(f"{base}/redirect/3", tmp_path)
    assert got.url == f"{base}/video.mp4" and got.size == len(VIDEO)
    (tmp_path / "video").unlink()
    with pytest.raises(errors.InvalidRequest, match="more than 3 redirects"):
        await _fetch(f"{base}/redirect/4", tmp_path)


async def test_each_redirect_target_is_checked_again(server, tmp_path):
    base = f"http://127.0.0.1:{server.server_port}"
    with pytest.raises(errors.InvalidRequest, match="127.0.0.2, which is not the test server"):
        await _fetch(f"{base}/to/http://127.0.0.2:{server.server_port}/video.mp4", tmp_path)
    with pytest.raises(errors.InvalidRequest, match="only http and https"):
        await _fetch(f"{base}/to/file:///etc/passwd", tmp_path)
    # With the default policy from the second hop on, a redirect to loopback is refused.
    checked: list[fetch.IPAddress] = []

    def first_hop_only(ip: fetch.IPAddress) -> str | None:
        checked.append(ip)
        return None if len(checked) == 1 else fetch.public_only(ip)

    with pytest.raises(errors.InvalidRequest, match="localhost' resolves to .*loopback"):
        await _fetch(f"http://video.test:{server.server_port}/to/http://localhost:{server.server_port}/video.mp4",
                     tmp_path, policy=first_hop_only)
    assert len(server.hosts) == 3  # three first hops answered; no request reached a refused target


async def test_content_type_status_and_size_limits(server, tmp_path):
    base = f"http://127.0.0.1:{server.server_port}"
    with pytest.raises(errors.InvalidRequest, match="content type 'text/html' is not a video"):
        await _fetch(f"{base}/page.html", tmp_path)
    with pytest.raises(errors.InvalidRequest, match="HTTP 404"):
        await _fetch(f"{base}/absent", tmp_path)
    with pytest.raises(errors.PayloadTooLarge):
        await _fetch(f"{base}/declared-big", tmp_path, max_bytes=2 * len(VIDEO))
    with pytest.raises(errors.PayloadTooLarge):
        await _fetch(f"{base}/undeclared-big", tmp_path, max_bytes=2 * len(VIDEO))


async def test_slow_server_times_out(server, tmp_path):
    started = time.monotonic()
    with pytest.raises(errors.TimeoutFailure, match="longer than 0.5 s"):
        await _fetch(f"http://127.0.0.1:{server.server_port}/slow", tmp_path, timeout=0.5)
    assert time.monotonic() - started < 2


def _self_signed(name: str, tmp_path) -> tuple[ssl.SSLContext, ssl.SSLContext, list[str | None]]:
    """Server context for `name` (recording the SNI it receives) and a client context trusting it."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(minutes=5))
            .not_valid_after(now + datetime.timedelta(hours=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    (tmp_path / "cert.pem").write_bytes(cert_pem)
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    seen: list[str | None] = []
    server_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_ctx.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    server_ctx.sni_callback = lambda sock, server_name, ctx: seen.append(server_name)
    client_ctx = ssl.create_default_context(cadata=cert_pem.decode())
    return server_ctx, client_ctx, seen


async def test_https_sends_the_name_as_sni_and_verifies_it(tmp_path):
    server_ctx, client_ctx, seen = _self_signed("video.test", tmp_path)
    srv = _Server(tls=server_ctx)
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        got = await _fetch(f"https://video.test:{srv.server_port}/video.mp4", tmp_path, verify=client_ctx)
        assert got.size == len(VIDEO) and seen == ["video.test"]
        assert srv.hosts == [f"video.test:{srv.server_port}"]
    finally:
        srv.shutdown()
        srv.server_close()
