"""Kafka's error codes as typed exceptions: one class per code of Kafka 4.4.0's
``org.apache.kafka.common.protocol.Errors``.

Each class carries the wire ``code``, Kafka's enum ``name``, its default ``message``, whether Java
treats it as ``retriable`` (its exception extends ``RetriableException``) and whether it is an
``invalid_metadata`` error (extends ``InvalidMetadataException``: the producer refreshes metadata
before retrying). ``error_for_code`` turns a code read off the wire into an instance;
``raise_for_code`` raises it unless the code is 0 (``NONE``).

This module is a table of facts checked against the kafka-clients 4.4.0 jar by
``tests/runtime/test_error_codes_oracle.py``; it must never decide retry policy, log, do I/O or
import anything from kafkaproto but ``errors``. Class names are the enum names in CamelCase with a
trailing ``_ERROR``/``_EXCEPTION`` folded into the ``Error`` suffix.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import ClassVar

from kafkaproto.errors import KafkaProtoError

__all__ = [
    "ERROR_CLASSES",
    "KAFKA_VERSION",
    "NONE_CODE",
    "BrokerIdNotRegisteredError",
    "BrokerNotAvailableError",
    "ClusterAuthorizationFailedError",
    "ConcurrentTransactionsError",
    "ControllerIdNotRegisteredError",
    "CoordinatorLoadInProgressError",
    "CoordinatorNotAvailableError",
    "CorruptMessageError",
    "DelegationTokenAuthDisabledError",
    "DelegationTokenAuthorizationFailedError",
    "DelegationTokenExpiredError",
    "DelegationTokenNotFoundError",
    "DelegationTokenOwnerMismatchError",
    "DelegationTokenRequestNotAllowedError",
    "DuplicateBrokerRegistrationError",
    "DuplicateResourceError",
    "DuplicateSequenceNumberError",
    "DuplicateVoterError",
    "ElectionNotNeededError",
    "EligibleLeadersNotAvailableError",
    "FeatureUpdateFailedError",
    "FencedInstanceIdError",
    "FencedLeaderEpochError",
    "FencedMemberEpochError",
    "FencedStateEpochError",
    "FetchSessionIdNotFoundError",
    "FetchSessionTopicIdError",
    "GroupAuthorizationFailedError",
    "GroupDeletionFailedError",
    "GroupIdNotFoundError",
    "GroupMaxSizeReachedError",
    "GroupSubscribedToTopicError",
    "IllegalGenerationError",
    "IllegalSaslStateError",
    "InconsistentClusterIdError",
    "InconsistentGroupProtocolError",
    "InconsistentTopicIdError",
    "InconsistentVoterSetError",
    "IneligibleReplicaError",
    "InvalidCommitOffsetSizeError",
    "InvalidConfigError",
    "InvalidFetchSessionEpochError",
    "InvalidFetchSizeError",
    "InvalidGroupIdError",
    "InvalidPartitionsError",
    "InvalidPrincipalTypeError",
    "InvalidProducerEpochError",
    "InvalidProducerIdMappingError",
    "InvalidRecordError",
    "InvalidRecordStateError",
    "InvalidRegistrationError",
    "InvalidRegularExpressionError",
    "InvalidReplicaAssignmentError",
    "InvalidReplicationFactorError",
    "InvalidRequestError",
    "InvalidRequiredAcksError",
    "InvalidSessionTimeoutError",
    "InvalidShareSessionEpochError",
    "InvalidTimestampError",
    "InvalidTopicError",
    "InvalidTransactionTimeoutError",
    "InvalidTxnStateError",
    "InvalidUpdateVersionError",
    "InvalidVoterKeyError",
    "KafkaError",
    "KafkaStorageError",
    "LeaderNotAvailableError",
    "ListenerNotFoundError",
    "LogDirNotFoundError",
    "MemberIdRequiredError",
    "MessageTooLargeError",
    "MismatchedEndpointTypeError",
    "NetworkError",
    "NewLeaderElectedError",
    "NoReassignmentInProgressError",
    "NonEmptyGroupError",
    "NotControllerError",
    "NotCoordinatorError",
    "NotEnoughReplicasAfterAppendError",
    "NotEnoughReplicasError",
    "NotLeaderOrFollowerError",
    "OffsetMetadataTooLargeError",
    "OffsetMovedToTieredStorageError",
    "OffsetNotAvailableError",
    "OffsetOutOfRangeError",
    "OperationNotAttemptedError",
    "OutOfOrderSequenceNumberError",
    "PolicyViolationError",
    "PositionOutOfRangeError",
    "PreferredLeaderNotAvailableError",
    "PrincipalDeserializationFailureError",
    "ProducerFencedError",
    "ReassignmentInProgressError",
    "RebalanceInProgressError",
    "RebootstrapRequiredError",
    "RecordListTooLargeError",
    "ReplicaNotAvailableError",
    "RequestTimedOutError",
    "ResourceNotFoundError",
    "SaslAuthenticationFailedError",
    "SecurityDisabledError",
    "ShareSessionLimitReachedError",
    "ShareSessionNotFoundError",
    "SnapshotNotFoundError",
    "StaleBrokerEpochError",
    "StaleControllerEpochError",
    "StaleMemberEpochError",
    "StreamsInvalidTopologyEpochError",
    "StreamsInvalidTopologyError",
    "StreamsTopologyDescriptionUpdateFailedError",
    "StreamsTopologyFencedError",
    "TelemetryTooLargeError",
    "ThrottlingQuotaExceededError",
    "TopicAlreadyExistsError",
    "TopicAuthorizationFailedError",
    "TopicDeletionDisabledError",
    "TransactionAbortableError",
    "TransactionCoordinatorFencedError",
    "TransactionalIdAuthorizationFailedError",
    "TransactionalIdNotFoundError",
    "UnacceptableCredentialError",
    "UnknownControllerIdError",
    "UnknownErrorCodeError",
    "UnknownLeaderEpochError",
    "UnknownMemberIdError",
    "UnknownProducerIdError",
    "UnknownServerError",
    "UnknownSubscriptionIdError",
    "UnknownTopicIdError",
    "UnknownTopicOrPartitionError",
    "UnreleasedInstanceIdError",
    "UnstableOffsetCommitError",
    "UnsupportedAssignorError",
    "UnsupportedCompressionTypeError",
    "UnsupportedEndpointTypeError",
    "UnsupportedForMessageFormatError",
    "UnsupportedSaslMechanismError",
    "UnsupportedVersionError",
    "VoterNotFoundError",
    "error_class_for_code",
    "error_for_code",
    "raise_for_code",
]

#: The Kafka release this table was read from.
KAFKA_VERSION = "4.4.0"

#: ``Errors.NONE``: success; it has no exception class.
NONE_CODE = 0


class KafkaError(KafkaProtoError):
    """An error code returned by a Kafka broker.

    Subclasses fix ``code``, ``name``, ``retriable``, ``invalid_metadata`` and ``default_message``;
    an instance's ``message`` is the broker's own error message when the response carried one,
    else the default message.
    """

    code: int = -1
    name: str = "UNKNOWN_SERVER_ERROR"
    retriable: bool = False
    invalid_metadata: bool = False
    default_message: ClassVar[str] = ""

    def __init__(self, message: str | None = None) -> None:
        self.message = message if message else self.default_message
        # args stays (message,) so instances pickle and copy like plain exceptions.
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.name} ({self.code}): {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class UnknownServerError(KafkaError):
    code = -1
    name = "UNKNOWN_SERVER_ERROR"
    default_message = "The server experienced an unexpected error when processing the request."


class OffsetOutOfRangeError(KafkaError):
    code = 1
    name = "OFFSET_OUT_OF_RANGE"
    default_message = (
        "The requested offset is not within the range of offsets maintained by the server."
    )


class CorruptMessageError(KafkaError):
    code = 2
    name = "CORRUPT_MESSAGE"
    retriable = True
    default_message = (
        "This message has failed its CRC checksum, exceeds the valid size, has a null key for a "
        "compacted topic, or is otherwise corrupt."
    )


class UnknownTopicOrPartitionError(KafkaError):
    code = 3
    name = "UNKNOWN_TOPIC_OR_PARTITION"
    retriable = True
    invalid_metadata = True
    default_message = "This server does not host this topic-partition."


class InvalidFetchSizeError(KafkaError):
    code = 4
    name = "INVALID_FETCH_SIZE"
    default_message = "The requested fetch size is invalid."


class LeaderNotAvailableError(KafkaError):
    code = 5
    name = "LEADER_NOT_AVAILABLE"
    retriable = True
    invalid_metadata = True
    default_message = (
        "There is no leader for this topic-partition as we are in the middle of a leadership "
        "election."
    )


class NotLeaderOrFollowerError(KafkaError):
    code = 6
    name = "NOT_LEADER_OR_FOLLOWER"
    retriable = True
    invalid_metadata = True
    default_message = (
        "For requests intended only for the leader, this error indicates that the broker is not "
        "the current leader. For requests intended for any replica, this error indicates that "
        "the broker is not a replica of the topic partition."
    )


class RequestTimedOutError(KafkaError):
    code = 7
    name = "REQUEST_TIMED_OUT"
    retriable = True
    default_message = "The request timed out."


class BrokerNotAvailableError(KafkaError):
    code = 8
    name = "BROKER_NOT_AVAILABLE"
    default_message = "The broker is not available."


class ReplicaNotAvailableError(KafkaError):
    code = 9
    name = "REPLICA_NOT_AVAILABLE"
    retriable = True
    invalid_metadata = True
    default_message = (
        "The replica is not available for the requested topic-partition. Produce/Fetch requests "
        "and other requests intended only for the leader or follower return "
        "NOT_LEADER_OR_FOLLOWER if the broker is not a replica of the topic-partition."
    )


class MessageTooLargeError(KafkaError):
    code = 10
    name = "MESSAGE_TOO_LARGE"
    default_message = (
        "The request included a message larger than the max message size the server will accept."
    )


class StaleControllerEpochError(KafkaError):
    code = 11
    name = "STALE_CONTROLLER_EPOCH"
    default_message = "The controller moved to another broker."


class OffsetMetadataTooLargeError(KafkaError):
    code = 12
    name = "OFFSET_METADATA_TOO_LARGE"
    default_message = "The metadata field of the offset request was too large."


class NetworkError(KafkaError):
    code = 13
    name = "NETWORK_EXCEPTION"
    retriable = True
    invalid_metadata = True
    default_message = "The server disconnected before a response was received."


class CoordinatorLoadInProgressError(KafkaError):
    code = 14
    name = "COORDINATOR_LOAD_IN_PROGRESS"
    retriable = True
    default_message = "The coordinator is loading and hence can't process requests."


class CoordinatorNotAvailableError(KafkaError):
    code = 15
    name = "COORDINATOR_NOT_AVAILABLE"
    retriable = True
    default_message = "The coordinator is not available."


class NotCoordinatorError(KafkaError):
    code = 16
    name = "NOT_COORDINATOR"
    retriable = True
    default_message = "This is not the correct coordinator."


class InvalidTopicError(KafkaError):
    code = 17
    name = "INVALID_TOPIC_EXCEPTION"
    default_message = "The request attempted to perform an operation on an invalid topic."


class RecordListTooLargeError(KafkaError):
    code = 18
    name = "RECORD_LIST_TOO_LARGE"
    default_message = (
        "The request included message batch larger than the configured segment size on the server."
    )


class NotEnoughReplicasError(KafkaError):
    code = 19
    name = "NOT_ENOUGH_REPLICAS"
    retriable = True
    default_message = "Messages are rejected since there are fewer in-sync replicas than required."


class NotEnoughReplicasAfterAppendError(KafkaError):
    code = 20
    name = "NOT_ENOUGH_REPLICAS_AFTER_APPEND"
    retriable = True
    default_message = (
        "Messages are written to the log, but to fewer in-sync replicas than required."
    )


class InvalidRequiredAcksError(KafkaError):
    code = 21
    name = "INVALID_REQUIRED_ACKS"
    default_message = "Produce request specified an invalid value for required acks."


class IllegalGenerationError(KafkaError):
    code = 22
    name = "ILLEGAL_GENERATION"
    default_message = "Specified group generation id is not valid."


class InconsistentGroupProtocolError(KafkaError):
    code = 23
    name = "INCONSISTENT_GROUP_PROTOCOL"
    default_message = (
        "The group member's supported protocols are incompatible with those of existing members "
        "or first group member tried to join with empty protocol type or empty protocol list."
    )


class InvalidGroupIdError(KafkaError):
    code = 24
    name = "INVALID_GROUP_ID"
    default_message = "The group id is invalid."


class UnknownMemberIdError(KafkaError):
    code = 25
    name = "UNKNOWN_MEMBER_ID"
    default_message = "The coordinator is not aware of this member."


class InvalidSessionTimeoutError(KafkaError):
    code = 26
    name = "INVALID_SESSION_TIMEOUT"
    default_message = (
        "The session timeout is not within the range allowed by the broker (as configured by "
        "group.min.session.timeout.ms and group.max.session.timeout.ms)."
    )


class RebalanceInProgressError(KafkaError):
    code = 27
    name = "REBALANCE_IN_PROGRESS"
    default_message = "The group is rebalancing, so a rejoin is needed."


class InvalidCommitOffsetSizeError(KafkaError):
    code = 28
    name = "INVALID_COMMIT_OFFSET_SIZE"
    default_message = "The committing offset data size is not valid."


class TopicAuthorizationFailedError(KafkaError):
    code = 29
    name = "TOPIC_AUTHORIZATION_FAILED"
    default_message = "Topic authorization failed."


class GroupAuthorizationFailedError(KafkaError):
    code = 30
    name = "GROUP_AUTHORIZATION_FAILED"
    default_message = "Group authorization failed."


class ClusterAuthorizationFailedError(KafkaError):
    code = 31
    name = "CLUSTER_AUTHORIZATION_FAILED"
    default_message = "Cluster authorization failed."


class InvalidTimestampError(KafkaError):
    code = 32
    name = "INVALID_TIMESTAMP"
    default_message = "The timestamp of the message is out of acceptable range."


class UnsupportedSaslMechanismError(KafkaError):
    code = 33
    name = "UNSUPPORTED_SASL_MECHANISM"
    default_message = "The broker does not support the requested SASL mechanism."


class IllegalSaslStateError(KafkaError):
    code = 34
    name = "ILLEGAL_SASL_STATE"
    default_message = "Request is not valid given the current SASL state."


class UnsupportedVersionError(KafkaError):
    code = 35
    name = "UNSUPPORTED_VERSION"
    default_message = "The version of API is not supported."


class TopicAlreadyExistsError(KafkaError):
    code = 36
    name = "TOPIC_ALREADY_EXISTS"
    default_message = "Topic with this name already exists."


class InvalidPartitionsError(KafkaError):
    code = 37
    name = "INVALID_PARTITIONS"
    default_message = "Number of partitions is below 1."


class InvalidReplicationFactorError(KafkaError):
    code = 38
    name = "INVALID_REPLICATION_FACTOR"
    default_message = (
        "Replication factor is below 1 or larger than the number of available brokers."
    )


class InvalidReplicaAssignmentError(KafkaError):
    code = 39
    name = "INVALID_REPLICA_ASSIGNMENT"
    default_message = "Replica assignment is invalid."


class InvalidConfigError(KafkaError):
    code = 40
    name = "INVALID_CONFIG"
    default_message = "Configuration is invalid."


class NotControllerError(KafkaError):
    code = 41
    name = "NOT_CONTROLLER"
    retriable = True
    default_message = "This is not the correct controller for this cluster."


class InvalidRequestError(KafkaError):
    code = 42
    name = "INVALID_REQUEST"
    default_message = (
        "This most likely occurs because of a request being malformed by the client library or "
        "the message was sent to an incompatible broker. See the broker logs for more details."
    )


class UnsupportedForMessageFormatError(KafkaError):
    code = 43
    name = "UNSUPPORTED_FOR_MESSAGE_FORMAT"
    default_message = "The message format version on the broker does not support the request."


class PolicyViolationError(KafkaError):
    code = 44
    name = "POLICY_VIOLATION"
    default_message = "Request parameters do not satisfy the configured policy."


class OutOfOrderSequenceNumberError(KafkaError):
    code = 45
    name = "OUT_OF_ORDER_SEQUENCE_NUMBER"
    default_message = "The broker received an out of order sequence number."


class DuplicateSequenceNumberError(KafkaError):
    code = 46
    name = "DUPLICATE_SEQUENCE_NUMBER"
    default_message = "The broker received a duplicate sequence number."


class InvalidProducerEpochError(KafkaError):
    code = 47
    name = "INVALID_PRODUCER_EPOCH"
    default_message = "Producer attempted to produce with an old epoch."


class InvalidTxnStateError(KafkaError):
    code = 48
    name = "INVALID_TXN_STATE"
    default_message = "The producer attempted a transactional operation in an invalid state."


class InvalidProducerIdMappingError(KafkaError):
    code = 49
    name = "INVALID_PRODUCER_ID_MAPPING"
    default_message = (
        "The producer attempted to use a producer id which is not currently assigned to its "
        "transactional id."
    )


class InvalidTransactionTimeoutError(KafkaError):
    code = 50
    name = "INVALID_TRANSACTION_TIMEOUT"
    default_message = (
        "The transaction timeout is larger than the maximum value allowed by the broker (as "
        "configured by transaction.max.timeout.ms)."
    )


class ConcurrentTransactionsError(KafkaError):
    code = 51
    name = "CONCURRENT_TRANSACTIONS"
    retriable = True
    default_message = (
        "The producer attempted to update a transaction while another concurrent operation on "
        "the same transaction was ongoing."
    )


class TransactionCoordinatorFencedError(KafkaError):
    code = 52
    name = "TRANSACTION_COORDINATOR_FENCED"
    default_message = (
        "Indicates that the transaction coordinator sending a WriteTxnMarker is no longer the "
        "current coordinator for a given producer."
    )


class TransactionalIdAuthorizationFailedError(KafkaError):
    code = 53
    name = "TRANSACTIONAL_ID_AUTHORIZATION_FAILED"
    default_message = "Transactional Id authorization failed."


class SecurityDisabledError(KafkaError):
    code = 54
    name = "SECURITY_DISABLED"
    default_message = "Security features are disabled."


class OperationNotAttemptedError(KafkaError):
    code = 55
    name = "OPERATION_NOT_ATTEMPTED"
    default_message = (
        "The broker did not attempt to execute this operation. This may happen for batched RPCs "
        "where some operations in the batch failed, causing the broker to respond without trying "
        "the rest."
    )


class KafkaStorageError(KafkaError):
    code = 56
    name = "KAFKA_STORAGE_ERROR"
    retriable = True
    invalid_metadata = True
    default_message = "Disk error when trying to access log file on the disk."


class LogDirNotFoundError(KafkaError):
    code = 57
    name = "LOG_DIR_NOT_FOUND"
    default_message = "The user-specified log directory is not found in the broker config."


class SaslAuthenticationFailedError(KafkaError):
    code = 58
    name = "SASL_AUTHENTICATION_FAILED"
    default_message = "SASL Authentication failed."


class UnknownProducerIdError(KafkaError):
    code = 59
    name = "UNKNOWN_PRODUCER_ID"
    default_message = (
        "This exception is raised by the broker if it could not locate the producer metadata "
        "associated with the producerId in question. This could happen if, for instance, the "
        "producer's records were deleted because their retention time had elapsed. Once the last "
        "records of the producerId are removed, the producer's metadata is removed from the "
        "broker, and future appends by the producer will return this exception."
    )


class ReassignmentInProgressError(KafkaError):
    code = 60
    name = "REASSIGNMENT_IN_PROGRESS"
    default_message = "A partition reassignment is in progress."


class DelegationTokenAuthDisabledError(KafkaError):
    code = 61
    name = "DELEGATION_TOKEN_AUTH_DISABLED"
    default_message = "Delegation Token feature is not enabled."


class DelegationTokenNotFoundError(KafkaError):
    code = 62
    name = "DELEGATION_TOKEN_NOT_FOUND"
    default_message = "Delegation Token is not found on server."


class DelegationTokenOwnerMismatchError(KafkaError):
    code = 63
    name = "DELEGATION_TOKEN_OWNER_MISMATCH"
    default_message = "Specified Principal is not valid Owner/Renewer."


class DelegationTokenRequestNotAllowedError(KafkaError):
    code = 64
    name = "DELEGATION_TOKEN_REQUEST_NOT_ALLOWED"
    default_message = (
        "Delegation Token requests are not allowed on PLAINTEXT/1-way SSL channels and on "
        "delegation token authenticated channels."
    )


class DelegationTokenAuthorizationFailedError(KafkaError):
    code = 65
    name = "DELEGATION_TOKEN_AUTHORIZATION_FAILED"
    default_message = "Delegation Token authorization failed."


class DelegationTokenExpiredError(KafkaError):
    code = 66
    name = "DELEGATION_TOKEN_EXPIRED"
    default_message = "Delegation Token is expired."


class InvalidPrincipalTypeError(KafkaError):
    code = 67
    name = "INVALID_PRINCIPAL_TYPE"
    default_message = "Supplied principalType is not supported."


class NonEmptyGroupError(KafkaError):
    code = 68
    name = "NON_EMPTY_GROUP"
    default_message = "The group is not empty."


class GroupIdNotFoundError(KafkaError):
    code = 69
    name = "GROUP_ID_NOT_FOUND"
    default_message = "The group id does not exist."


class FetchSessionIdNotFoundError(KafkaError):
    code = 70
    name = "FETCH_SESSION_ID_NOT_FOUND"
    retriable = True
    default_message = "The fetch session ID was not found."


class InvalidFetchSessionEpochError(KafkaError):
    code = 71
    name = "INVALID_FETCH_SESSION_EPOCH"
    retriable = True
    default_message = "The fetch session epoch is invalid."


class ListenerNotFoundError(KafkaError):
    code = 72
    name = "LISTENER_NOT_FOUND"
    retriable = True
    invalid_metadata = True
    default_message = (
        "There is no listener on the leader broker that matches the listener on which metadata "
        "request was processed."
    )


class TopicDeletionDisabledError(KafkaError):
    code = 73
    name = "TOPIC_DELETION_DISABLED"
    default_message = "Topic deletion is disabled."


class FencedLeaderEpochError(KafkaError):
    code = 74
    name = "FENCED_LEADER_EPOCH"
    retriable = True
    invalid_metadata = True
    default_message = "The leader epoch in the request is older than the epoch on the broker."


class UnknownLeaderEpochError(KafkaError):
    code = 75
    name = "UNKNOWN_LEADER_EPOCH"
    retriable = True
    default_message = "The leader epoch in the request is newer than the epoch on the broker."


class UnsupportedCompressionTypeError(KafkaError):
    code = 76
    name = "UNSUPPORTED_COMPRESSION_TYPE"
    default_message = (
        "The requesting client does not support the compression type of given partition."
    )


class StaleBrokerEpochError(KafkaError):
    code = 77
    name = "STALE_BROKER_EPOCH"
    default_message = "Broker epoch has changed."


class OffsetNotAvailableError(KafkaError):
    code = 78
    name = "OFFSET_NOT_AVAILABLE"
    retriable = True
    default_message = (
        "The leader high watermark has not caught up from a recent leader election so the "
        "offsets cannot be guaranteed to be monotonically increasing."
    )


class MemberIdRequiredError(KafkaError):
    code = 79
    name = "MEMBER_ID_REQUIRED"
    default_message = (
        "The group member needs to have a valid member id before actually entering a consumer "
        "group."
    )


class PreferredLeaderNotAvailableError(KafkaError):
    code = 80
    name = "PREFERRED_LEADER_NOT_AVAILABLE"
    retriable = True
    invalid_metadata = True
    default_message = "The preferred leader was not available."


class GroupMaxSizeReachedError(KafkaError):
    code = 81
    name = "GROUP_MAX_SIZE_REACHED"
    default_message = "The group has reached its maximum size."


class FencedInstanceIdError(KafkaError):
    code = 82
    name = "FENCED_INSTANCE_ID"
    default_message = (
        "The broker rejected this static consumer since another consumer with the same "
        "group.instance.id has registered with a different member.id."
    )


class EligibleLeadersNotAvailableError(KafkaError):
    code = 83
    name = "ELIGIBLE_LEADERS_NOT_AVAILABLE"
    retriable = True
    invalid_metadata = True
    default_message = "Eligible topic partition leaders are not available."


class ElectionNotNeededError(KafkaError):
    code = 84
    name = "ELECTION_NOT_NEEDED"
    retriable = True
    invalid_metadata = True
    default_message = "Leader election not needed for topic partition."


class NoReassignmentInProgressError(KafkaError):
    code = 85
    name = "NO_REASSIGNMENT_IN_PROGRESS"
    default_message = "No partition reassignment is in progress."


class GroupSubscribedToTopicError(KafkaError):
    code = 86
    name = "GROUP_SUBSCRIBED_TO_TOPIC"
    default_message = (
        "Deleting offsets of a topic is forbidden while the consumer group is actively "
        "subscribed to it."
    )


class InvalidRecordError(KafkaError):
    code = 87
    name = "INVALID_RECORD"
    default_message = "This record has failed the validation on broker and hence will be rejected."


class UnstableOffsetCommitError(KafkaError):
    code = 88
    name = "UNSTABLE_OFFSET_COMMIT"
    retriable = True
    default_message = "There are unstable offsets that need to be cleared."


class ThrottlingQuotaExceededError(KafkaError):
    code = 89
    name = "THROTTLING_QUOTA_EXCEEDED"
    retriable = True
    default_message = "The throttling quota has been exceeded."


class ProducerFencedError(KafkaError):
    code = 90
    name = "PRODUCER_FENCED"
    default_message = (
        "There is a newer producer with the same transactionalId which fences the current one."
    )


class ResourceNotFoundError(KafkaError):
    code = 91
    name = "RESOURCE_NOT_FOUND"
    default_message = "A request illegally referred to a resource that does not exist."


class DuplicateResourceError(KafkaError):
    code = 92
    name = "DUPLICATE_RESOURCE"
    default_message = "A request illegally referred to the same resource twice."


class UnacceptableCredentialError(KafkaError):
    code = 93
    name = "UNACCEPTABLE_CREDENTIAL"
    default_message = "Requested credential would not meet criteria for acceptability."


class InconsistentVoterSetError(KafkaError):
    code = 94
    name = "INCONSISTENT_VOTER_SET"
    default_message = (
        "Indicates that the either the sender or recipient of a voter-only request is not one of "
        "the expected voters."
    )


class InvalidUpdateVersionError(KafkaError):
    code = 95
    name = "INVALID_UPDATE_VERSION"
    default_message = "The given update version was invalid."


class FeatureUpdateFailedError(KafkaError):
    code = 96
    name = "FEATURE_UPDATE_FAILED"
    default_message = "Unable to update finalized features due to an unexpected server error."


class PrincipalDeserializationFailureError(KafkaError):
    code = 97
    name = "PRINCIPAL_DESERIALIZATION_FAILURE"
    default_message = (
        "Request principal deserialization failed during forwarding. This indicates an internal "
        "error on the broker cluster security setup."
    )


class SnapshotNotFoundError(KafkaError):
    code = 98
    name = "SNAPSHOT_NOT_FOUND"
    default_message = "Requested snapshot was not found."


class PositionOutOfRangeError(KafkaError):
    code = 99
    name = "POSITION_OUT_OF_RANGE"
    default_message = (
        "Requested position is not greater than or equal to zero, and less than the size of the "
        "snapshot."
    )


class UnknownTopicIdError(KafkaError):
    code = 100
    name = "UNKNOWN_TOPIC_ID"
    retriable = True
    invalid_metadata = True
    default_message = "This server does not host this topic ID."


class DuplicateBrokerRegistrationError(KafkaError):
    code = 101
    name = "DUPLICATE_BROKER_REGISTRATION"
    default_message = "This broker ID is already in use."


class BrokerIdNotRegisteredError(KafkaError):
    code = 102
    name = "BROKER_ID_NOT_REGISTERED"
    default_message = "The given broker ID was not registered."


class InconsistentTopicIdError(KafkaError):
    code = 103
    name = "INCONSISTENT_TOPIC_ID"
    retriable = True
    invalid_metadata = True
    default_message = "The log's topic ID did not match the topic ID in the request."


class InconsistentClusterIdError(KafkaError):
    code = 104
    name = "INCONSISTENT_CLUSTER_ID"
    default_message = "The clusterId in the request does not match that found on the server."


class TransactionalIdNotFoundError(KafkaError):
    code = 105
    name = "TRANSACTIONAL_ID_NOT_FOUND"
    default_message = "The transactionalId could not be found."


class FetchSessionTopicIdError(KafkaError):
    code = 106
    name = "FETCH_SESSION_TOPIC_ID_ERROR"
    retriable = True
    default_message = "The fetch session encountered inconsistent topic ID usage."


class IneligibleReplicaError(KafkaError):
    code = 107
    name = "INELIGIBLE_REPLICA"
    default_message = "The new ISR contains at least one ineligible replica."


class NewLeaderElectedError(KafkaError):
    code = 108
    name = "NEW_LEADER_ELECTED"
    default_message = (
        "The AlterPartition request successfully updated the partition state but the leader has "
        "changed."
    )


class OffsetMovedToTieredStorageError(KafkaError):
    code = 109
    name = "OFFSET_MOVED_TO_TIERED_STORAGE"
    default_message = "The requested offset is moved to tiered storage."


class FencedMemberEpochError(KafkaError):
    code = 110
    name = "FENCED_MEMBER_EPOCH"
    default_message = (
        "The member epoch is fenced by the group coordinator. The member must abandon all its "
        "partitions and rejoin."
    )


class UnreleasedInstanceIdError(KafkaError):
    code = 111
    name = "UNRELEASED_INSTANCE_ID"
    default_message = (
        "The instance ID is still used by another member in the consumer group. That member must "
        "leave first."
    )


class UnsupportedAssignorError(KafkaError):
    code = 112
    name = "UNSUPPORTED_ASSIGNOR"
    default_message = "The assignor or its version range is not supported by the consumer group."


class StaleMemberEpochError(KafkaError):
    code = 113
    name = "STALE_MEMBER_EPOCH"
    default_message = (
        "The member epoch is stale. The member must retry after receiving its updated member "
        "epoch via the ConsumerGroupHeartbeat API."
    )


class MismatchedEndpointTypeError(KafkaError):
    code = 114
    name = "MISMATCHED_ENDPOINT_TYPE"
    default_message = "The request was sent to an endpoint of the wrong type."


class UnsupportedEndpointTypeError(KafkaError):
    code = 115
    name = "UNSUPPORTED_ENDPOINT_TYPE"
    default_message = "This endpoint type is not supported yet."


class UnknownControllerIdError(KafkaError):
    code = 116
    name = "UNKNOWN_CONTROLLER_ID"
    default_message = "This controller ID is not known."


class UnknownSubscriptionIdError(KafkaError):
    code = 117
    name = "UNKNOWN_SUBSCRIPTION_ID"
    default_message = (
        "Client sent a push telemetry request with an invalid or outdated subscription ID."
    )


class TelemetryTooLargeError(KafkaError):
    code = 118
    name = "TELEMETRY_TOO_LARGE"
    default_message = (
        "Client sent a push telemetry request larger than the maximum size the broker will accept."
    )


class InvalidRegistrationError(KafkaError):
    code = 119
    name = "INVALID_REGISTRATION"
    default_message = "The controller has considered the broker registration to be invalid."


class TransactionAbortableError(KafkaError):
    code = 120
    name = "TRANSACTION_ABORTABLE"
    default_message = (
        "The server encountered an error with the transaction. The client can abort the "
        "transaction to continue using this transactional ID."
    )


class InvalidRecordStateError(KafkaError):
    code = 121
    name = "INVALID_RECORD_STATE"
    default_message = (
        "The record state is invalid. The acknowledgement of delivery could not be completed."
    )


class ShareSessionNotFoundError(KafkaError):
    code = 122
    name = "SHARE_SESSION_NOT_FOUND"
    retriable = True
    default_message = "The share session was not found."


class InvalidShareSessionEpochError(KafkaError):
    code = 123
    name = "INVALID_SHARE_SESSION_EPOCH"
    retriable = True
    default_message = "The share session epoch is invalid."


class FencedStateEpochError(KafkaError):
    code = 124
    name = "FENCED_STATE_EPOCH"
    default_message = "The coordinator rejected the request because the state epoch did not match."


class InvalidVoterKeyError(KafkaError):
    code = 125
    name = "INVALID_VOTER_KEY"
    default_message = "The voter key doesn't match the receiving replica's key."


class DuplicateVoterError(KafkaError):
    code = 126
    name = "DUPLICATE_VOTER"
    default_message = "The voter is already part of the set of voters."


class VoterNotFoundError(KafkaError):
    code = 127
    name = "VOTER_NOT_FOUND"
    default_message = "The voter is not part of the set of voters."


class InvalidRegularExpressionError(KafkaError):
    code = 128
    name = "INVALID_REGULAR_EXPRESSION"
    default_message = "The regular expression is not valid."


class RebootstrapRequiredError(KafkaError):
    code = 129
    name = "REBOOTSTRAP_REQUIRED"
    default_message = (
        "Client metadata is stale. The client should rebootstrap to obtain new metadata."
    )


class StreamsInvalidTopologyError(KafkaError):
    code = 130
    name = "STREAMS_INVALID_TOPOLOGY"
    default_message = "The supplied topology is invalid."


class StreamsInvalidTopologyEpochError(KafkaError):
    code = 131
    name = "STREAMS_INVALID_TOPOLOGY_EPOCH"
    default_message = "The supplied topology epoch is invalid."


class StreamsTopologyFencedError(KafkaError):
    code = 132
    name = "STREAMS_TOPOLOGY_FENCED"
    default_message = "The supplied topology epoch is outdated."


class ShareSessionLimitReachedError(KafkaError):
    code = 133
    name = "SHARE_SESSION_LIMIT_REACHED"
    retriable = True
    default_message = "The limit of share sessions has been reached."


class GroupDeletionFailedError(KafkaError):
    code = 134
    name = "GROUP_DELETION_FAILED"
    default_message = (
        "DeleteGroups could not complete; see the error message on the per-group result for "
        "details."
    )


class StreamsTopologyDescriptionUpdateFailedError(KafkaError):
    code = 135
    name = "STREAMS_TOPOLOGY_DESCRIPTION_UPDATE_FAILED"
    default_message = (
        "The broker could not process the topology description update; see the error message for "
        "details."
    )


class ControllerIdNotRegisteredError(KafkaError):
    code = 136
    name = "CONTROLLER_ID_NOT_REGISTERED"
    default_message = "The given controller ID was not registered."


_ALL_ERRORS: tuple[type[KafkaError], ...] = (
    UnknownServerError,
    OffsetOutOfRangeError,
    CorruptMessageError,
    UnknownTopicOrPartitionError,
    InvalidFetchSizeError,
    LeaderNotAvailableError,
    NotLeaderOrFollowerError,
    RequestTimedOutError,
    BrokerNotAvailableError,
    ReplicaNotAvailableError,
    MessageTooLargeError,
    StaleControllerEpochError,
    OffsetMetadataTooLargeError,
    NetworkError,
    CoordinatorLoadInProgressError,
    CoordinatorNotAvailableError,
    NotCoordinatorError,
    InvalidTopicError,
    RecordListTooLargeError,
    NotEnoughReplicasError,
    NotEnoughReplicasAfterAppendError,
    InvalidRequiredAcksError,
    IllegalGenerationError,
    InconsistentGroupProtocolError,
    InvalidGroupIdError,
    UnknownMemberIdError,
    InvalidSessionTimeoutError,
    RebalanceInProgressError,
    InvalidCommitOffsetSizeError,
    TopicAuthorizationFailedError,
    GroupAuthorizationFailedError,
    ClusterAuthorizationFailedError,
    InvalidTimestampError,
    UnsupportedSaslMechanismError,
    IllegalSaslStateError,
    UnsupportedVersionError,
    TopicAlreadyExistsError,
    InvalidPartitionsError,
    InvalidReplicationFactorError,
    InvalidReplicaAssignmentError,
    InvalidConfigError,
    NotControllerError,
    InvalidRequestError,
    UnsupportedForMessageFormatError,
    PolicyViolationError,
    OutOfOrderSequenceNumberError,
    DuplicateSequenceNumberError,
    InvalidProducerEpochError,
    InvalidTxnStateError,
    InvalidProducerIdMappingError,
    InvalidTransactionTimeoutError,
    ConcurrentTransactionsError,
    TransactionCoordinatorFencedError,
    TransactionalIdAuthorizationFailedError,
    SecurityDisabledError,
    OperationNotAttemptedError,
    KafkaStorageError,
    LogDirNotFoundError,
    SaslAuthenticationFailedError,
    UnknownProducerIdError,
    ReassignmentInProgressError,
    DelegationTokenAuthDisabledError,
    DelegationTokenNotFoundError,
    DelegationTokenOwnerMismatchError,
    DelegationTokenRequestNotAllowedError,
    DelegationTokenAuthorizationFailedError,
    DelegationTokenExpiredError,
    InvalidPrincipalTypeError,
    NonEmptyGroupError,
    GroupIdNotFoundError,
    FetchSessionIdNotFoundError,
    InvalidFetchSessionEpochError,
    ListenerNotFoundError,
    TopicDeletionDisabledError,
    FencedLeaderEpochError,
    UnknownLeaderEpochError,
    UnsupportedCompressionTypeError,
    StaleBrokerEpochError,
    OffsetNotAvailableError,
    MemberIdRequiredError,
    PreferredLeaderNotAvailableError,
    GroupMaxSizeReachedError,
    FencedInstanceIdError,
    EligibleLeadersNotAvailableError,
    ElectionNotNeededError,
    NoReassignmentInProgressError,
    GroupSubscribedToTopicError,
    InvalidRecordError,
    UnstableOffsetCommitError,
    ThrottlingQuotaExceededError,
    ProducerFencedError,
    ResourceNotFoundError,
    DuplicateResourceError,
    UnacceptableCredentialError,
    InconsistentVoterSetError,
    InvalidUpdateVersionError,
    FeatureUpdateFailedError,
    PrincipalDeserializationFailureError,
    SnapshotNotFoundError,
    PositionOutOfRangeError,
    UnknownTopicIdError,
    DuplicateBrokerRegistrationError,
    BrokerIdNotRegisteredError,
    InconsistentTopicIdError,
    InconsistentClusterIdError,
    TransactionalIdNotFoundError,
    FetchSessionTopicIdError,
    IneligibleReplicaError,
    NewLeaderElectedError,
    OffsetMovedToTieredStorageError,
    FencedMemberEpochError,
    UnreleasedInstanceIdError,
    UnsupportedAssignorError,
    StaleMemberEpochError,
    MismatchedEndpointTypeError,
    UnsupportedEndpointTypeError,
    UnknownControllerIdError,
    UnknownSubscriptionIdError,
    TelemetryTooLargeError,
    InvalidRegistrationError,
    TransactionAbortableError,
    InvalidRecordStateError,
    ShareSessionNotFoundError,
    InvalidShareSessionEpochError,
    FencedStateEpochError,
    InvalidVoterKeyError,
    DuplicateVoterError,
    VoterNotFoundError,
    InvalidRegularExpressionError,
    RebootstrapRequiredError,
    StreamsInvalidTopologyError,
    StreamsInvalidTopologyEpochError,
    StreamsTopologyFencedError,
    ShareSessionLimitReachedError,
    GroupDeletionFailedError,
    StreamsTopologyDescriptionUpdateFailedError,
    ControllerIdNotRegisteredError,
)


class UnknownErrorCodeError(UnknownServerError):
    """A code this table does not know (a newer broker's). Java maps such codes to
    ``UNKNOWN_SERVER_ERROR`` (``Errors.forCode``); this class does too but keeps the code that was
    actually received in ``code``."""

    def __init__(self, code: int, message: str | None = None) -> None:
        super().__init__(message)
        self.code = code

    def __reduce__(self) -> tuple[type[UnknownErrorCodeError], tuple[int, str | None]]:
        return (type(self), (self.code, self.args[0] if self.args else None))

    def __str__(self) -> str:
        return f"unknown error code {self.code}: {self.message}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code}, {self.message!r})"


#: Every known error code (``NONE`` excluded) mapped to its class.
ERROR_CLASSES: Mapping[int, type[KafkaError]] = MappingProxyType(
    {cls.code: cls for cls in _ALL_ERRORS}
)


def error_class_for_code(code: int) -> type[KafkaError] | None:
    """The class for ``code``, or None when the code is unknown or 0 (``NONE``)."""
    return ERROR_CLASSES.get(code)


def error_for_code(code: int, message: str | None = None) -> KafkaError:
    """The typed error for a non-zero ``code``, with the broker's ``message`` when it sent one.

    Unknown codes give an ``UnknownErrorCodeError`` (a subclass of ``UnknownServerError``) that
    keeps ``code``. Code 0 is success and has no error: asking for it is a ``ValueError``.
    """
    cls = ERROR_CLASSES.get(code)
    if cls is not None:
        return cls(message)
    if code == NONE_CODE:
        raise ValueError("error code 0 (NONE) is success, not an error")
    return UnknownErrorCodeError(code, message)


def raise_for_code(code: int, message: str | None = None) -> None:
    """Raise the typed error for ``code``; return quietly for 0 (``NONE``)."""
    if code != NONE_CODE:
        raise error_for_code(code, message)
