"""OAUTHBEARER tokens from an OIDC provider with the client-credentials grant (KIP-768), the way
Java's ``ClientCredentialsJwtRetriever``/``HttpJwtRetriever`` fetch them, on asyncio.

A POST of ``grant_type=client_credentials[&scope=...]`` to ``sasl.oauthbearer.token.endpoint.url``
with the client id and secret in an HTTP Basic ``Authorization`` header (URL-encoded first when
``sasl.oauthbearer.header.urlencode`` is true); the JSON answer's ``access_token`` is the token.
Attempts are retried with Java's ``Retry``: waits of ``sasl.login.retry.backoff.ms`` doubling per
attempt, until ``sasl.login.retry.backoff.max.ms`` has passed since the first; an HTTP status Java
deems permanent (400, 401, 403, 404 ...) is not retried. A ``file:`` URL reads the token from
that file (Java's ``FileJwtRetriever``).

The HTTP/1.1 exchange is a few lines on ``asyncio.open_connection`` (one request, ``Connection:
close``, Content-Length or chunked answers), so that the fetch is cancellable and bounded by the
connect and read timeouts without a thread or a new dependency; proxies are not supported.

This module must never log a secret or a token and never cache tokens (the channel's
:class:`~kafkaproto.security.channel.TokenCache` does).
"""

from __future__ import annotations

import asyncio
import base64
import json
import ssl
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Final

from kafkaproto.security.errors import OAuthBearerTokenError
from kafkaproto.security.oauthbearer import OAuthBearerToken, parse_jwt_claims

__all__ = ["ClientCredentialsTokenSource", "FileTokenSource", "token_from_text"]

# HttpJwtRetriever.UNRETRYABLE_HTTP_CODES.
UNRETRYABLE_HTTP_CODES: Final = frozenset(
    {400, 401, 402, 403, 404, 405, 406, 407, 409, 410, 411, 412, 413, 414, 415, 501, 505}
)
_MAX_ANSWER: Final = 1024 * 1024
DEFAULT_CONNECT_TIMEOUT_MS: Final = 10_000
DEFAULT_READ_TIMEOUT_MS: Final = 30_000


class _Retryable(Exception):
    def __init__(self, error: OAuthBearerTokenError) -> None:
        self.error = error


def token_from_text(
    text: str, *, endpoint: str, sub_claim: str = "sub", now: float | None = None
) -> OAuthBearerToken:
    """A JWT from an endpoint or file, checked as Java's ``ClientJwtValidator`` does (three
    parts, ``exp`` and the subject claim present) and, beyond Java, not already expired."""
    value = text.strip()
    try:
        token = OAuthBearerToken.from_jwt(value)
    except ValueError as exc:
        raise OAuthBearerTokenError(f"not a usable JWT: {exc}", endpoint=endpoint) from None
    subject = parse_jwt_claims(value).get(sub_claim)
    if not isinstance(subject, str) or not subject.strip():
        raise OAuthBearerTokenError(
            f"the JWT has no '{sub_claim}' claim (sasl.oauthbearer.sub.claim.name)",
            endpoint=endpoint,
        )
    current = time.time() if now is None else now
    assert token.expires_at is not None
    if token.expires_at <= current:
        raise OAuthBearerTokenError(
            f"the token expired {current - token.expires_at:.0f} s ago (exp "
            f"{token.expires_at:.0f}, now {current:.0f}); the broker would refuse it",
            endpoint=endpoint,
        )
    return OAuthBearerToken(token.value, token.expires_at, subject, token.issued_at)


class FileTokenSource:
    """The token in a file, read again on every fetch (a sidecar may rewrite it)."""

    def __init__(self, url: str, *, sub_claim: str = "sub") -> None:
        self.endpoint = url
        self.path = Path(urllib.parse.unquote(urllib.parse.urlsplit(url).path))
        self.sub_claim = sub_claim

    async def __call__(self) -> OAuthBearerToken:
        try:
            text = await asyncio.to_thread(self.path.read_text)
        except OSError as exc:
            raise OAuthBearerTokenError(
                f"cannot read the token file: {exc}", endpoint=self.endpoint
            ) from None
        return token_from_text(text, endpoint=self.endpoint, sub_claim=self.sub_claim)


