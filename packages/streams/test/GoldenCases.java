// Shared by the golden generators (JoinGolden, TableJoinGolden, WindowGolden; compiled with each by
// golden-generate.sh): reads the `case … end` blocks of cases.txt, writes each case's lines between
// `case <id>` and `end` into expected.txt, and the TopologyTestDriver settings they all run with.
import java.nio.file.*;
import java.util.*;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;

public final class GoldenCases {
  private GoldenCases() {}

  /** Runs one case: its head line's words and its body lines' words; appends its output lines. */
  public interface CaseRunner {
    void run(String[] head, List<String[]> body, StringBuilder out) throws Exception;
  }

  public static void run(String casesFile, String expectedFile, CaseRunner runner) throws Exception {
    List<String> lines = Files.readAllLines(Path.of(casesFile));
    StringBuilder result = new StringBuilder();
    int i = 0;
    while (i < lines.size()) {
      String line = lines.get(i++).trim();
      if (line.isEmpty() || line.startsWith("#")) continue;
      String[] head = line.split(" ");
      List<String[]> body = new ArrayList<>();
      while (!lines.get(i).trim().equals("end")) body.add(lines.get(i++).trim().split(" "));
      i++;
      result.append("case ").append(head[1]).append('\n');
      runner.run(head, body, result);
      result.append("end\n");
    }
    Files.writeString(Path.of(expectedFile), result.toString());
  }

  /** Application "app", in-memory stores, caching off: every update is forwarded and logged. */
  public static Properties driverProperties() {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "app");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "dummy:9092");
    props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class);
    return props;
  }
}
