"""Ask the cloud who this host is: AWS, GCP and Azure instance metadata, and an echo service.

Each provider documents its own paths, headers and answer shapes; an answer that does not fit
them (HTML from a captive portal, a proxy's error page, garbage) is reported as `unexpected` and
none of it is used. The three providers are asked at once so a host outside any cloud learns
"no cloud metadata service answered" within one and a half seconds.

Environment: K8SNET_OFFLINE=1 switches every lookup here off before any socket is opened;
K8SNET_METADATA_URL replaces the metadata base URL (one base for all providers, for tests and
proxies); K8SNET_ECHO_URLS (comma-separated) replaces the echo services.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from urllib.parse import urlsplit

from ..domain.layers.cidr import parse_address
from ..domain.layers.internet import NO_ANSWER, OFFLINE, OK, UNEXPECTED, CloudFacts, Outbound
from ..domain.sanitize import clean

DEFAULT_METADATA_URL = "http://169.254.169.254"
DEFAULT_ECHO_URLS = ("http://checkip.dyndns.org/",)
AZURE_API_VERSION = "2021-02-01"
AWS_TOKEN_TTL = "21600"
MAX_BODY = 64 * 1024
GRACE = 0.5  # the overall answer may take one try's timeout plus this


def is_offline() -> bool:
    return os.environ.get("K8SNET_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")


class _NotHere(Exception):
    """This provider's service is not at the base URL (refused, timed out, 404)."""


class _Unexpected(Exception):
    """Something answered, but not as the provider documents."""


Get = Callable[[str, str, dict], "tuple[int, dict[str, str], str]"]


def _client(base_url: str, timeout: float, deadline: float) -> Get:
    parts = urlsplit(base_url)
    if parts.scheme != "http" or not parts.hostname:
        raise ValueError(f"metadata URL must be http://host[:port][/prefix], not {base_url!r}")
    host = parts.hostname
    prefix = parts.path.rstrip("/")

    def get(method: str, path: str, headers: dict) -> tuple[int, dict[str, str], str]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise _NotHere("out of time")
        conn = http.client.HTTPConnection(host, parts.port or 80, timeout=min(timeout, left))
        try:
            conn.request(method, prefix + path, headers=headers)
            resp = conn.getresponse()
            raw = resp.read(MAX_BODY)
            got = {k.lower(): v for k, v in resp.getheaders()}
            status = resp.status
        except http.client.HTTPException as exc:
            raise _Unexpected(f"answered, but not in HTTP ({type(exc).__name__})") from exc
        except OSError as exc:
            raise _NotHere(str(exc) or type(exc).__name__) from exc
        finally:
            conn.close()
        try:
            body = raw.decode("ascii")
        except UnicodeDecodeError as exc:
            raise _Unexpected(f"{path}: the answer is not plain text") from exc
        return status, got, body

    return get


def _ipv4(value: str, what: str) -> str:
    value = value.strip()
    if not value:
        return ""
    addr = parse_address(value) if "/" not in value else None
    if addr is None or addr.version != 4:
        raise _Unexpected(f"{what} is not an IPv4 address: {clean(value)[:40]!r}")
    return str(addr)


def _token(value: str, pattern: str, what: str) -> str:
    value = value.strip()
    if not re.fullmatch(pattern, value):
        raise _Unexpected(f"{what} does not look like one: {clean(value)[:40]!r}")
    return value


def _aws(get: Get) -> CloudFacts:
    status, _, body = get("PUT", "/latest/api/token", {"X-aws-ec2-metadata-token-ttl-seconds": AWS_TOKEN_TTL})
    headers: dict[str, str] = {}
    if status == 200:
        headers["X-aws-ec2-metadata-token"] = _token(body, r"[A-Za-z0-9_=+/.-]{1,512}", "the IMDSv2 token")
    # Any refusal of the token PUT means IMDSv1 may still answer plain GETs.

    def field(path: str, required: bool = False) -> str:
        code, _, text = get("GET", f"/latest/meta-data/{path}", headers)
        if code == 404:
            if required:
                raise _NotHere("no AWS instance-id")
            return ""
        if code != 200:
            raise _Unexpected(f"AWS {path}: HTTP {code}")
        return text

    instance = _token(field("instance-id", required=True), r"i-[0-9a-f]{8,17}", "the AWS instance-id")
    return CloudFacts(
        status=OK,
        provider="aws",
        instance_id=instance,
        public_ipv4=_ipv4(field("public-ipv4"), "AWS public-ipv4"),
        private_ipv4=_ipv4(field("local-ipv4"), "AWS local-ipv4"),
        region=_token(field("placement/region"), r"[a-z0-9-]{0,32}", "an AWS region"),
        zone=_token(field("placement/availability-zone"), r"[a-z0-9-]{0,32}", "an AWS zone"),
        source="metadata",
    )


