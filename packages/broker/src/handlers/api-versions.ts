// ApiVersions: the APIs and versions this broker serves, straight from the handler registry.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { advertisedApis } from "./index.ts";

export const apiVersionsHandler = defineHandler({
  apiKey: ApiKey.ApiVersions,
  versions: { min: 0, max: 4 },
  handle(context, request) {
    // v3+ clients name themselves; Kafka validates the names' characters.
    const valid = /^[a-zA-Z0-9](?:[a-zA-Z0-9\-.]*[a-zA-Z0-9])?$/;
    if (
      context.apiVersion >= 3 &&
      (!valid.test(request.clientSoftwareName) || !valid.test(request.clientSoftwareVersion))
    ) {
      return Promise.resolve({ errorCode: ErrorCode.INVALID_REQUEST, apiKeys: advertisedApis() });
    }
    return Promise.resolve({ errorCode: 0, apiKeys: advertisedApis(), throttleTimeMs: 0 });
  },
});
