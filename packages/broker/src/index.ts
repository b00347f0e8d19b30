// @samsa/broker: the single-node Kafka-compatible broker. Its public API: start one in-process,
// its configuration, and the storage engine for embedding and tests.
export { startBroker } from "./broker.ts";
export type { RunningBroker, StartBrokerOptions } from "./broker.ts";
export { ConfigError, parseProperties, resolveBrokerConfig, settingsFromEnv, brokerSettingDefaults } from "./config.ts";
export { parseJavaProperties, PropertiesError, propertiesBytesMax, propertiesEntriesMax } from "./properties.ts";
export type { BrokerConfig } from "./config.ts";
export { withPlaintextListener } from "./security/listeners.ts";
export type { ListenerConfig, SecurityProtocol } from "./security/listeners.ts";
export type { KafkaPrincipal } from "./security/principal.ts";
export { OAuthBearerValidationError } from "./security/oauthbearer.ts";
export type {
  OAuthBearerErrorStatus,
  OAuthBearerValidated,
  OAuthBearerValidationContext,
  OAuthBearerValidator,
} from "./security/oauthbearer.ts";
export { createLogger, silentLogger } from "./logger.ts";
export type { Logger, LogLevel } from "./logger.ts";
export { LogManager, TopicError } from "./storage/log-manager.ts";
export type { TopicMetadata } from "./storage/log-manager.ts";
export { MemoryFileBackend } from "./storage/memory-files.ts";
export { NodeFileBackend } from "./storage/node-files.ts";
