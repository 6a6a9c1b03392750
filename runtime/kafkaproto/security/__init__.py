"""TLS and SASL for kafkaproto's connections: settings with Java's names
(:mod:`~kafkaproto.security.config`), sans-I/O SASL mechanisms (:mod:`.plain`, :mod:`.scram`,
:mod:`.oauthbearer`), the ``sasl.jaas.config`` parser (:mod:`.jaas`), OIDC token retrieval
(:mod:`.oidc`), the per-client channel security (:mod:`.channel`) and the SaslHandshake /
SaslAuthenticate exchange (:mod:`.sasl_exchange`). Typed failures are in :mod:`.errors`.
"""
