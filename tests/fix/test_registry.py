"""The registry client against a loopback registry that answers as Docker Hub does."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from secure_gate.net.http import Http, NotFound, RateLimited, ServiceError
from secure_gate.net.imageref import ImageRef, ReferenceError, parse
from secure_gate.net.registry import MEDIA_TYPES, Registry, api_base, challenge
from secure_gate.net.services import Services
from tests.fix import fake_registry as fake
from tests.fix.fake_registry import DOCKER_LIST, OCI_INDEX, Image

PYTHON = ImageRef("docker.io", "library/python", "3.12")


@pytest.fixture
def hub() -> Iterator[fake.Registry]:
    with fake.running() as registry:
        yield registry


def _services(hub: fake.Registry, waits: list[float] | None = None) -> Services:
    http = Http(timeout=5, sleep=(waits if waits is not None else []).append)
    return Services(http=http, registries={"docker.io": hub.url})


# --- references, as docker reads them --------------------------------------------------------

@pytest.mark.parametrize(("text", "domain", "path", "tag", "digest"), [
    ("python", "docker.io", "library/python", None, None),
    ("python:3.12-slim", "docker.io", "library/python", "3.12-slim", None),
    ("library/python:3", "docker.io", "library/python", "3", None),
    ("docker.io/python:3", "docker.io", "library/python", "3", None),
    ("index.docker.io/python", "docker.io", "library/python", None, None),
    ("index.docker.io/owner/img:1", "docker.io", "owner/img", "1", None),
    ("bitnami/redis:7.2", "docker.io", "bitnami/redis", "7.2", None),
    ("ghcr.io/owner/img:v1.0", "ghcr.io", "owner/img", "v1.0", None),
    ("registry.example.com:5000/a/b/c:tag_1", "registry.example.com:5000", "a/b/c", "tag_1",
     None),
    ("localhost/img", "localhost", "img", None, None),
    ("localhost:5000/img:1", "localhost:5000", "img", "1", None),
    ("myhost:5000/img", "myhost:5000", "img", None, None),
    ("[::1]:5000/img:2", "[::1]:5000", "img", "2", None),
    ("Foo/bar", "Foo", "bar", None, None),  # an upper-case first part is a host to docker
    ("python:3@sha256:" + "a" * 64, "docker.io", "library/python", "3", "sha256:" + "a" * 64),
    ("my-org/my_img__x.y:1", "docker.io", "my-org/my_img__x.y", "1", None),
])
def test_references_are_read_as_docker_reads_them(text: str, domain: str, path: str,
                                                  tag: str | None, digest: str | None) -> None:
    assert parse(text) == ImageRef(domain, path, tag, digest)


@pytest.mark.parametrize(("text", "why"), [
    ("Python:3", "repository name (library/Python) must be lowercase"),
    ("ghcr.io/Owner/img", "repository name (Owner/img) must be lowercase"),
    ("a" * 64, "cannot specify 64-byte hexadecimal strings"),
    ("python:" + "1" * 129, "invalid reference format"),
    ("python:-x", "invalid reference format"),
    ("python:3@sha256:abc", "invalid reference format"),
    ("py--thon_:1", "invalid reference format"),
    ("/python", "invalid reference format"),
    ("", "empty"),
    ("ghcr.io/" + "a/" * 130 + "b", "must not be more than 255 characters"),
])
def test_references_docker_refuses_are_refused(text: str, why: str) -> None:
    with pytest.raises(ReferenceError, match=why.replace("(", r"\(").replace(")", r"\)")):
        parse(text)


def test_api_hosts() -> None:
    assert api_base(parse("python"), {}) == "https://registry-1.docker.io"
    assert api_base(parse("ghcr.io/a/b"), {}) == "https://ghcr.io"
    assert api_base(parse("localhost:5000/a"), {}) == "http://localhost:5000"
    assert api_base(parse("127.0.0.1:5000/a"), {}) == "http://127.0.0.1:5000"
    assert api_base(parse("10.0.0.1:5000/a"), {}) == "https://10.0.0.1:5000"
    mirror = {"docker.io": "https://mirror.example/v2/"}
    assert api_base(parse("python"), mirror) == "https://mirror.example"
    assert api_base(parse("quay.io/a/b"), {"quay.io": "http://127.0.0.1:9"}) == "http://127.0.0.1:9"


def test_challenges_are_parsed_with_quotes_and_escapes() -> None:
    scheme, params = challenge('Bearer realm="https://auth.docker.io/token",service="registry'
                               '.docker.io",scope="repository:library/python:pull",error='
                               'insufficient_scope, x="a\\"b"')
    assert scheme == "bearer"
    assert params == {"realm": "https://auth.docker.io/token", "service": "registry.docker.io",
                      "scope": "repository:library/python:pull", "error": "insufficient_scope",
                      "x": 'a"b'}


# --- digests ----------------------------------------------------------------------------------

def test_a_multi_arch_tag_pins_the_index_not_a_platform(hub: fake.Registry) -> None:
    image = hub.add("library/python", "3.12", Image.multi("py", OCI_INDEX))
    found = Registry(_services(hub)).digest(PYTHON, "3.12")
    assert found == image.digest
    assert found not in {fake.digest_of(body) for _, body in image.platforms.values()}
    asked = hub.manifest_requests()
    assert [s.method for s in asked] == ["HEAD", "HEAD"]  # 401, then with the token
    assert all(set(MEDIA_TYPES) <= {a.strip() for a in s.accept.split(",")} for s in asked)
    assert hub.state.remaining == 100  # a HEAD is not a pull


def test_a_docker_manifest_list_is_pinned_by_its_own_digest(hub: fake.Registry) -> None:
    image = hub.add("library/python", "3.12", Image.multi("py", DOCKER_LIST))
    assert Registry(_services(hub)).digest(PYTHON, "3.12") == image.digest


def test_a_single_manifest(hub: fake.Registry) -> None:
    image = hub.add("owner/tool", "1", Image.single("tool"))
    assert Registry(_services(hub)).digest(parse("owner/tool:1"), "1") == image.digest


def test_without_a_digest_header_the_body_is_fetched_and_hashed(hub: fake.Registry) -> None:
    image = hub.add("library/python", "3.12", Image.multi("py"))
    hub.state.digest_header = False
    assert Registry(_services(hub)).digest(PYTHON, "3.12") == image.digest
    assert [s.method for s in hub.manifest_requests()] == ["HEAD", "HEAD", "GET"]


def test_head_refused_falls_back_to_get(hub: fake.Registry) -> None:
    image = hub.add("library/python", "3.12", Image.single("py"))
    hub.state.head_allowed = False
    assert Registry(_services(hub)).digest(PYTHON, "3.12") == image.digest


@pytest.mark.parametrize("fields", [("token",), ("access_token",), ("token", "access_token")])
def test_the_anonymous_token_flow(hub: fake.Registry, fields: tuple[str, ...]) -> None:
    hub.add("library/python", "3.12", Image.single("py"))
    hub.state.token_fields = fields
    Registry(_services(hub)).digest(PYTHON, "3.12")
    asked = [s for s in hub.state.seen if s.server == "token"]
    assert len(asked) == 1
    assert asked[0].query == {"service": ["registry.docker.io"],
                              "scope": ["repository:library/python:pull"]}
    assert not asked[0].authorised  # nothing is sent to the token service but the question
    assert [s.authorised for s in hub.manifest_requests()] == [False, True]
    assert not [s for s in hub.state.seen if s.leaked]


def test_a_token_is_asked_once_per_repository_and_answers_once_per_tag(
        hub: fake.Registry) -> None:
    hub.add("library/python", "3.12", Image.single("a"))
    hub.add("library/python", "3.13", Image.single("b"))
    services = _services(hub)
    client = Registry(services)
    client.digest(PYTHON, "3.12")
    client.digest(PYTHON, "3.13")
    Registry(services).digest(PYTHON, "3.12")  # a later round: the answer is remembered
    assert len([s for s in hub.state.seen if s.server == "token"]) == 1
    assert len(hub.manifest_requests()) == 3
    assert services.used == {"registry docker.io", "registry docker.io token service"}


def test_an_unknown_tag_is_not_found(hub: fake.Registry) -> None:
    hub.add("library/python", "3.12", Image.single("py"))
    with pytest.raises(NotFound, match=r"registry docker\.io .*has no tag 3\.99 in "
                                       r"library/python \(MANIFEST_UNKNOWN\)"):
        Registry(_services(hub)).digest(PYTHON, "3.99")


def test_an_unknown_repository_is_not_found(hub: fake.Registry) -> None:
    with pytest.raises(NotFound, match=r"has no repository library/nope \(NAME_UNKNOWN\)"):
        Registry(_services(hub)).digest(parse("nope:1"), "1")


def test_docker_hubs_401_for_an_unknown_repository(hub: fake.Registry) -> None:
    hub.state.hub_unknown = True
    with pytest.raises(ServiceError, match=r"refused an anonymous pull of owner/private .*"
                                           r"does not exist, or it is private"):
        Registry(_services(hub)).digest(parse("owner/private:1"), "1")


def test_the_pull_rate_limit_is_named_and_ends_the_registry_for_the_run(
        hub: fake.Registry) -> None:
    hub.add("library/python", "3.12", Image.single("py"))
    hub.state.remaining = 0
    waits: list[float] = []
    services = _services(hub, waits)
    with pytest.raises(RateLimited, match=r"registry docker\.io .*pull rate limit \(HTTP 429\)"
                                          r": 0 of 100 pulls left per 6 h"):
        Registry(services).digest(PYTHON, "3.12")
    assert len(waits) == 3  # retried with backoff, no more
    asked = len(hub.state.seen)
    with pytest.raises(RateLimited):
        Registry(services).digest(parse("python:3.13"), "3.13")
    assert len(hub.state.seen) == asked  # not asked again in this run


def test_a_mirror_is_asked_instead_of_docker_hub(hub: fake.Registry) -> None:
    image = hub.add("library/python", "3.12", Image.single("py"))
    services = Services(http=Http(timeout=5), registries={"index.docker.io": hub.url + "/v2"})
    assert Registry(services).digest(PYTHON, "3.12") == image.digest


def test_an_unreachable_registry_is_named(hub: fake.Registry) -> None:
    services = Services(http=Http(timeout=2, sleep=lambda _: None),
                        registries={"ghcr.io": "http://127.0.0.1:9"})
    with pytest.raises(ServiceError, match=r"registry ghcr\.io .*unreachable"):
        Registry(services).digest(parse("ghcr.io/o/i:1"), "1")


# --- hostile registries -----------------------------------------------------------------------

@pytest.mark.parametrize(("realm", "why"), [
    ("http://203.0.113.7/token", "plain-http token realm on another machine"),
    ("file:///etc/passwd", "not an https URL"),
    ("https://user:secret@auth.example/token", "credentials in it"),
    ("", "without a Bearer challenge"),
    ("http://[::1/token", "not a URL"),
])
def test_a_realm_that_is_not_safe_to_ask_is_refused(hub: fake.Registry, realm: str,
                                                    why: str) -> None:
    hub.add("library/python", "3.12", Image.single("py"))
    hub.state.realm = realm
    with pytest.raises(ServiceError, match=why) as caught:
        Registry(_services(hub)).digest(PYTHON, "3.12")
    assert "secret" not in str(caught.value)
    assert [s for s in hub.state.seen if s.server == "token"] == []


def test_a_basic_challenge_is_not_answered(hub: fake.Registry) -> None:
    hub.state.challenge = 'Basic realm="registry"'
    with pytest.raises(ServiceError, match="wants a user name and password"):
        Registry(_services(hub)).digest(PYTHON, "3.12")


def test_a_realm_on_another_origin_gets_no_token_and_the_registry_keeps_it(
        hub: fake.Registry) -> None:
    """Docker Hub's realm is another origin (auth.docker.io): it is asked, but the token it
    gives goes only to the registry; a redirect of the manifest elsewhere drops it."""
    image = hub.add("library/python", "3.12", Image.single("py"))
    hub.state.digest_header = False
    hub.state.redirect_to = hub.other_url
    assert Registry(_services(hub)).digest(PYTHON, "3.12") == image.digest
    other = [s for s in hub.state.seen if s.server == "other"]
    assert len(other) == 1
    assert not other[0].authorised
    assert hub.state.issued()
    assert not [s for s in hub.state.seen if s.leaked]


def test_a_digest_header_that_does_not_match_the_body_pins_nothing(hub: fake.Registry) -> None:
    hub.add("library/python", "3.12", Image.single("py"))
    hub.state.head_allowed = False
    hub.state.wrong_digest = True
    with pytest.raises(ServiceError, match="Docker-Content-Digest that does not match"):
        Registry(_services(hub)).digest(PYTHON, "3.12")


def test_a_huge_manifest_is_refused(hub: fake.Registry) -> None:
    hub.add("library/python", "3.12", Image.single("py"))
    hub.state.digest_header = False
    hub.state.pad = 5 * 1024 * 1024
    with pytest.raises(ServiceError, match="a manifest is at most 4 MiB"):
        Registry(_services(hub)).digest(PYTHON, "3.12")


def test_a_schema_1_manifest_is_refused(hub: fake.Registry) -> None:
    hub.add("library/python", "3.12", Image(
        "application/vnd.docker.distribution.manifest.v1+prettyjws",
        b'{"schemaVersion": 1, "name": "library/python", "tag": "3.12", "fsLayers": []}'))
    with pytest.raises(ServiceError, match="not schema version 2"):
        Registry(_services(hub)).digest(PYTHON, "3.12")


@pytest.mark.parametrize("token", ["tok\r\nX-Injected: 1", "tok en", "t" * 20000])
def test_a_token_that_cannot_be_a_header_is_refused(hub: fake.Registry, token: str) -> None:
    hub.add("library/python", "3.12", Image.single("py"))
    hub.state.token_value = token
    with pytest.raises(ServiceError, match="cannot be sent in a header") as caught:
        Registry(_services(hub)).digest(PYTHON, "3.12")
    assert token not in str(caught.value)
    assert len(hub.manifest_requests()) == 1


def test_no_error_message_carries_the_token(hub: fake.Registry) -> None:
    hub.add("library/python", "3.12", Image.single("py"))
    services = _services(hub)
    client = Registry(services)
    messages = []
    for tag in ("3.99", "4.0"):
        with pytest.raises(NotFound) as caught:
            client.digest(PYTHON, tag)
        messages.append(str(caught.value))
    hub.state.remaining = 0
    with pytest.raises(RateLimited) as limited:
        Registry(Services(http=Http(timeout=5, sleep=lambda _: None),
                          registries={"docker.io": hub.url})).digest(PYTHON, "3.12")
    messages.append(str(limited.value))
    tokens = hub.state.issued()
    assert tokens
    assert not [m for m in messages for t in tokens if t in m]


def test_an_expired_token_is_replaced_once(hub: fake.Registry) -> None:
    hub.add("library/python", "3.12", Image.single("a"))
    hub.add("library/python", "3.13", Image.single("b"))
    client = Registry(_services(hub))
    client.digest(PYTHON, "3.12")
    hub.state.tokens.clear()  # the registry no longer takes it (expires_in passed)
    assert client.digest(PYTHON, "3.13") == hub.state.repos["library/python"]["3.13"].digest
    assert len([s for s in hub.state.seen if s.server == "token"]) == 2


def test_a_token_for_another_repository_is_not_enough(hub: fake.Registry) -> None:
    """Docker Hub's insufficient_scope: each repository gets its own pull token."""
    hub.add("library/python", "3.12", Image.single("a"))
    hub.add("library/alpine", "3", Image.single("b"))
    client = Registry(_services(hub))
    client.digest(PYTHON, "3.12")
    client.digest(parse("alpine:3"), "3")
    scopes = [s.query["scope"] for s in hub.state.seen if s.server == "token"]
    assert scopes == [["repository:library/python:pull"], ["repository:library/alpine:pull"]]


def test_a_missing_tag_is_remembered_for_the_run(hub: fake.Registry) -> None:
    hub.add("library/python", "3.12", Image.single("a"))
    services = _services(hub)
    for _round in range(2):
        with pytest.raises(NotFound):
            Registry(services).digest(PYTHON, "3.99")
    assert [s.method for s in hub.manifest_requests()] == ["HEAD", "HEAD", "GET"]  # once
