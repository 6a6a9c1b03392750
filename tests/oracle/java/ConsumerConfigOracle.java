// Java oracle for kafkaproto.consumer.config: reads one case per line on stdin (tab-separated
// key=value settings; an empty line is no settings) and prints, per case, either
//   ERROR<TAB><exception message>
// or OK followed by key=value for every key named in the arguments, as the 4.4 consumer would use
// them: ConsumerConfig's parsed and post-processed values, after a KafkaConsumer was built from
// the same settings (its constructor's checks; it opens no connection until it is used).
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class ConsumerConfigOracle {
    public static void main(String[] keys) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            Map<String, Object> props = new HashMap<>();
            // Deserializers are required in Java and have no Python counterpart.
            props.put("key.deserializer", ByteArrayDeserializer.class);
            props.put("value.deserializer", ByteArrayDeserializer.class);
            if (!line.isEmpty()) {
                for (String item : line.split("\t")) {
                    int eq = item.indexOf('=');
                    props.put(item.substring(0, eq), item.substring(eq + 1));
                }
            }
            try {
                ConsumerConfig config = new ConsumerConfig(props);
                // Constructed: the constructor's checks passed; it opened nothing, close it.
                new KafkaConsumer<byte[], byte[]>(props).close();
                out.append("OK");
                for (String key : keys) {
                    Object value = config.values().get(key);
                    if (value instanceof List<?> list) value = String.join(",", list.stream().map(String::valueOf).toList());
                    out.append('\t').append(key).append('=').append(value);
                }
            } catch (KafkaException e) {
                Throwable cause = e;
                // KafkaConsumer wraps what its constructor hit in "Failed to construct kafka consumer".
                while (cause.getCause() != null && cause.getMessage() != null
                        && cause.getMessage().startsWith("Failed to construct")) {
                    cause = cause.getCause();
                }
                out.append("ERROR\t").append(String.valueOf(cause.getMessage()).replace('\t', ' ').replace('\n', ' '));
            } catch (Throwable e) {
                out.append("THROWN\t").append(e);
            }
            out.append('\n');
        }
        System.out.print(out);
    }
}
