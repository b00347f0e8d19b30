// AlterUserScramCredentials: adds, replaces or deletes users' SCRAM credentials. The client sends
// the salt and the salted password (kafka-configs computes them); the broker keeps only StoredKey
// and ServerKey (security/credential-store.ts). As in a KRaft controller, a user may be named once
// per request (a second deletion or upsertion for it is DUPLICATE_RESOURCE and drops both); the
// valid alterations are applied together.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { defineHandler } from "../context.ts";
import type { ScramCredential, ScramMechanism } from "../security/scram.ts";
import {
  credentialFromSaltedPassword,
  scramIterationsMax,
  scramIterationsMin,
  scramMechanismByCode,
} from "../security/scram.ts";
import { Operation } from "../security/acl.ts";
import { allowedOnCluster } from "../security/acl-authorizer.ts";

interface Failure {
  readonly errorCode: number;
  readonly errorMessage: string;
}

const duplicate: Failure = {
  errorCode: ErrorCode.DUPLICATE_RESOURCE,
  errorMessage: "A user credential cannot be altered twice in the same request",
};

function validateUserAndMechanism(user: string, mechanism: ScramMechanism | undefined): Failure | undefined {
  if (user === "") return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: "Username must not be empty" };
  if (mechanism === undefined) {
    return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: "Unknown SCRAM mechanism" };
  }
  return undefined;
}

export const alterUserScramCredentialsHandler = defineHandler({
  apiKey: ApiKey.AlterUserScramCredentials,
  versions: { min: 0, max: 0 },
  async handle(context, request) {
    // ALTER on the cluster (security/acl-authorizer.ts): refused, every user named gets the error.
    if (!allowedOnCluster(context, Operation.ALTER)) {
      const users = new Set([...request.deletions, ...request.upsertions].map((u) => u.name));
      const errorCode = ErrorCode.CLUSTER_AUTHORIZATION_FAILED;
      return { throttleTimeMs: 0, results: [...users].map((user) => ({ user, errorCode, errorMessage: null })) };
    }
    const store = context.broker.scramCredentials;
    const deletions = new Map<string, ScramMechanism>();
    const upserts = new Map<string, { mechanism: ScramMechanism; credential: ScramCredential }>();
    const failures = new Map<string, Failure>();
    for (const d of request.deletions) {
      if (failures.has(d.name)) continue;
      if (deletions.delete(d.name)) {
        failures.set(d.name, duplicate);
        continue;
      }
      const mechanism = scramMechanismByCode(d.mechanism);
      const invalid = validateUserAndMechanism(d.name, mechanism);
      if (invalid !== undefined || mechanism === undefined) failures.set(d.name, invalid ?? duplicate);
      else if (store.get(d.name, mechanism.name) === undefined) {
        failures.set(d.name, {
          errorCode: ErrorCode.RESOURCE_NOT_FOUND,
          errorMessage: "Attempt to delete a user credential that does not exist",
        });
      } else deletions.set(d.name, mechanism);
    }
    for (const u of request.upsertions) {
      if (failures.has(u.name)) continue;
      if (deletions.delete(u.name) || upserts.delete(u.name)) {
        failures.set(u.name, duplicate);
        continue;
      }
      const mechanism = scramMechanismByCode(u.mechanism);
      const invalid = validateUserAndMechanism(u.name, mechanism);
      if (invalid !== undefined || mechanism === undefined) failures.set(u.name, invalid ?? duplicate);
      else if (u.iterations < scramIterationsMin) {
        failures.set(u.name, { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: "Too few iterations" });
      } else if (u.iterations > scramIterationsMax) {
        failures.set(u.name, { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: "Too many iterations" });
      } else {
        upserts.set(u.name, {
          mechanism,
          credential: credentialFromSaltedPassword(mechanism, u.saltedPassword, Uint8Array.from(u.salt), u.iterations),
        });
      }
    }
    await store.apply({
      deletions: [...deletions].map(([user, m]) => ({ user, mechanism: m.name })),
      upserts: [...upserts].map(([user, u]) => ({ user, mechanism: u.mechanism.name, credential: u.credential })),
    });
    const ok = (user: string) => ({ user, errorCode: 0, errorMessage: null });
    return {
      throttleTimeMs: 0,
      results: [
        ...[...deletions.keys()].map(ok),
        ...[...upserts.keys()].map(ok),
        ...[...failures].map(([user, f]) => ({ user, errorCode: f.errorCode, errorMessage: f.errorMessage })),
      ],
    };
  },
});
