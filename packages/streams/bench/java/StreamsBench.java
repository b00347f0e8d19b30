// The Kafka Streams side of packages/streams/bench/streams.bench.ts: the same topologies as
// streams-app.ts (Samsa Streams), with the same settings, measured the same way. Prints one JSON line.
//
// Usage: java -cp <classes>:<kafka-streams libs>/* StreamsBench --topology map-filter|windowed-count|stream-table-join [--table TOPIC]
//   --bootstrap HOST:PORT --input TOPIC --output TOPIC --records N --application-id ID --state-dir DIR
//   [--commit-interval-ms 1000] [--store in-memory|persistent] [--window-ms 60000] [--timeout-ms 600000]
//
// Settings (the harness gives Samsa Streams the same): at_least_once, one stream thread, no record
// cache (statestore.cache.max.bytes=0: every update is emitted, as Samsa Streams, which has no cache),
// DSL stores in memory unless --store persistent (then RocksDB, Kafka's default), Kafka Streams'
// defaults otherwise. A peek right after the source counts input records: the clock and the process
// CPU time are read at the first record and at the N-th, so JVM start, group join and close are not
// in the figure (they are reported apart).
import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.WindowedSerdes;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;

public final class StreamsBench {
  /** What map-filter keeps: values (upper-cased) whose action is click or buy. */
  static final String KEEP_CLICK = "\"ACTION\":\"CLICK\"";

  static final String KEEP_BUY = "\"ACTION\":\"BUY\"";

  /** Counts input records; only the stream thread calls record(), the main thread waits on done. */
  static final class Progress {
    final long target;
    final OperatingSystemMXBean os =
        (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    final CountDownLatch done = new CountDownLatch(1);
    long count;
    long firstNs;
    long firstCpuNs;
    long lastNs;
    long lastCpuNs;

    Progress(long target) {
      this.target = target;
    }

    void record() {
      if (count == 0) {
        firstNs = System.nanoTime();
        firstCpuNs = os.getProcessCpuTime();
      }
      count++;
      if (count == target) {
        lastNs = System.nanoTime();
        lastCpuNs = os.getProcessCpuTime();
        done.countDown();
      }
    }
  }

  static Map<String, String> parseArgs(String[] args) {
    Map<String, String> out = new HashMap<>();
    for (int i = 0; i < args.length; i += 2) {
      if (!args[i].startsWith("--") || i + 1 >= args.length) {
        throw new IllegalArgumentException("expected --name value pairs, got " + args[i]);
      }
      out.put(args[i].substring(2), args[i + 1]);
    }
    return out;
  }

  static String required(Map<String, String> opts, String name) {
    String value = opts.get(name);
    if (value == null) throw new IllegalArgumentException("--" + name + " is required");
    return value;
  }

  static Topology build(
      String topology, String input, String output, String table, long windowMs, Progress progress) {
    StreamsBuilder builder = new StreamsBuilder();
    KStream<String, String> source =
        builder
            .stream(input, Consumed.with(Serdes.String(), Serdes.String()))
            .peek((k, v) -> progress.record());
    switch (topology) {
      case "map-filter":
        source
            .mapValues(v -> v.toUpperCase(Locale.ROOT))
            .filter((k, v) -> v.contains(KEEP_CLICK) || v.contains(KEEP_BUY))
            .to(output, Produced.with(Serdes.String(), Serdes.String()));
        break;
      case "windowed-count":
        Serde<Windowed<String>> windowedKey =
            WindowedSerdes.timeWindowedSerdeFrom(String.class, windowMs);
        source
            .groupByKey(Grouped.with(Serdes.String(), Serdes.String()))
            .windowedBy(TimeWindows.ofSizeWithNoGrace(Duration.ofMillis(windowMs)))
            .count()
            .toStream()
            .to(output, Produced.with(windowedKey, Serdes.Long()));
        break;
      case "stream-table-join":
        KTable<String, String> profiles = builder.table(table, Consumed.with(Serdes.String(), Serdes.String()));
        source
            .join(profiles, (event, profile) -> "{\"event\":" + event + ",\"profile\":" + profile + "}")
            .to(output, Produced.with(Serdes.String(), Serdes.String()));
        break;
      default:
        throw new IllegalArgumentException("unknown topology " + topology);
    }
    return builder.build();
  }

  public static void main(String[] args) throws Exception {
    long mainNs = System.nanoTime();
    Map<String, String> opts = parseArgs(args);
    String topology = required(opts, "topology");
    long records = Long.parseLong(required(opts, "records"));
    long timeoutMs = Long.parseLong(opts.getOrDefault("timeout-ms", "600000"));
    long windowMs = Long.parseLong(opts.getOrDefault("window-ms", "60000"));
    String store = opts.getOrDefault("store", "in-memory");

    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, required(opts, "application-id"));
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, required(opts, "bootstrap"));
    props.put(StreamsConfig.STATE_DIR_CONFIG, required(opts, "state-dir"));
    props.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.AT_LEAST_ONCE);
    props.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
    props.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, Long.parseLong(opts.getOrDefault("commit-interval-ms", "1000")));
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0L);
    switch (store) {
      case "in-memory":
        props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
        break;
      case "persistent":
        props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, BuiltInDslStoreSuppliers.RocksDBDslStoreSuppliers.class);
        break;
      default:
        throw new IllegalArgumentException("--store: in-memory or persistent, got " + store);
    }

    Progress progress = new Progress(records);
    KafkaStreams streams =
        new KafkaStreams(
            build(
                topology,
                required(opts, "input"),
                required(opts, "output"),
                opts.getOrDefault("table", ""),
                windowMs,
                progress),
            props);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    streams.setUncaughtExceptionHandler(
        error -> {
          failure.compareAndSet(null, error);
          progress.done.countDown();
          return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
        });
    streams.start();
    boolean finished = progress.done.await(timeoutMs, TimeUnit.MILLISECONDS);
    long closeStartNs = System.nanoTime();
    // close() flushes the producer and commits: what is left of the work, reported apart.
    streams.close(Duration.ofSeconds(60));
    long closeEndNs = System.nanoTime();
    long closeEndCpuNs = progress.os.getProcessCpuTime();
    if (failure.get() != null) {
      System.err.println("StreamsBench: the stream thread failed: " + failure.get());
      System.exit(1);
    }
    if (!finished) {
      System.err.println(
          "StreamsBench: processed " + progress.count + " of " + records + " records in " + timeoutMs + " ms");
      System.exit(1);
    }
    System.out.println(
        String.format(
            Locale.ROOT,
            "{\"framework\":\"kafka-streams\",\"topology\":\"%s\",\"records\":%d,\"elapsedMs\":%.3f,"
                + "\"cpuMs\":%.3f,\"startToFirstMs\":%.3f,\"processStartToFirstMs\":%d,\"closeMs\":%.3f,"
                + "\"throughCloseMs\":%.3f,\"throughCloseCpuMs\":%.3f}",
            topology,
            records,
            (progress.lastNs - progress.firstNs) / 1e6,
            (progress.lastCpuNs - progress.firstCpuNs) / 1e6,
            (progress.firstNs - mainNs) / 1e6,
            // From JVM start (what a user waits for), not only from main().
            ManagementFactory.getRuntimeMXBean().getUptime()
                - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - progress.firstNs),
            (closeEndNs - closeStartNs) / 1e6,
            // First record to the end of close(): the output flushed and the offsets committed.
            (closeEndNs - progress.firstNs) / 1e6,
            (closeEndCpuNs - progress.firstCpuNs) / 1e6));
    System.exit(0);
  }
}