class ClientCredentialsTokenSource:
    """Fetches a token with the client-credentials grant; call it (``await source()``)."""

    def __init__(
        self,
        url: str,
        client_id: str,
        client_secret: str,
        *,
        scope: str | None = None,
        urlencode_header: bool = False,
        ssl_context: ssl.SSLContext | None = None,
        connect_timeout_ms: int | None = None,
        read_timeout_ms: int | None = None,
        retry_backoff_ms: int = 100,
        retry_backoff_max_ms: int = 10_000,
        sub_claim: str = "sub",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"token endpoint must be an http(s) URL with a host: {url!r}")
        self.endpoint = url
        self._host = parts.hostname
        self._port = parts.port or (443 if parts.scheme == "https" else 80)
        self._tls = parts.scheme == "https"
        self._target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        self._ssl_context = (
            ssl_context
            if ssl_context is not None
            else (ssl.create_default_context() if self._tls else None)
        )
        # ClientSecretRequestFormatter: trim; blank scope is none; URL-encode if asked.
        cid, secret = client_id.strip(), client_secret.strip()
        scope = scope.strip() if scope and scope.strip() else None
        if urlencode_header:
            cid, secret = urllib.parse.quote_plus(cid), urllib.parse.quote_plus(secret)
            scope = urllib.parse.quote_plus(scope) if scope else None
        basic = base64.b64encode(f"{cid}:{secret}".encode()).decode()
        self._headers = {
            "Accept": "application/json",
            "Authorization": f"Basic {basic}",
            "Cache-Control": "no-cache",
            "Content-Type": "application/x-www-form-urlencoded",
        }
        self._body = (
            "grant_type=client_credentials" + (f"&scope={scope}" if scope else "")
        ).encode()
        self._connect_timeout = (connect_timeout_ms or DEFAULT_CONNECT_TIMEOUT_MS) / 1000
        self._read_timeout = (read_timeout_ms or DEFAULT_READ_TIMEOUT_MS) / 1000
        self._backoff_ms = retry_backoff_ms
        self._backoff_max_ms = retry_backoff_max_ms
        self._sub_claim = sub_claim
        self._clock = clock

    async def __call__(self) -> OAuthBearerToken:
        # Java's Retry.execute.
        start = self._clock()
        end = start + self._backoff_max_ms / 1000
        attempt = 0
        last: OAuthBearerTokenError | None = None
        while self._clock() <= end:
            attempt += 1
            try:
                body = await self._attempt()
            except _Retryable as exc:
                last = exc.error
            else:
                return self._token(body)
            wait = min(self._backoff_ms * 2 ** (attempt - 1) / 1000, end - self._clock())
            if wait <= 0:
                break
            await asyncio.sleep(wait)
        assert last is not None
        raise last

    def _token(self, body: bytes) -> OAuthBearerToken:
        # JwtResponseParser: the JSON's access_token.
        try:
            answer = json.loads(body)
        except ValueError:
            raise OAuthBearerTokenError(
                "the answer is not JSON", endpoint=self.endpoint, answer=_excerpt(body)
            ) from None
        token = answer.get("access_token") if isinstance(answer, dict) else None
        if not isinstance(token, str) or not token.strip():
            raise OAuthBearerTokenError(
                "The token endpoint response did not contain an access_token value",
                endpoint=self.endpoint,
                answer=_excerpt(body),
            )
        return token_from_text(token, endpoint=self.endpoint, sub_claim=self._sub_claim)

    async def _attempt(self) -> bytes:
        try:
            async with asyncio.timeout(self._connect_timeout):
                reader, writer = await asyncio.open_connection(
                    self._host,
                    self._port,
                    ssl=self._ssl_context,
                    server_hostname=self._host if self._tls else None,
                )
        except (OSError, TimeoutError) as exc:
            reason = "no connection" + (
                f" within {self._connect_timeout:g} s"
                if isinstance(exc, TimeoutError)
                else f": {exc}"
            )
            raise _Retryable(OAuthBearerTokenError(reason, endpoint=self.endpoint)) from None
        try:
            head = [f"POST {self._target} HTTP/1.1", f"Host: {self._host}:{self._port}"]
            head += [f"{k}: {v}" for k, v in self._headers.items()]
            head += [f"Content-Length: {len(self._body)}", "Connection: close", "", ""]
            writer.write("\r\n".join(head).encode() + self._body)
            async with asyncio.timeout(self._read_timeout):
                await writer.drain()
                raw = await reader.read(_MAX_ANSWER + 1)
                chunks = [raw]
                while raw and sum(map(len, chunks)) <= _MAX_ANSWER:
                    raw = await reader.read(_MAX_ANSWER)
                    chunks.append(raw)
        except (OSError, TimeoutError) as exc:
            reason = (
                f"no answer within {self._read_timeout:g} s"
                if isinstance(exc, TimeoutError)
                else f"connection failed: {exc}"
            )
            raise _Retryable(OAuthBearerTokenError(reason, endpoint=self.endpoint)) from None
        finally:
            writer.close()
        data = b"".join(chunks)
        if len(data) > _MAX_ANSWER:
            raise OAuthBearerTokenError("the answer is larger than 1 MiB", endpoint=self.endpoint)
        status, body = _parse_http_response(data, self.endpoint)
        if status in (200, 201):
            if not body:
                raise _Retryable(
                    OAuthBearerTokenError(
                        "the token endpoint answered with an empty body",
                        endpoint=self.endpoint,
                        status=status,
                    )
                )
            return body
        error = OAuthBearerTokenError(
            "the token endpoint refused the request"
            if status in UNRETRYABLE_HTTP_CODES
            else "unexpected answer from the token endpoint",
            endpoint=self.endpoint,
            status=status,
            answer=_oauth_error(body),
        )
        if status in UNRETRYABLE_HTTP_CODES:
            raise error
        raise _Retryable(error)