def _gcp(get: Get) -> CloudFacts:
    def field(path: str, required: bool = False) -> str:
        code, headers, text = get("GET", f"/computeMetadata/v1/instance/{path}", {"Metadata-Flavor": "Google"})
        if code == 404:
            if required:
                raise _NotHere("no GCP instance id")
            return ""
        if code != 200:
            raise _Unexpected(f"GCP {path}: HTTP {code}")
        if headers.get("metadata-flavor") != "Google":
            raise _Unexpected("GCP answer lacks the Metadata-Flavor: Google header")
        return text

    instance = _token(field("id", required=True), r"[0-9]{1,20}", "a GCP instance id")
    zone_path = field("zone").strip()
    zone = ""
    if zone_path:
        match = re.fullmatch(r"projects/[0-9]+/zones/([a-z0-9-]{1,40})", zone_path)
        if match is None:
            raise _Unexpected(f"GCP zone is not projects/N/zones/Z: {clean(zone_path)[:40]!r}")
        zone = match.group(1)
    return CloudFacts(
        status=OK,
        provider="gcp",
        instance_id=instance,
        private_ipv4=_ipv4(field("network-interfaces/0/ip"), "GCP network-interfaces/0/ip"),
        public_ipv4=_ipv4(field("network-interfaces/0/access-configs/0/external-ip"), "GCP external-ip"),
        zone=zone,
        region=zone.rsplit("-", 1)[0] if "-" in zone else "",
        source="metadata",
    )


def _azure(get: Get) -> CloudFacts:
    code, _, body = get("GET", f"/metadata/instance?api-version={AZURE_API_VERSION}", {"Metadata": "true"})
    if code == 404:
        raise _NotHere("no Azure instance metadata")
    if code != 200:
        raise _Unexpected(f"Azure instance metadata: HTTP {code}")
    try:
        doc = json.loads(body)
    except ValueError as exc:
        raise _Unexpected("Azure instance metadata is not JSON") from exc
    compute = doc.get("compute") if isinstance(doc, dict) else None
    if not isinstance(compute, dict) or not isinstance(compute.get("vmId"), str):
        raise _Unexpected("Azure instance metadata has no compute.vmId")
    vm_id = _token(compute["vmId"], r"[0-9A-Fa-f-]{36}", "an Azure vmId")
    private = public = ""
    try:
        first = doc["network"]["interface"][0]["ipv4"]["ipAddress"][0]
    except (KeyError, IndexError, TypeError):
        first = {}
    if isinstance(first, dict):
        private = _ipv4(str(first.get("privateIpAddress") or ""), "Azure privateIpAddress")
        public = _ipv4(str(first.get("publicIpAddress") or ""), "Azure publicIpAddress")
    location, zone = compute.get("location"), compute.get("zone")
    return CloudFacts(
        status=OK,
        provider="azure",
        instance_id=vm_id,
        private_ipv4=private,
        public_ipv4=public,
        region=_token(location if isinstance(location, str) else "", r"[a-z0-9-]{0,40}", "an Azure location"),
        zone=_token(zone if isinstance(zone, str) else "", r"[A-Za-z0-9-]{0,16}", "an Azure zone"),
        source="metadata",
    )


PROVIDERS: dict[str, Callable[[Get], CloudFacts]] = {"aws": _aws, "gcp": _gcp, "azure": _azure}


