// DescribeUserScramCredentials: which SCRAM mechanisms (and iteration counts) users have — never
// the salt or keys. Null or empty users: every user with a credential.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import { scramMechanismByName } from "../security/scram.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnCluster } from "../security/acl-authorizer.ts";

export const describeUserScramCredentialsHandler = defineHandler({
  apiKey: ApiKey.DescribeUserScramCredentials,
  versions: { min: 0, max: 0 },
  handle(context, request) {
    if (!allowedOnCluster(context, Operation.DESCRIBE)) {
      const errorCode = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
      return Promise.resolve({ throttleTimeMs: 0, errorCode, errorMessage: null, results: [] });
    }
    const store = context.broker.scramCredentials;
    const describe = (user: string) => ({
      user,
      errorCode: 0,
      errorMessage: null,
      credentialInfos: (store.describe(user) ?? []).map((c) => ({
        mechanism: scramMechanismByName(c.mechanism)?.code ?? 0,
        iterations: c.iterations,
      })),
    });
    const asked = request.users;
    if (asked === null || asked.length === 0) {
      return Promise.resolve({
        throttleTimeMs: 0,
        errorCode: 0,
        errorMessage: null,
        results: store.userNames().map(describe),
      });
    }
    const counts = new Map<string, number>();
    for (const u of asked) counts.set(u.name, (counts.get(u.name) ?? 0) + 1);
    const results = [...counts].map(([user, count]) => {
      if (count > 1) {
        return {
          user,
          errorCode: ErrorCode.DUPLICATE_RESOURCE,
          errorMessage: "Cannot describe SCRAM credentials for the same user twice in a single request",
          credentialInfos: [],
        };
      }
      if (store.describe(user) === undefined) {
        return {
          user,
          errorCode: ErrorCode.RESOURCE_NOT_FOUND,
          errorMessage: "Attempt to describe a user credential that does not exist",
          credentialInfos: [],
        };
      }
      return describe(user);
    });
    return Promise.resolve({ throttleTimeMs: 0, errorCode: 0, errorMessage: null, results });
  },
});
