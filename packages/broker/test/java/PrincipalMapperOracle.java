// Differential oracle for ssl.principal.mapping.rules: Kafka's own SslPrincipalMapper (kafka-clients),
// java.util.regex and X500Principal (the DN the rules see), for
// packages/broker/test/security/principal-mapping-kafka.test.ts.
// Run in source-launcher mode: java -cp '<kafka libs>/*' PrincipalMapperOracle.java < cases
// Each input line is `id TAB mode TAB base64(a) TAB base64(b)`, UTF-8:
//   mode "rules": a = the rule list, b = a distinguished name; answers the principal name Kafka gives
//   mode "regex": a = a Java pattern, b = an input; answers whether the whole input matches and
//                 what replaceAll(input, "<$0>") gives
//   mode "name":  b = an X.500 Name's DER in hex; answers X500Principal.getName() (RFC 2253), the
//                 DN Kafka's principal builder maps
// Each output line is `id TAB outcome TAB base64(detail)`; outcome is ok, nomatch, parse (the rule
// list or pattern is refused), apply (an exception while mapping) or timeout (a regex case that
// backtracked for more than a second: the generator's fault, not a difference).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HexFormat;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.security.auth.x500.X500Principal;
import org.apache.kafka.common.security.ssl.SslPrincipalMapper;

public class PrincipalMapperOracle {
    static final PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);

    /** The input, failing every read once the deadline has passed (regex matching cannot be interrupted). */
    record Deadline(String text, long deadlineNanos) implements CharSequence {
        static final class Passed extends RuntimeException {}

        public char charAt(int i) {
            if (System.nanoTime() > deadlineNanos) throw new Passed();
            return text.charAt(i);
        }

        public int length() {
            return text.length();
        }

        public CharSequence subSequence(int start, int end) {
            return text.subSequence(start, end);
        }

        public String toString() {
            return text;
        }
    }

    static String decode(String b64) {
        return new String(Base64.getDecoder().decode(b64), StandardCharsets.UTF_8);
    }

    static void answer(String id, String outcome, String detail) {
        String encoded = Base64.getEncoder().encodeToString(detail.getBytes(StandardCharsets.UTF_8));
        out.println(id + "\t" + outcome + "\t" + encoded);
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.split("\t", -1);
            String id = f[0];
            String a = decode(f[2]);
            String b = decode(f[3]);
            if (f[1].equals("name")) {
                try {
                    answer(id, "ok", new X500Principal(HexFormat.of().parseHex(b)).getName());
                } catch (RuntimeException e) {
                    answer(id, "parse", String.valueOf(e.getMessage()));
                }
            } else if (f[1].equals("rules")) {
                SslPrincipalMapper mapper;
                try {
                    mapper = SslPrincipalMapper.fromRules(a);
                } catch (RuntimeException e) {
                    answer(id, "parse", String.valueOf(e.getMessage()));
                    continue;
                }
                try {
                    answer(id, "ok", mapper.getName(b));
                } catch (SslPrincipalMapper.NoMatchingRule e) {
                    answer(id, "nomatch", "");
                } catch (Exception e) {
                    answer(id, "apply", e.getClass().getSimpleName() + ": " + e.getMessage());
                }
            } else {
                Pattern pattern;
                try {
                    pattern = Pattern.compile(a);
                } catch (RuntimeException e) {
                    answer(id, "parse", String.valueOf(e.getMessage()));
                    continue;
                }
                try {
                    Matcher m = pattern.matcher(new Deadline(b, System.nanoTime() + 1_000_000_000L));
                    if (m.matches()) answer(id, "ok", m.replaceAll("<$0>"));
                    else answer(id, "nomatch", "");
                } catch (Deadline.Passed e) {
                    answer(id, "timeout", "");
                }
            }
        }
        out.flush();
    }
}
