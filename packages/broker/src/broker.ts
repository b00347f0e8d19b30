// A running broker: storage, producer ids, the network server and the metrics endpoint, started
// together and stopped cleanly. Usable in-process: `const broker = await startBroker({...})`.
import { createServer as createHttpServer } from "node:http";
import type { Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { resolveBrokerConfig } from "./config.ts";
import type { BrokerConfig } from "./config.ts";
import type { BrokerState } from "./context.ts";
import { GroupCoordinator } from "./coordinator/group-coordinator.ts";
import { LogGroupStore } from "./coordinator/group-store.ts";
import { TransactionCoordinator } from "./coordinator/transaction-coordinator.ts";
import { LogTxnStore } from "./coordinator/txn-store.ts";
import { systemScheduler } from "./coordinator/scheduler.ts";
import { createLogger } from "./logger.ts";
import type { Logger } from "./logger.ts";
import { Metrics } from "./metrics.ts";
import { ProducerIds } from "./producer-ids.ts";
import { startNetworkServer } from "./server.ts";
import type { NetworkServer } from "./server.ts";
import { ScramCredentialStore } from "./security/credential-store.ts";
import { AclStore } from "./security/acl-store.ts";
import { Authorizer } from "./security/acl-authorizer.ts";
import { ClientQuotas } from "./quotas/client-quotas.ts";
import { ClientQuotaStore } from "./quotas/quota-store.ts";
import { withPlaintextListener } from "./security/listeners.ts";
import type { OAuthBearerValidator } from "./security/oauthbearer.ts";
import { writeTxnMarker } from "./txn-markers.ts";
import type { StorageBackend } from "./storage/backend.ts";
import { MemoryFileBackend } from "./storage/memory-files.ts";
import { NodeFileBackend } from "./storage/node-files.ts";
import { LogManager } from "./storage/log-manager.ts";
import { systemClock } from "./storage/log-config.ts";

export interface StartBrokerOptions {
  /** Settings by Kafka name (e.g. `{"num.partitions": "3"}`), applied over the defaults. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Shortcuts for the most common settings. */
  readonly dataDir?: string;
  /** `host:port`; port 0 picks a free port. Default 127.0.0.1:9092. */
  readonly listen?: string;
  readonly advertise?: string;
  /** Keep everything in memory (tests, embedded use): nothing touches the disk. */
  readonly inMemory?: boolean;
  readonly logger?: Logger;
  /**
   * Validates OAUTHBEARER tokens on every listener that enables the mechanism, in place of Kafka's
   * unsecured JWS validator (the default). It resolves to the principal's name (and the token's
   * expiry, which bounds the session) or throws an OAuthBearerValidationError to refuse the token.
   */
  readonly oauthBearerValidator?: OAuthBearerValidator;
}

export interface RunningBroker {
  /** `host:port` clients should bootstrap from. */
  readonly bootstrap: string;
  readonly port: number;
  /** Every listener by name with the address it is bound to (`host:port`). */
  readonly listeners: ReadonlyMap<string, string>;
  readonly config: BrokerConfig;
  readonly clusterId: string;
  /** `http://host:port` of /metrics and /health, when enabled. */
  readonly metricsUrl: string | undefined;
  readonly logs: LogManager;
  /** Stops accepting connections, flushes and closes the storage cleanly. */
  close(): Promise<void>;
}

export async function startBroker(options: StartBrokerOptions = {}): Promise<RunningBroker> {
  const shortcuts: Record<string, string> = {};
  if (options.dataDir !== undefined) shortcuts["log.dirs"] = options.dataDir;
  // `listen` / `advertise` set the PLAINTEXT listener; other configured listeners stay.
  if (options.listen !== undefined) {
    shortcuts["listeners"] = withPlaintextListener(options.settings?.["listeners"], options.listen);
  }
  if (options.advertise !== undefined) {
    shortcuts["advertised.listeners"] = withPlaintextListener(
      options.settings?.["advertised.listeners"],
      options.advertise,
    );
  }
  const config = resolveBrokerConfig(options.settings ?? {}, shortcuts);
  const logger = options.logger ?? createLogger({ level: config.logLevel });
  const backend: StorageBackend = options.inMemory === true ? new MemoryFileBackend() : new NodeFileBackend();
  const dataDir = options.inMemory === true ? "/samsa" : config.dataDir;
  const started = Date.now();
  const {
    manager: logs,
    truncatedBytes,
    recoveredLogs,
  } = await LogManager.open({
    backend,
    dataDir,
    durability: config.durability,
    defaults: config.logDefaults,
    openFilesMax: config.openFilesMax,
    cleaner: {
      keyMapEntriesMax: config.cleanerKeysMax,
      ...(config.cleanerIoBytesPerSecondMax === undefined
        ? {}
        : { ioBytesPerSecondMax: config.cleanerIoBytesPerSecondMax }),
    },
  });
  if (recoveredLogs > 0)
    logger.log("warn", "recovered after an unclean shutdown", { logs: recoveredLogs, truncatedBytes });
  logs.startBackgroundTasks({
    retentionCheckIntervalMs: config.retentionCheckIntervalMs,
    checkpointIntervalMs: config.checkpointIntervalMs,
    cleanerBackoffMs: config.cleanerBackoffMs,
  });
  const producerIds = await ProducerIds.open({ backend, dataDir });
  const scramCredentials = await ScramCredentialStore.open({ backend, dataDir });
  const authorizer = new Authorizer(await AclStore.open({ backend, dataDir }), config.authorizer);
  const quotas = new ClientQuotas({
    store: await ClientQuotaStore.open({ backend, dataDir }),
    rate: config.quotaWindow,
    clock: systemClock,
  });
  const groups = config.groupCoordinator;
  const groupCoordinator = new GroupCoordinator({
    config: groups,
    store: new LogGroupStore({
      logs,
      partitions: groups.offsetsTopicPartitions,
      segmentBytes: groups.offsetsTopicSegmentBytes,
      loadBufferBytes: groups.offsetsLoadBufferBytes,
      clock: systemClock,
      logger,
    }),
    clock: systemClock,
    scheduler: systemScheduler,
    logger,
    topics: logs,
  });
  // Loads __consumer_offsets in the background; group requests get COORDINATOR_LOAD_IN_PROGRESS meanwhile.
  const txnConfig = config.transactions;
  const transactionCoordinator = new TransactionCoordinator({
    config: txnConfig,
    store: new LogTxnStore({
      logs,
      partitions: txnConfig.stateLogPartitions,
      segmentBytes: txnConfig.stateLogSegmentBytes,
      loadBufferBytes: txnConfig.stateLogLoadBufferBytes,
      clock: systemClock,
      logger,
    }),
    allocateProducerId: () => producerIds.allocate(),
    writeMarker: (topic, partition, marker) =>
      writeTxnMarker({ logs, groupCoordinator, clock: systemClock }, topic, partition, marker),
    clock: systemClock,
    scheduler: systemScheduler,
    logger,
  });
  // Loads __transaction_state in the background (after the groups, whose pending offsets the
  // resumed transactions' markers complete); transaction requests get COORDINATOR_LOAD_IN_PROGRESS meanwhile.
  const loadTransactions = (): Promise<void> => transactionCoordinator.load();
  void groupCoordinator.load().then(loadTransactions, loadTransactions);
  const metrics = new Metrics();
  const closing = new AbortController();
  const advertised = {
    host: config.advertise?.host ?? config.listen.host,
    port: config.advertise?.port ?? config.listen.port,
  };
  const state: BrokerState = {
    config,
    logs,
    clock: systemClock,
    logger,
    metrics,
    producerIds,
    groupCoordinator,
    transactionCoordinator,
    scramCredentials,
    authorizer,
    quotas,
    advertised,
    closing: closing.signal,
  };
  // One server per listener. Requests see the advertised address of the listener they came in
  // on (Metadata, FindCoordinator, DescribeCluster answer it); the first listener's is `advertised`.
  const servers: NetworkServer[] = [];
  try {
    for (const [i, listener] of config.listeners.entries()) {
      const listenerAdvertised =
        i === 0
          ? advertised
          : { host: listener.advertised?.host ?? listener.host, port: listener.advertised?.port ?? listener.port };
      const server = await startNetworkServer({
        host: listener.host,
        port: listener.port,
        broker: i === 0 ? state : { ...state, advertised: listenerAdvertised },
        listener,
        credentials: scramCredentials,
        oauthBearerValidator: options.oauthBearerValidator,
      });
      servers.push(server);
      // With port 0 the real port is known only now; advertise it unless told otherwise.
      if (listener.advertised === undefined) listenerAdvertised.port = server.address.port;
    }
  } catch (error) {
    for (const s of servers) await s.close();
    await transactionCoordinator.close();
    await groupCoordinator.close();
    await logs.close();
    throw error;
  }
  const network = servers[0];
  if (network === undefined) throw new Error("no listener started");
  let http: HttpServer | undefined;
  let metricsUrl: string | undefined;
  if (config.metricsListen !== undefined) {
    http = createHttpServer((req, res) => {
      if (req.url === "/metrics") {
        const partitions = logs.allLogs().map((l) => ({
          topic: l.topic,
          partition: l.partition,
          sizeBytes: l.sizeBytes,
          logStartOffset: l.logStartOffset,
          logEndOffset: l.logEndOffset,
          highWatermark: l.highWatermark,
        }));
        res.writeHead(200, { "content-type": "text/plain; version=0.0.4" }).end(metrics.render(partitions));
      } else if (req.url === "/health") {
        res
          .writeHead(200, { "content-type": "application/json" })
          .end(JSON.stringify({ status: "ok", clusterId: logs.clusterId }));
      } else res.writeHead(404).end();
    });
    const listen = config.metricsListen;
    await new Promise<void>((resolve, reject) => {
      http?.once("error", reject);
      http?.listen({ host: listen.host, port: listen.port }, () => resolve());
    });
    const a = http.address() as AddressInfo;
    metricsUrl = `http://${listen.host}:${a.port}`;
  }
  logger.log("info", "broker started", {
    listen: `${network.address.host}:${network.address.port}`,
    listeners: config.listeners
      .map((l, i) => `${l.name}://${servers[i]?.address.host}:${servers[i]?.address.port}`)
      .join(","),
    advertised: `${advertised.host}:${advertised.port}`,
    dataDir: options.inMemory === true ? "(memory)" : config.dataDir,
    durability: config.durability.mode,
    startupMs: Date.now() - started,
  });
  let closed: Promise<void> | undefined;
  return {
    bootstrap: `${advertised.host}:${advertised.port}`,
    port: network.address.port,
    listeners: new Map(config.listeners.map((l, i) => [l.name, `${l.host}:${servers[i]?.address.port ?? l.port}`])),
    config,
    clusterId: logs.clusterId,
    metricsUrl,
    logs,
    close() {
      closed ??= (async () => {
        closing.abort();
        for (const s of servers) await s.close();
        if (http !== undefined) await new Promise<void>((resolve) => http?.close(() => resolve()));
        await transactionCoordinator.close();
        await groupCoordinator.close();
        await logs.close();
        logger.log("info", "broker stopped", {});
      })();
      return closed;
    },
  };
}
