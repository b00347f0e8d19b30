// Errors of building and running a topology, as Kafka Streams' TopologyException and
// StreamsException: a wrong topology fails when it is built or planned, with a message that names
// the nodes, topics or stores involved.

/** The topology is wrong (Kafka's TopologyException): unknown parents, duplicate names, topics not co-partitioned. */
export class TopologyError extends Error {
  override readonly name = "TopologyError";
  constructor(message: string, options?: ErrorOptions) {
    super(`Invalid topology: ${message}`, options);
  }
}

/** Processing a record failed (Kafka's StreamsException): says where, and carries the cause. */
export class ProcessingError extends Error {
  override readonly name = "ProcessingError";
}