def _excerpt(body: bytes, limit: int = 300) -> str:
    text = body.decode(errors="replace").strip()
    return text if len(text) <= limit else text[:limit] + "..."


def _oauth_error(body: bytes) -> str:
    # HttpJwtRetriever.formatErrorMessage: RFC 6749 §5.2 error + description when present.
    try:
        answer = json.loads(body)
    except ValueError:
        return _excerpt(body)
    if isinstance(answer, dict):
        if "error" in answer:
            return f"{{{answer['error']} - {answer.get('error_description', '')}}}"
        if "errorCode" in answer:
            return f"{{{answer['errorCode']} - {answer.get('errorSummary', '')}}}"
    return _excerpt(body)


def _parse_http_response(data: bytes, endpoint: str) -> tuple[int, bytes]:
    head, sep, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    if not sep or len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise OAuthBearerTokenError(
            "the answer is not HTTP", endpoint=endpoint, answer=_excerpt(data)
        )
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = _dechunk(body, endpoint)
    elif "content-length" in headers and headers["content-length"].isdigit():
        body = body[: int(headers["content-length"])]
    return int(parts[1]), body


def _dechunk(body: bytes, endpoint: str) -> bytes:
    out = bytearray()
    pos = 0
    while True:
        end = body.find(b"\r\n", pos)
        if end < 0:
            raise OAuthBearerTokenError("truncated chunked answer", endpoint=endpoint)
        try:
            size = int(body[pos:end].split(b";")[0], 16)
        except ValueError:
            raise OAuthBearerTokenError("malformed chunked answer", endpoint=endpoint) from None
        if size == 0:
            return bytes(out)
        out += body[end + 2 : end + 2 + size]
        pos = end + 2 + size + 2
