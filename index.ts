/**
 * Twined's public library API: `import { … } from "twined"`. Every name is listed here on purpose, and
 * test/public-api.exports.txt holds the list a test checks, so none appears or disappears unnoticed. What is not here
 * (adapters, ports, the control plane, helpers) is internal and may change at any time.
 */

// Asking services questions.
export {
  type Answer,
  type AskMultipleOptions,
  type AskOptions,
  type AskResult,
  Child,
  type ChildOptions,
  DEFAULT_ASK_TIMEOUT_SECONDS,
  DEFAULT_MAXIMUM_HEARTBEAT_INTERVAL_SECONDS,
} from "./shared/client/child.js";
export {
  DEFAULT_NETWORK_URL,
  type DeadLetterReplay,
  type DeadLetterSummary,
  type FollowUpdate,
  type IdentityToken,
  NetworkClient,
  type QuestionSummary,
  type StreamedEvent,
} from "./shared/client/network-client.js";
export { PubSubTransport, type PubSubTransportOptions } from "./shared/client/pubsub-transport.js";
export type { QuestionTransport } from "./shared/client/question-transport.js";
// A service's configuration (octue.yaml) and the checks `twined service validate` makes.
export {
  DEFAULT_SERVICE_CONFIGURATION_FILE,
  type LoadServiceConfigurationOptions,
  loadServiceConfiguration,
  parseServiceConfiguration,
} from "./shared/config/load-service-configuration.js";
export type {
  ChildConfiguration,
  ConfigurationWarning,
  ConfiguredData,
  LoadedServiceConfiguration,
  ServiceConfiguration,
  ServiceRegistry,
} from "./shared/config/service-configuration.js";
// Errors a caller of the above can meet, each a TwinedError carrying its domain key.
export {
  NonRetryableError,
  type SourceLocation,
  TwinedError,
  type TwinedErrorOptions,
} from "./shared/errors/base.js";
export { UnknownTopic } from "./shared/errors/bus-errors.js";
export { AnswerTimedOut, AskAborted, NetworkRequestFailed, RemoteException } from "./shared/errors/client-errors.js";
export { InvalidServiceConfiguration, ServiceConfigurationNotFound } from "./shared/errors/config-errors.js";
export { QuestionRejected, RevisionNotFound } from "./shared/errors/control-plane-errors.js";
export { InvalidEvent, InvalidSubscriptionFilter, MessageLimitExceeded } from "./shared/errors/event-errors.js";
export { InvalidServiceID } from "./shared/errors/identity-errors.js";
export { JsonSyntaxError } from "./shared/errors/json-errors.js";
export {
  ConfigurationManifestFileNotFound,
  ConfigurationValuesFileNotFound,
  CredentialNotFound,
  DuplicateKeyError,
  FolderNotFound,
  InputManifestFileNotFound,
  InputValuesFileNotFound,
  InvalidManifest,
  InvalidManifestContents,
  InvalidManifestJson,
  InvalidManifestType,
  InvalidMonitorMessage,
  InvalidSourceKindException,
  InvalidTwine,
  InvalidTwineContents,
  InvalidTwineJson,
  InvalidValues,
  InvalidValuesContents,
  InvalidValuesJson,
  OutputManifestFileNotFound,
  OutputValuesFileNotFound,
  SchemaError,
  SourceFileNotFound,
  StrandNotFound,
  TwineException,
  TwineFileNotFound,
  TwineTypeException,
  TwineValueException,
  TwineVersionConflict,
  UnknownStrand,
  UnresolvableSchemaReference,
} from "./shared/errors/twine-errors.js";
// The Octue event protocol.
export type {
  ChildAttributes,
  CommonAttributes,
  EventAttributes,
  ParentAttributes,
  SaveDiagnostics,
} from "./shared/events/attributes.js";
export {
  createQuestionAttributes,
  deriveResponseAttributes,
  type QuestionAttributeOptions,
} from "./shared/events/build-attributes.js";
export {
  decodeEvent,
  type EncodedEvent,
  type EncodeEventOptions,
  encodeEvent,
  type PushEnvelope,
  type ReceivedMessage,
} from "./shared/events/codec.js";
export type { ChildEventEnvelope, EventEnvelope, ParentEventEnvelope } from "./shared/events/envelope.js";
export type {
  CancellationEvent,
  ChildEvent,
  ChildOverride,
  DeliveryAcknowledgementEvent,
  Event,
  ExceptionEvent,
  HeartbeatEvent,
  JsonValue,
  LogRecord,
  LogRecordEvent,
  MonitorMessageEvent,
  ParentEvent,
  QuestionEvent,
  ResultEvent,
  SerialisedDatafile,
  SerialisedDataset,
  SerialisedManifest,
} from "./shared/events/event-bodies.js";
export {
  type ChildEventKind,
  EVENT_KINDS,
  type EventKind,
  type ParentEventKind,
  type SenderType,
} from "./shared/events/event-kinds.js";
export { PUBSUB_LIMITS } from "./shared/events/message-limits.js";
export { validateEvent } from "./shared/events/validate-event.js";
// Service and revision identities.
export { createServiceRevisionId, generateRevisionTag } from "./shared/identity/generated-names.js";
export {
  answerSubscriptionName,
  pubSubResourceNameProblem,
  serviceIdFromPubSubForm,
  toPubSubForm,
} from "./shared/identity/pubsub-names.js";
export {
  type RuntimeIdentity,
  type RuntimeIdentityInputs,
  resolveRuntimeIdentity,
} from "./shared/identity/runtime-identity.js";
export {
  formatServiceId,
  isServiceRevisionId,
  type ParseServiceIdOptions,
  parseServiceId,
  type ServiceId,
  type ServiceRevisionId,
} from "./shared/identity/service-id.js";
// Twines and the data they validate.
export { type ParseJsonOptions, parseJson } from "./shared/json/parse-json.js";
export { isQuestionStatus, isTerminal, QUESTION_STATUSES, type QuestionStatus } from "./shared/questions/index.js";
export {
  type CheckServiceOptions,
  checkService,
  type ServiceCheck,
  type ServiceProblem,
} from "./shared/service/index.js";
// Google Pub/Sub subscription filters, as Octue's parents and services write them.
export {
  type AttributeEquals,
  type AttributeHasPrefix,
  type AttributeNotEquals,
  attributeEquals,
  attributeHasPrefix,
  attributeNotEquals,
  type Conjunction,
  type Disjunction,
  type FilterCondition,
  type FilterExpression,
  type FilterNode,
  filterAnd,
  filterNot,
  filterOr,
  type HasAttribute,
  hasAttribute,
  type MatchAll,
  type Negation,
} from "./shared/subscription-filter/filter-ast.js";
export { formatSubscriptionFilter } from "./shared/subscription-filter/format-filter.js";
export { matchesFilter } from "./shared/subscription-filter/match-filter.js";
export { type ParseFilterOptions, parseSubscriptionFilter } from "./shared/subscription-filter/parse-filter.js";
export { answersToQuestionFilter, questionsForServiceFilter } from "./shared/subscription-filter/protocol-filters.js";
export type { CheckCredentialsOptions, CheckedCredentials, Environment } from "./shared/twine/credentials.js";
export { JsonSource, type LoadedJson, type LoadKind } from "./shared/twine/json-source.js";
export { type LoadTwineOptions, loadTwine } from "./shared/twine/load-twine.js";
export type { ManifestStrandName, SchemaStrandName, StrandName } from "./shared/twine/strands.js";
export {
  Twine,
  type TwineOptions,
  type ValidateFileTagsOptions,
  type ValidateOptions,
  type ValidateOutputsOptions,
} from "./shared/twine/twine.js";
export type {
  ChildSpec,
  CredentialSpec,
  DatasetSpec,
  ManifestStrand,
  StrandSources,
  ValidatedStrands,
} from "./shared/twine/twine-types.js";

export { TWINED_VERSION } from "./shared/version.js";
