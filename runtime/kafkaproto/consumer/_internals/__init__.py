"""The consumer's private machinery (Java's ``consumer/internals``): the engine the two faces
share, subscription state, fetcher and fetch sessions, offsets and the group coordinator,
memberships (classic and KIP-848), assignors and the group requests. Only modules of
``kafkaproto.consumer`` import these; their names and shapes may change in any release.
"""
