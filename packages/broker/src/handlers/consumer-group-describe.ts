// ConsumerGroupDescribe (KIP-848): epochs, assignor, members with their subscriptions, current
// and target assignments of consumer groups. Unknown and classic groups are GROUP_ID_NOT_FOUND.
import { ApiKey, ErrorCode } from "@samsa/protocol";
import { operationsNotRequested } from "../authorized-operations.ts";
import { defineHandler } from "../context.ts";
import { Operation, ResourceType } from "../security/acl.ts";
import { allowedOnGroup, authorizedOperations } from "../security/acl-authorizer.ts";

const { READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS } = Operation;
/** What Kafka 4.4 reports for a group without an authorizer (groups have configs since KIP-848). */
const consumerGroupOperations = [READ, DELETE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS].reduce(
  (set, op) => set | (1 << op),
  0,
);

export const consumerGroupDescribeHandler = defineHandler({
  apiKey: ApiKey.ConsumerGroupDescribe,
  // Kafka 4.4 serves 0-1; v1 is newer than this protocol layer.
  versions: { min: 0, max: 0 },
  handle(context, request) {
    // DESCRIBE on each group (security/acl-authorizer.ts); a refused one is answered empty.
    const mayDescribe = (group: string): boolean => allowedOnGroup(context, Operation.DESCRIBE, group);
    const described = context.broker.groupCoordinator
      .consumerGroupDescribe(request.groupIds.filter(mayDescribe))
      .concat(
        request.groupIds
          .filter((g) => !mayDescribe(g))
          .map((groupId) => ({
            groupId,
            errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED,
            errorMessage: null,
            group: undefined,
          })),
      );
    return Promise.resolve({
      throttleTimeMs: 0,
      groups: described.map((d) => {
        const g = d.group;
        return {
          errorCode: d.errorCode,
          errorMessage: d.errorMessage,
          groupId: d.groupId,
          groupState: g?.groupState ?? "",
          groupEpoch: g?.groupEpoch ?? 0,
          assignmentEpoch: g?.assignmentEpoch ?? 0,
          assignorName: g?.assignorName ?? "",
          members: g?.members ?? [],
          authorizedOperations:
            g !== undefined && request.includeAuthorizedOperations
              ? authorizedOperations(context, ResourceType.GROUP, d.groupId, consumerGroupOperations)
              : operationsNotRequested,
        };
      }),
    });
  },
});
