// IncrementalAlterConfigs: SET, DELETE, APPEND and SUBTRACT (the last two for list settings such as
// cleanup.policy) on a topic's overrides; validateOnly checks without applying. BROKER changes are
// refused as in AlterConfigs (no dynamic broker configs), and so are logger level changes.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import type {
  IncrementalAlterConfigsRequestAlterableConfig,
  IncrementalAlterConfigsResponseAlterConfigsResourceResponse,
  Input,
} from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { BrokerState } from "../context.ts";
import { describeTopicConfig, topicConfigDefinition } from "../storage/topic-config.ts";
import { alterTopicConfigs, brokerChangeError, nullValuesError, preprocessError } from "./alter-configs.ts";
import { brokerNameError, ConfigResourceType } from "./describe-configs.ts";
import type { ResourceError } from "./describe-configs.ts";
import { Operation } from "../security/acl.ts";
import { configsDenied } from "../security/acl-authorizer.ts";

/** Kafka's AlterConfigOp.OpType codes. */
const OpType = { SET: 0, DELETE: 1, APPEND: 2, SUBTRACT: 3 } as const;

type Op = IncrementalAlterConfigsRequestAlterableConfig;

/** Applies the operations to a topic's current overrides, as Kafka's controller does. */
function applyOps(
  broker: BrokerState,
  current: Readonly<Record<string, string>>,
  ops: readonly Op[],
): { configs: Record<string, string> } | ResourceError {
  const next: Record<string, string> = { ...current };
  for (const op of ops) {
    switch (op.configOperation) {
      case OpType.SET:
        next[op.name] = op.value ?? "";
        break;
      case OpType.DELETE:
        delete next[op.name];
        break;
      case OpType.APPEND:
      case OpType.SUBTRACT: {
        if (topicConfigDefinition(op.name)?.type !== "LIST") {
          return {
            errorCode: ErrorCode.INVALID_CONFIG,
            errorMessage: `Can't ${op.configOperation === OpType.APPEND ? "APPEND" : "SUBTRACT"} to key ${op.name} because its type is not LIST.`,
          };
        }
        // Without an override the list starts from the inherited value (the broker's default).
        const base = next[op.name] ?? describeTopicConfig(broker.logs.defaults)[op.name] ?? "";
        const parts = base.split(",").filter((p) => p !== "");
        for (const item of (op.value ?? "").split(",")) {
          if (op.configOperation === OpType.APPEND) {
            if (!parts.includes(item)) parts.push(item);
          } else {
            const at = parts.indexOf(item);
            if (at >= 0) parts.splice(at, 1);
          }
        }
        next[op.name] = parts.join(",");
        break;
      }
      default:
        return { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unknown config operation ${op.configOperation}` };
    }
  }
  return { configs: next };
}

export const incrementalAlterConfigsHandler = defineHandler({
  apiKey: ApiKey.IncrementalAlterConfigs,
  versions: { min: 0, max: 1 },
  async handle(context, request) {
    const { broker } = context;
    const responses: Input<IncrementalAlterConfigsResponseAlterConfigsResourceResponse>[] = [];
    for (const [index, resource] of request.resources.entries()) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      const error = await (async (): Promise<ResourceError | undefined> => {
        const invalid = preprocessError(
          request.resources,
          index,
          resource.configs.map((c) => c.name),
        );
        if (invalid !== undefined) return invalid;
        const denied = configsDenied(context, Operation.ALTER_CONFIGS, resource.resourceType, resource.resourceName);
        if (denied !== undefined) return denied;
        const nulls = nullValuesError(
          resource.configs.filter((c) => c.configOperation !== OpType.DELETE && c.value === null).map((c) => c.name),
        );
        if (nulls !== undefined) return nulls;
        switch (resource.resourceType) {
          case ConfigResourceType.TOPIC:
            return alterTopicConfigs(broker, {
              name: resource.resourceName,
              validateOnly: request.validateOnly,
              next: (current) => applyOps(broker, current, resource.configs),
            });
          case ConfigResourceType.BROKER:
            // Nothing is set dynamically, so deleting a dynamic setting changes nothing and succeeds.
            return brokerChangeError(
              broker,
              resource.resourceName,
              resource.configs.filter((c) => c.configOperation !== OpType.DELETE).map((c) => c.name),
            );
          case ConfigResourceType.BROKER_LOGGER: {
            const invalidName = brokerNameError(broker, resource.resourceName, false);
            if (invalidName !== undefined || resource.configs.length === 0) return invalidName;
            return {
              errorCode: ErrorCode.INVALID_REQUEST,
              errorMessage: "Samsa cannot change logger levels at runtime; set samsa.log.level and restart",
            };
          }
          default:
            // Group and client-metrics configs do not exist in Samsa yet; other codes are not resource types.
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
