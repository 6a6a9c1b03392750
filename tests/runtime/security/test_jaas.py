"""The sasl.jaas.config parser with the rules of Kafka's JaasConfig (StreamTokenizer set-up)."""

from __future__ import annotations

import pytest
from kafkaproto.security.jaas import JaasConfigError, parse_jaas_config

SCRAM = "org.apache.kafka.common.security.scram.ScramLoginModule"


def test_java_client_line() -> None:
    (entry,) = parse_jaas_config(f'{SCRAM} required username="alice" password="alice-secret";')
    assert entry.login_module == SCRAM
    assert entry.control_flag == "required"
    assert dict(entry.options) == {"username": "alice", "password": "alice-secret"}
    assert "alice-secret" not in repr(entry)


def test_quotes_escapes_words_and_comments() -> None:
    text = (
        "/* leading */ com.example.Module REQUISITE // to the end of the line\n"
        '  a=plain-word b=\'single\' c="with \\"escaped\\" quote" d="tab\\there"\n'
        '  e="octal\\101" f="" url="https://idp.example/token" ;'
    )
    (entry,) = parse_jaas_config(text)
    assert entry.control_flag == "requisite"
    assert dict(entry.options) == {
        "a": "plain-word",
        "b": "single",
        "c": 'with "escaped" quote',
        "d": "tab\there",
        "e": "octalA",
        "f": "",
        "url": "https://idp.example/token",
    }


def test_several_entries_and_whitespace_everywhere() -> None:
    entries = parse_jaas_config("A required;\n\tB optional x = y ;")
    assert [(e.login_module, e.control_flag, dict(e.options)) for e in entries] == [
        ("A", "required", {}),
        ("B", "optional", {"x": "y"}),
    ]


def test_unquoted_slash_starts_a_comment() -> None:
    # '/' is Java's comment character here: an unquoted URL loses its tail and the entry its ';'.
    with pytest.raises(JaasConfigError, match="not terminated by semi-colon"):
        parse_jaas_config("A required url=https://idp.example/token;")


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("", "Login module not specified"),
        ("   // only a comment", "Login module not specified"),
        ("A", "control flag not specified"),
        ("A mandatory;", "Invalid login module control flag 'mandatory'"),
        ("A required user;", "Value not specified for key 'user'"),
        ("A required user=;", "Value not specified for key 'user'"),
        ('A required user="x"', "not terminated by semi-colon"),
        ("= required;", "Login module not specified"),
    ],
)
def test_errors_use_javas_messages(text: str, match: str) -> None:
    with pytest.raises(JaasConfigError, match=match):
        parse_jaas_config(text)