def _ask(name: str, base: str, timeout: float, deadline: float) -> tuple[str, CloudFacts | None, str]:
    try:
        return name, PROVIDERS[name](_client(base, timeout, deadline)), ""
    except _NotHere:
        return name, None, ""
    except _Unexpected as exc:
        return name, None, f"{name}: {exc}"


def lookup_cloud(base_url: str | None = None, timeout: float = 1.0) -> CloudFacts:
    """Ask every provider's metadata service at once; the first documented answer wins.

    Returns `offline` without opening a socket under K8SNET_OFFLINE=1, `no-answer` when nothing
    answered by `timeout` + 0.5 s, `unexpected` (with the reasons in `detail`) when something
    answered but not as documented.
    """
    if is_offline():
        return CloudFacts(status=OFFLINE, detail="K8SNET_OFFLINE=1")
    base = base_url or os.environ.get("K8SNET_METADATA_URL") or DEFAULT_METADATA_URL
    try:
        _client(base, timeout, 0.0)
    except ValueError as exc:
        return CloudFacts(status=UNEXPECTED, detail=str(exc))
    deadline = time.monotonic() + timeout + GRACE
    pool = ThreadPoolExecutor(max_workers=len(PROVIDERS), thread_name_prefix="k8snet-metadata")
    pending = {pool.submit(_ask, name, base, timeout, deadline) for name in PROVIDERS}
    problems: list[str] = []
    try:
        while pending:
            left = deadline - time.monotonic()
            if left <= 0:
                break
            done, pending = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
            for future in done:
                _, facts, problem = future.result()
                if facts is not None:
                    return facts
                if problem:
                    problems.append(problem)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    if problems:
        return CloudFacts(status=UNEXPECTED, detail="; ".join(sorted(problems)))
    return CloudFacts(status=NO_ANSWER, detail=f"asked {base} for AWS, GCP and Azure")


_DYNDNS = re.compile(r"Current IP Address:\s*([0-9.]{7,15})")


def parse_echo(body: str) -> str:
    """The IPv4 address in an echo answer: plain text, JSON {"ip": ...}, or checkip.dyndns.org's HTML."""
    text = body.strip()
    if text.startswith("{"):
        try:
            doc = json.loads(text)
        except ValueError as exc:
            raise _Unexpected("echo answer is broken JSON") from exc
        value = doc.get("ip") if isinstance(doc, dict) else None
        if not isinstance(value, str):
            raise _Unexpected("echo JSON has no string `ip`")
        text = value.strip()
    elif "<" in text:
        match = _DYNDNS.search(text)
        if match is None:
            raise _Unexpected("echo answer is HTML without 'Current IP Address:'")
        text = match.group(1)
    if not text:
        raise _Unexpected("echo answer is empty")
    return _ipv4(text, "echo answer")


def lookup_outbound(urls: list[str] | tuple[str, ...] | None = None, timeout: float = 1.0) -> Outbound:
    """The address this host's connections leave with, from the first echo service that answers sanely.

    Only runs when called: it contacts a third party. `urls` default to K8SNET_ECHO_URLS, else
    checkip.dyndns.org (the lab's choice).
    """
    if is_offline():
        return Outbound(status=OFFLINE, detail="K8SNET_OFFLINE=1")
    if urls is None:
        env = os.environ.get("K8SNET_ECHO_URLS", "")
        urls = tuple(u.strip() for u in env.split(",") if u.strip()) or DEFAULT_ECHO_URLS
    problems: list[str] = []
    for url in urls:
        if urlsplit(url).scheme not in ("http", "https"):
            problems.append(f"{clean(url)}: not an http(s) URL")
            continue
        try:
            with urllib.request.urlopen(url, timeout=timeout) as resp:  # scheme checked
                body = resp.read(MAX_BODY).decode("utf-8", "replace")
            return Outbound(status=OK, ipv4=parse_echo(body), source=clean(url))
        except _Unexpected as exc:
            problems.append(f"{clean(url)}: {exc}")
        except (OSError, http.client.HTTPException, ValueError):
            continue
    if problems:
        return Outbound(status=UNEXPECTED, detail="; ".join(problems))
    return Outbound(status=NO_ANSWER, detail="no echo service answered")
