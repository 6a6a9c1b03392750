"""The kafkaproto schema compiler.

A pipeline whose stages are modules, data flowing one way:

``schemas`` (fetch and pin Kafka's JSON) -> ``load`` (JSON with comments to plain data) ->
``model`` (pydantic models of the spec, every rule of Kafka's generator checked) -> ``plan``
(one class per message and struct, its own layout per version, runs of equal layouts) ->
``emit`` (jinja2 + black -> generated/). ``error_table`` reads Kafka's error table (extracted
from the pinned jar by ``java/ErrorsExtract.java``); ``upgrade_diff`` measures a pin move.

The compiler never imports the runtime: generated code does, the compiler only writes it.
"""
