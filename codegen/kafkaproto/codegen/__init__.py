"""The kafkaproto schema compiler.

A pipeline whose stages are modules, data flowing one way:

``schemas`` (fetch and pin Kafka's JSON) -> ``load`` (JSON with comments to plain data) ->
``model`` (pydantic models of the spec, every rule of Kafka's generator checked) -> ``plan``
(one resolved, immutable view per message version) -> ``emit`` (jinja2 + black -> generated/).

The compiler never imports the runtime: generated code does, the compiler only writes it.
"""
