// DescribeClientQuotas: Samsa enforces no client quotas, so every filter matches nothing. Served
// because kafka-configs --describe --entity-type users asks for quotas alongside SCRAM credentials.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";

/** Kafka's match types: exact name, the default entity, any entity. */
const matchTypes = new Set([0, 1, 2]);

export const describeClientQuotasHandler = defineHandler({
  apiKey: ApiKey.DescribeClientQuotas,
  versions: { min: 0, max: 1 },
  handle(_context, request) {
    const types = request.components.map((c) => c.entityType);
    const invalid = request.components.find(
      (c) => !matchTypes.has(c.matchType) || (c.matchType === 0 && c.match === null),
    );
    if (invalid !== undefined || new Set(types).size !== types.length) {
      return Promise.resolve({
        throttleTimeMs: 0,
        errorCode: ErrorCode.INVALID_REQUEST,
        errorMessage: invalid === undefined ? "Duplicate entity type in filter" : "Invalid match in filter",
        entries: null,
      });
    }
    return Promise.resolve({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, entries: [] });
  },
});
