// Exactly once (Kafka's EOS v2, KIP-447): one transactional producer per stream thread, and the
// commit step that ends its transaction. The transactional id is `<applicationId>-<processId>-1`
// (Kafka's `<application.id>-<process id>-<thread index>`; one thread per instance here), so a
// replacement thread of the same instance reuses it and its InitProducerId aborts whatever the
// old thread left open. Zombies are fenced by the group, not by the transactional id: the offsets
// go to the transaction with TxnOffsetCommit carrying the group generation and member id, which
// the coordinator refuses from a member the group has moved on from — so a zombie's transaction
// can never commit.
//
// Records are sent through the client library's transaction (it adds partitions to the
// transaction as they appear). A transaction begins with the first send after a commit (the
// library's begin is local; the broker learns of it with the first AddPartitionsToTxn). Commit:
// AddOffsetsToTxn (the library's addConsumer), then TxnOffsetCommit sent here on the group
// coordinator's connection — the library's addOffset takes one consumed message per call and no
// commit metadata — then EndTxn(commit).
import { Producer, txnOffsetCommitV4 } from "@platformatic/kafka";
import type { Consumer, MessageToProduce, ProduceResult } from "@platformatic/kafka";
import { StreamsError, errorMessage } from "./errors.ts";
import { kafkaErrorNames, migratedErrors, offsetsByTopic, withGroupCoordinator } from "./group-commit.ts";
import type { Committer, OffsetToCommit } from "./group-commit.ts";
import type { ResolvedOptions } from "./options.ts";

type ByteProducer = Producer;
/** The library's Transaction (not exported by name from its root). */
type ByteTransaction = Awaited<ReturnType<ByteProducer["beginTransaction"]>>;

/** Kafka Streams' transactional id for a thread of an instance under EOS v2. */
export function transactionalIdOf(applicationId: string, processId: string, threadIndex: number): string {
  return `${applicationId}-${processId}-${threadIndex}`;
}

/** True when `error` means the tasks moved (the group or a newer producer fenced this one). */
export function isMigratedError(error: unknown): boolean {
  if (error instanceof StreamsError && error.code === "TASK_MIGRATED") return true;
  for (const name of kafkaErrorNames(error)) if (migratedErrors.has(name)) return true;
  return false;
}

function asCommitError(error: unknown, what: string): StreamsError {
  if (error instanceof StreamsError) return error;
  if (isMigratedError(error))
    return new StreamsError("TASK_MIGRATED", `${what} fenced: ${errorMessage(error)}`, { cause: error });
  return new StreamsError("PROCESSING_FAILED", `${what} failed: ${errorMessage(error)}`, { cause: error });
}

export class StreamsTransactions implements Committer {
  readonly transactionalId: string;
  readonly #options: ResolvedOptions;
  readonly #clientId: string;
  readonly #consumer: Consumer;
  #producer: ByteProducer;
  /** The library's transaction: begun (InitProducerId done) but possibly unknown to the broker yet. */
  #transaction: ByteTransaction | undefined;
  /** Something went to the broker in the current transaction (records or offsets). */
  #open = false;
  #closed = false;

  constructor(options: {
    readonly options: ResolvedOptions;
    readonly clientId: string;
    readonly transactionalId: string;
    readonly consumer: Consumer;
  }) {
    this.#options = options.options;
    this.#clientId = options.clientId;
    this.#consumer = options.consumer;
    this.transactionalId = options.transactionalId;
    this.#producer = this.#createProducer();
  }

  /** True while a transaction has records or offsets the broker knows of. */
  get inTransaction(): boolean {
    return this.#open;
  }

  /** InitProducerId (fencing an earlier producer of this transactional id and aborting what it left open). */
  async init(): Promise<void> {
    await this.#begin();
  }

  /** Sends records in the current transaction (beginning one if needed). */
  async send(messages: MessageToProduce[]): Promise<ProduceResult> {
    const transaction = await this.#begin();
    this.#open = true;
    return transaction.send({ messages });
  }

