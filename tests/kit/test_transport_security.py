"""Mutual TLS between services (services/kit/transport_security.py), with certificates this test makes: a
kit server with DOJO_TLS_* answers a caller holding a certificate of the same CA, and nobody else."""

import asyncio
import datetime
import ipaddress

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from grpc_health.v1 import health_pb2, health_pb2_grpc

from services.kit import transport_security
from services.kit.channels import channel
from services.kit.config import ConfigError, replace
from services.kit.server import ServiceSpec, serve
from services.kit.service_identity import ServiceCredentials
from testkit.loopback import free_port


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _pem_key(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


def make_ca(name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(_name(name))
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    return cert, key


def issue(ca, name: str, directory) -> tuple[str, str]:
    """A certificate for `name` (valid for 127.0.0.1 and localhost) signed by `ca`: (cert path, key path)."""
    ca_cert, ca_key = ca
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(_name(name)).issuer_name(ca_cert.subject)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=5)).not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"), x509.DNSName(name),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(ca_key, hashes.SHA256()))
    cert_path, key_path = directory / f"{name}.crt", directory / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(_pem_key(key))
    return str(cert_path), str(key_path)


@pytest.fixture
def pki(tmp_path):
    ca, rogue = make_ca("kataforge-test-ca"), make_ca("someone-else")
    ca_path = tmp_path / "ca.crt"
    ca_path.write_bytes(ca[0].public_bytes(serialization.Encoding.PEM))
    return {"ca": str(ca_path), "server": issue(ca, "coach", tmp_path), "client": issue(ca, "edge", tmp_path),
            "rogue": issue(rogue, "intruder", tmp_path)}


def identity_of(base_settings, pki, who: str):
    cert, key = pki[who]
    return transport_security.identity(replace(base_settings, tls_cert=cert, tls_key=key, tls_ca=pki["ca"]))


async def serving(ch: grpc.aio.Channel) -> bool:
    try:
        reply = await health_pb2_grpc.HealthStub(ch).Check(health_pb2.HealthCheckRequest(service=""), timeout=3)
    except grpc.aio.AioRpcError:
        return False
    finally:
        await ch.close()
    return reply.status == health_pb2.HealthCheckResponse.SERVING


@pytest.fixture
async def tls_backend(base_settings, pki):
    """A kit server (health only) listening with the server certificate: its address."""
    port = free_port()
    cert, key = pki["server"]
    settings = replace(base_settings, tls_cert=cert, tls_key=key, tls_ca=pki["ca"])
    ready, stop = asyncio.Event(), asyncio.Event()

    async def no_keys():
        return {"keys": []}

    task = asyncio.create_task(serve(ServiceSpec("coach", port, lambda server: [], jwks=no_keys), settings,
                                     ready=ready, stop=stop))
    await asyncio.wait_for(ready.wait(), 30)
    yield f"127.0.0.1:{port}"
    stop.set()
    await asyncio.wait_for(task, 30)


async def test_only_callers_with_a_certificate_of_the_ca_get_through(base_settings, pki, tls_backend):
    addr = tls_backend
    client = identity_of(base_settings, pki, "client")
    assert await serving(channel(addr, health_checked=False, tls=client))
    # The same identity reached through a service's credentials, as the services' channels take it.
    credentials = ServiceCredentials("edge", "secret", addr, tls=client)
    assert await serving(channel(addr, health_checked=False, credentials=credentials))
    # Refused: plaintext, TLS without a client certificate, a certificate of another CA.
    assert not await serving(channel(addr, health_checked=False))
    anonymous = grpc.aio.secure_channel(addr, grpc.ssl_channel_credentials(
        root_certificates=open(pki["ca"], "rb").read()))
    assert not await serving(anonymous)
    assert not await serving(channel(addr, health_checked=False, tls=identity_of(base_settings, pki, "rogue")))


def test_settings_need_all_three_files_and_pem(base_settings, pki, tmp_path):
    assert transport_security.identity(base_settings) is None  # none set: plaintext
    cert, key = pki["server"]
    with pytest.raises(ConfigError, match="missing: DOJO_TLS_CA"):
        transport_security.identity(replace(base_settings, tls_cert=cert, tls_key=key))
    not_pem = tmp_path / "ca.txt"
    not_pem.write_text("hello")
    with pytest.raises(ConfigError, match="DOJO_TLS_CA: .* is not a PEM file"):
        transport_security.identity(replace(base_settings, tls_cert=cert, tls_key=key, tls_ca=str(not_pem)))
    with pytest.raises(ConfigError, match="DOJO_TLS_KEY: cannot read"):
        transport_security.identity(replace(base_settings, tls_cert=cert, tls_key=str(tmp_path / "absent"),
                                            tls_ca=pki["ca"]))


async def test_envoy_reaches_the_backends_over_mutual_tls_and_not_without(base_settings, pki, tls_backend,
                                                                            tmp_path):
    from services.kit import gateway

    addr = tls_backend
    upstreams = gateway.Upstreams(edge=[f"127.0.0.1:{free_port()}"], auth=[addr], coach=[addr], scoring=[addr])
    cert, key = pki["client"]
    # Envoy's gRPC health checks reach the backend only through a TLS handshake with its own certificate.
    envoy_tls = replace(base_settings, tls_cert=cert, tls_key=key, tls_ca=pki["ca"])
    config = gateway.render(envoy_tls, upstreams, port=free_port(), admin_port=free_port())
    running = await asyncio.to_thread(gateway.start, config, tmp_path / "tls", 30)
    assert running.healthy_hosts("coach") == 1
    running.stop()
    plain = gateway.render(base_settings, upstreams, port=free_port(), admin_port=free_port())
    with pytest.raises(TimeoutError):
        await asyncio.to_thread(gateway.start, plain, tmp_path / "plain", 6)
