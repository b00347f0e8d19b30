// AlterConfigs (the legacy, whole-set API): replaces a topic's config overrides with the given
// set; validateOnly checks without applying. Samsa has no dynamic broker configs, so a BROKER
// resource with settings is refused with INVALID_REQUEST — Kafka's answer for broker settings that
// cannot change at runtime. Also the topic-alteration steps IncrementalAlterConfigs shares.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type { AlterConfigsResponseResourceResponse, Input } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { BrokerState } from "../context.ts";
import { TopicError } from "../storage/log-manager.ts";
import type { LogManager } from "../storage/log-manager.ts";
import { applyTopicConfigs } from "../storage/topic-config.ts";
import { errorCodeOf } from "../topics.ts";
import { brokerNameError, ConfigResourceType } from "./describe-configs.ts";
import type { ResourceError } from "./describe-configs.ts";
import { Operation } from "../security/acl.ts";
import { configsDenied } from "../security/acl-authorizer.ts";

/** Config changes per broker run one at a time, so a read-modify-write of overrides never interleaves. */
const changeQueues = new WeakMap<LogManager, Promise<unknown>>();

function serialized<T>(logs: LogManager, task: () => Promise<T>): Promise<T> {
  const previous = changeQueues.get(logs) ?? Promise.resolve();
  const result = previous.then(task);
  changeQueues.set(
    logs,
    result.catch(() => undefined),
  );
  return result;
}

/**
 * Changes a topic's overrides as Kafka's controller does: the name is checked, then the new set
 * (computed from the current one) is validated, then the topic must exist; validateOnly stops
 * before anything is written.
 */
export function alterTopicConfigs(
  broker: BrokerState,
  options: {
    readonly name: string;
    readonly validateOnly: boolean;
    readonly next: (current: Readonly<Record<string, string>>) => { configs: Record<string, string> } | ResourceError;
  },
): Promise<ResourceError | undefined> {
  return serialized(broker.logs, async () => {
    const { name } = options;
    if (name === "") {
      return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Default topic resources are not allowed." };
    }
    const invalidName = broker.logs.validateTopic(name, {});
    if (invalidName instanceof TopicError) {
      return { errorCode: errorCodeOf(invalidName), errorMessage: invalidName.message };
    }
    const topic = broker.logs.topic(name);
    const computed = options.next(topic?.configs ?? {});
    if ("errorCode" in computed) return computed;
    const next = computed.configs;
    const applied = applyTopicConfigs(broker.logs.defaults, next);
    if ("error" in applied) return { errorCode: ErrorCode.INVALID_CONFIG, errorMessage: applied.error.message };
    if (topic === undefined) {
      return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Unknown topic ${name}` };
    }
    if (options.validateOnly) return undefined;
    try {
      await broker.logs.setTopicConfigs(name, next);
    } catch (error) {
      if (error instanceof TopicError) return { errorCode: errorCodeOf(error), errorMessage: error.message };
      throw error;
    }
    broker.logger.log("info", "topic configs changed", { topic: name, configs: JSON.stringify(next) });
    return undefined;
  });
}

/** Kafka's checks before any resource is touched: each resource once, each key once per resource. */
export function preprocessError(
  resources: readonly { readonly resourceType: number; readonly resourceName: string }[],
  index: number,
  names: readonly string[],
): ResourceError | undefined {
  const resource = resources[index];
  const twice = resources.some(
    (r, i) => i !== index && r.resourceType === resource?.resourceType && r.resourceName === resource.resourceName,
  );
  if (twice) return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Each resource must appear at most once." };
  if (new Set(names).size !== names.length) {
    return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: "Error due to duplicate config keys" };
  }
  return undefined;
}

/** The answer for changes to BROKER resources: their settings are static in Samsa. */
/** Kafka's answer to settings given a null value where one is required. */
export function nullValuesError(names: readonly string[]): ResourceError | undefined {
  if (names.length === 0) return undefined;
  return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Null value not supported for : ${names.join(", ")}` };
}

export function brokerChangeError(
  broker: BrokerState,
  name: string,
  changed: readonly string[],
): ResourceError | undefined {
  const invalidName = brokerNameError(broker, name, true);
  if (invalidName !== undefined) return invalidName;
  if (changed.length === 0) return undefined;
  return {
    errorCode: ErrorCode.INVALID_REQUEST,
    errorMessage:
      `Cannot update these configs dynamically: ${changed.join(", ")} ` +
      "(Samsa has no dynamic broker configs; set them in the broker configuration and restart)",
  };
}

export const alterConfigsHandler = defineHandler({
  apiKey: ApiKey.AlterConfigs,
  versions: { min: 0, max: 2 },
  async handle(context, request) {
    const { broker } = context;
    const responses: Input<AlterConfigsResponseResourceResponse>[] = [];
    for (const [index, resource] of request.resources.entries()) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      const names = resource.configs.map((c) => c.name);
      const error = await (async (): Promise<ResourceError | undefined> => {
        const invalid = preprocessError(request.resources, index, names);
        if (invalid !== undefined) return invalid;
        const denied = configsDenied(context, Operation.ALTER_CONFIGS, resource.resourceType, resource.resourceName);
        if (denied !== undefined) return denied;
        const nulls = nullValuesError(resource.configs.filter((c) => c.value === null).map((c) => c.name));
        if (nulls !== undefined) return nulls;
        switch (resource.resourceType) {
          case ConfigResourceType.TOPIC:
            return alterTopicConfigs(broker, {
              name: resource.resourceName,
              validateOnly: request.validateOnly,
              // The legacy API replaces the whole set: settings not named lose their override.
              next: () => ({ configs: Object.fromEntries(resource.configs.map((c) => [c.name, c.value ?? ""])) }),
            });
          case ConfigResourceType.BROKER:
            return brokerChangeError(broker, resource.resourceName, names);
          default:
            // Loggers are IncrementalAlterConfigs-only in Kafka; group and client-metrics configs do not exist in Samsa yet.
            return {
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: `Unknown resource type ${resource.resourceType}`,
            };
        }
      })();
      responses.push({ ...base, errorCode: error?.errorCode ?? 0, errorMessage: error?.errorMessage ?? null });
    }
    return { throttleTimeMs: 0, responses };
  },
});
