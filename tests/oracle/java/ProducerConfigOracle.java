// Java oracle for kafkaproto.producer.config: reads one case per line on stdin (tab-separated
// key=value settings; an empty line is no settings) and prints, per case, either
//   ERROR<TAB><ConfigException message>
// or OK followed by key=value for every key named in the arguments, as the 4.4 producer would use
// them: ProducerConfig's parsed and post-processed values, then the checks of KafkaProducer's
// constructor (configureDeliveryTimeout, RecordAccumulator.PartitionerConfig), called through
// reflection because they are private.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.internals.RecordAccumulator;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class ProducerConfigOracle {
    public static void main(String[] keys) throws Exception {
        Method deliveryTimeout = KafkaProducer.class.getDeclaredMethod(
            "configureDeliveryTimeout", ProducerConfig.class, Logger.class);
        deliveryTimeout.setAccessible(true);
        Logger log = LoggerFactory.getLogger(ProducerConfigOracle.class);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            Map<String, Object> props = new HashMap<>();
            // Serializers are required in Java and have no Python counterpart.
            props.put("key.serializer", ByteArraySerializer.class);
            props.put("value.serializer", ByteArraySerializer.class);
            if (!line.isEmpty()) {
                for (String item : line.split("\t")) {
                    int eq = item.indexOf('=');
                    props.put(item.substring(0, eq), item.substring(eq + 1));
                }
            }
            try {
                ProducerConfig config = new ProducerConfig(props);
                int delivery;
                try {
                    delivery = (Integer) deliveryTimeout.invoke(null, config, log);
                } catch (InvocationTargetException e) {
                    throw e.getCause();
                }
                new RecordAccumulator.PartitionerConfig(
                    config.getBoolean("partitioner.adaptive.partitioning.enable"),
                    config.getLong(ProducerConfig.PARTITIONER_AVAILABILITY_TIMEOUT_MS_CONFIG),
                    config.getBoolean(ProducerConfig.PARTITIONER_RACK_AWARE_CONFIG),
                    config.getString(ProducerConfig.CLIENT_RACK_CONFIG));
                out.append("OK");
                for (String key : keys) {
                    Object value = key.equals(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG)
                        ? delivery : config.values().get(key);
                    if (value instanceof List<?> list) value = String.join(",", list.stream().map(String::valueOf).toList());
                    out.append('\t').append(key).append('=').append(value);
                }
            } catch (ConfigException e) {
                out.append("ERROR\t").append(e.getMessage().replace('\t', ' ').replace('\n', ' '));
            } catch (Throwable e) {
                out.append("THROWN\t").append(e);
            }
            out.append('\n');
        }
        System.out.print(out);
    }
}
