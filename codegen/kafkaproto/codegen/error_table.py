"""Kafka's error table, as the compiler reads it: the tab-separated lines that
``java/ErrorsExtract.java`` printed from the pinned jar's ``Errors`` enum, checked and named.

Only parsing and naming live here; the runtime's error types are rendered by the emit stage from
what this returns, and the runtime behaviour (``error_for_code``...) is the runtime's.
"""

from __future__ import annotations

from dataclasses import dataclass

from .model import SpecError

FILE = "Errors.tsv"


@dataclass(frozen=True)
class ErrorEntry:
    """One entry of Kafka's ``Errors`` enum."""

    code: int
    name: str  # the enum name, UNKNOWN_TOPIC_OR_PARTITION
    retriable: bool  # its exception extends RetriableException
    invalid_metadata: bool  # its exception extends InvalidMetadataException
    message: str  # the default message ("" for NONE)

    @property
    def class_name(self) -> str:
        """The enum name in CamelCase, a trailing _ERROR/_EXCEPTION folded into the ``Error``
        suffix: ``NETWORK_EXCEPTION`` -> ``NetworkError``."""
        base = self.name.removesuffix("_ERROR").removesuffix("_EXCEPTION")
        return "".join(part.capitalize() for part in base.split("_")) + "Error"


def parse_errors(data: bytes) -> list[ErrorEntry]:
    """The entries in Kafka's order; refuses anything that is not five tab-separated columns,
    duplicate codes or names, and a table without ``NONE`` at code 0."""
    entries: list[ErrorEntry] = []
    seen_codes: dict[int, str] = {}
    seen_classes: dict[str, str] = {}
    for n, line in enumerate(data.decode("utf-8").splitlines(), 1):
        parts = line.split("\t")
        if len(parts) != 5 or parts[2] not in ("true", "false") or parts[3] not in (
            "true",
            "false",
        ):
            raise SpecError(FILE, "error-table", f"line {n} is not an error entry: {line!r}")
        try:
            code = int(parts[0])
        except ValueError:
            raise SpecError(FILE, "error-table", f"line {n}: bad code {parts[0]!r}") from None
        entry = ErrorEntry(code, parts[1], parts[2] == "true", parts[3] == "true", parts[4])
        if code in seen_codes:
            raise SpecError(
                FILE, "error-table", f"code {code} is both {seen_codes[code]} and {entry.name}"
            )
        seen_codes[code] = entry.name
        if entry.code != 0:
            if entry.class_name in seen_classes:
                raise SpecError(
                    FILE,
                    "error-table",
                    f"{seen_classes[entry.class_name]} and {entry.name} both become class "
                    f"{entry.class_name}",
                )
            seen_classes[entry.class_name] = entry.name
        entries.append(entry)
    if seen_codes.get(0) != "NONE":
        raise SpecError(FILE, "error-table", "no NONE entry at code 0")
    return entries