  /**
   * Commits the transaction with the input offsets: nothing happens when no transaction is open
   * and no offset changed. Every offset of the running tasks goes with it (not only the changed
   * ones) so the group checks this member's generation before any transaction commits.
   */
  async commit(offsets: readonly OffsetToCommit[]): Promise<void> {
    if (!this.#open && !offsets.some((offset) => offset.changed)) return;
    const transaction = await this.#begin();
    this.#open = true;
    const consumer = this.#consumer;
    const memberId = consumer.memberId;
    if (memberId === null)
      throw new StreamsError("TASK_MIGRATED", "cannot commit: this instance is not a member of the group any more");
    const generationId = consumer.generationId;
    if (offsets.length > 0) {
      try {
        await transaction.addConsumer(consumer);
      } catch (error) {
        throw asCommitError(error, "adding the group's offsets to the transaction");
      }
      const producerId = this.#producer.producerId;
      const producerEpoch = this.#producer.producerEpoch;
      if (producerId === undefined || producerEpoch === undefined)
        throw new StreamsError("TASK_MIGRATED", "the transactional producer lost its producer id");
      const topics = offsetsByTopic(offsets);
      await withGroupCoordinator({
        consumer,
        topics: topics.map((topic) => topic.name),
        what: "committing offsets to the transaction",
        attemptsMax: 10,
        backoffMs: 100,
        operation: async (connection) => {
          await txnOffsetCommitV4.api.async(
            connection,
            this.transactionalId,
            consumer.groupId,
            producerId,
            producerEpoch,
            generationId,
            memberId,
            consumer.groupInstanceId,
            topics,
          );
        },
      });
    }
    try {
      await transaction.commit();
    } catch (error) {
      throw asCommitError(error, "committing the transaction");
    }
    this.#transaction = undefined;
    this.#open = false;
  }

  /**
   * Aborts the open transaction (best effort) and replaces the producer, whose next
   * InitProducerId bumps the epoch: sequence numbers start over and anything the broker still
   * holds open for this transactional id is aborted. Called when tasks close dirty.
   */
  async abort(): Promise<void> {
    await this.#abortOpen();
    const old = this.#producer;
    this.#transaction = undefined;
    this.#open = false;
    this.#producer = this.#createProducer();
    await this.#closeProducer(old);
    if (!this.#closed) await this.#begin();
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#abortOpen();
    await this.#closeProducer(this.#producer);
  }

  async #abortOpen(): Promise<void> {
    const transaction = this.#transaction;
    if (transaction === undefined || !this.#open) return;
    try {
      await transaction.abort();
    } catch (error) {
      // The coordinator aborts it on the next InitProducerId of this id, or after the timeout.
      this.#options.logger.log("warn", "aborting the transaction failed", {
        transactionalId: this.transactionalId,
        error: errorMessage(error),
      });
    }
    this.#transaction = undefined;
    this.#open = false;
  }

  async #begin(): Promise<ByteTransaction> {
    if (this.#closed) throw new StreamsError("ILLEGAL_STATE", "the transactional producer is closed");
    if (this.#transaction !== undefined) return this.#transaction;
    try {
      this.#transaction = await this.#producer.beginTransaction();
    } catch (error) {
      throw asCommitError(error, "initializing the transactional producer");
    }
    return this.#transaction;
  }

  #createProducer(): ByteProducer {
    const options = this.#options;
    const producer = new Producer({
      ...options.client,
      ...options.producer,
      clientId: this.#clientId,
      bootstrapBrokers: options.bootstrapBrokers,
      idempotent: true,
      acks: -1,
      autocreateTopics: false,
      transactionalId: this.transactionalId,
      // -1/-1: a plain InitProducerId (the library sends 0/0 otherwise, which Kafka refuses as
      // PRODUCER_FENCED for a transactional id that already has a producer).
      producerId: -1n,
      producerEpoch: -1,
      // The library sends its request timeout as the transaction timeout.
      timeout: options.transactionTimeoutMs,
    });
    producer.on("error", (error: unknown) =>
      options.logger.log("warn", "transactional producer error", { error: errorMessage(error) }),
    );
    return producer;
  }

  async #closeProducer(producer: ByteProducer): Promise<void> {
    try {
      await producer.close(true);
    } catch (error) {
      this.#options.logger.log("warn", "closing the transactional producer failed", { error: errorMessage(error) });
    }
  }
}
