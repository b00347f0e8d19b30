// The authorized-operations bit sets Metadata and the describe
// APIs report: the operations each resource type supports; with an authorizer the answer is the
// subset the principal may do (security/acl-authorizer.ts authorizedOperations).
import { Operation } from "./security/acl.ts";

function bits(...ops: number[]): number {
  return ops.reduce((set, op) => set | (1 << op), 0);
}

const {
  READ,
  WRITE,
  CREATE,
  DELETE,
  ALTER,
  DESCRIBE,
  CLUSTER_ACTION,
  DESCRIBE_CONFIGS,
  ALTER_CONFIGS,
  IDEMPOTENT_WRITE,
} = Operation;

export const topicOperations = bits(READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS);
export const groupOperations = bits(READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS);
export const clusterOperations = bits(
  CREATE,
  CLUSTER_ACTION,
  DESCRIBE_CONFIGS,
  ALTER_CONFIGS,
  IDEMPOTENT_WRITE,
  ALTER,
  DESCRIBE,
);

/** What a response says when the client did not ask for authorized operations. */
export const operationsNotRequested = -2147483648;
