"""``kafkaproto decode``: a protocol dissector for people debugging Kafka traffic.

Reads one request or response frame (hex text or raw bytes; from the command line, a file or
stdin; with or without its 4-byte size prefix) and prints it as JSON: the header and the body in
Kafka's JSON form. A request names its API and version in its header; a response does not, so
``--api`` and ``--version`` say what it answers. This module only parses arguments and prints; the
decoding is the generated classes' and the index's.
"""

from __future__ import annotations

import argparse
import json
import string
import sys
from typing import Any

from kafkaproto.errors import KafkaProtoError
from kafkaproto.message import Message
from kafkaproto.messages import (
    API_KEYS,
    api_info,
    request_class,
    request_header_version,
    response_class,
    response_header_version,
)
from kafkaproto.messages.request_header import RequestHeader
from kafkaproto.messages.response_header import ResponseHeader

_HEX = set(string.hexdigits + string.whitespace + ":")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("data", nargs="?", help="the frame as hex (default: read --file or stdin)")
    parser.add_argument("--file", help="read the frame from this file (hex text or raw bytes)")
    parser.add_argument(
        "--kind", choices=("request", "response"), default="request", help="default: request"
    )
    parser.add_argument("--api", help="API key or name (needed for responses), e.g. 3 or Metadata")
    parser.add_argument("--version", type=int, help="API version (needed for responses)")
    parser.add_argument(
        "--no-size", action="store_true", help="the input has no 4-byte size prefix"
    )


def _read_input(args: argparse.Namespace) -> bytes:
    raw: bytes
    if args.data is not None:
        raw = str(args.data).encode()
    elif args.file:
        with open(args.file, "rb") as f:
            raw = f.read()
    else:
        raw = sys.stdin.buffer.read()
    text = raw.decode("latin-1")
    if raw and set(text) <= _HEX:
        cleaned = "".join(c for c in text if c in string.hexdigits)
        if len(cleaned) % 2:
            raise ValueError("hex input has an odd number of digits")
        return bytes.fromhex(cleaned)
    return raw


def _api_key(value: str) -> int:
    if value.lstrip("-").isdigit():
        return int(value)
    for name, key in API_KEYS.items():
        if name.lower() == value.lower():
            return key
    raise ValueError(f"unknown API {value!r}")


def dissect(frame: bytes, *, kind: str, api: int | None, version: int | None, sized: bool) -> Any:
    """The frame as a JSON-ready dict: ``{"api", "version", "header", "body"}``."""
    buf = memoryview(frame)
    if sized:
        if len(buf) < 4:
            raise ValueError("the frame is shorter than its 4-byte size prefix")
        size = int.from_bytes(buf[:4], "big", signed=True)
        if size != len(buf) - 4:
            raise ValueError(
                f"the size prefix says {size} bytes but {len(buf) - 4} follow "
                "(use --no-size if the input has no size prefix)"
            )
        buf = buf[4:]
    header: RequestHeader | ResponseHeader
    body: Message
    if kind == "request":
        if len(buf) < 4:
            raise ValueError("a request header starts with its API key and version (4 bytes)")
        api = int.from_bytes(buf[:2], "big", signed=True) if api is None else api
        version = int.from_bytes(buf[2:4], "big", signed=True) if version is None else version
        header_version = request_header_version(api, version)
        header, pos = RequestHeader.decode_from(buf, 0, header_version)
        body = request_class(api).decode(buf[pos:], version)
    else:
        if api is None or version is None:
            raise ValueError("a response header does not name its API: give --api and --version")
        header_version = response_header_version(api, version)
        header, pos = ResponseHeader.decode_from(buf, 0, header_version)
        body = response_class(api).decode(buf[pos:], version)
    return {
        "api": f"{api_info(api).name} ({api})",
        "version": version,
        "kind": kind,
        "header": header.to_json(header_version),
        "body": body.to_json(version),
    }


def run(args: argparse.Namespace) -> int:
    try:
        frame = _read_input(args)
        api = _api_key(args.api) if args.api is not None else None
        result = dissect(
            frame, kind=args.kind, api=api, version=args.version, sized=not args.no_size
        )
    except (KafkaProtoError, ValueError, OSError) as exc:
        print(f"decode: {exc}", file=sys.stderr)
        return 2
    print(json.dumps(result, indent=2, ensure_ascii=False))
    return 0
