// A Java KafkaConsumer as a group member beside kafkaproto's in the group tests: subscribes to a
// topic and polls until "quit" arrives on stdin (then closes, leaving the group), printing one JSON
// line per rebalance listener call and per poll that returned records:
//   {"event": "assigned" | "revoked" | "lost", "partitions": ["t-0", ...], "assignment": [...]}
//   {"event": "records", "count": n}
//   {"event": "closed"}
// Arguments: bootstrap topic group protocol [key=value ...] (any consumer setting; protocol is
// group.protocol, classic or consumer). Runs as its own JVM (`java -cp <make oracle's class path>
// GroupMember ...`) because it lives as long as the test wants it to.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public final class GroupMember {
    private static volatile boolean quit = false;

    private static String json(String event, Collection<TopicPartition> partitions, Collection<TopicPartition> assignment) {
        StringBuilder out = new StringBuilder("{\"event\": \"").append(event).append("\", \"partitions\": [");
        appendList(out, partitions);
        out.append("], \"assignment\": [");
        appendList(out, assignment);
        return out.append("]}").toString();
    }

    private static void appendList(StringBuilder out, Collection<TopicPartition> partitions) {
        List<String> names = new ArrayList<>();
        for (TopicPartition tp : partitions) names.add(tp.toString());
        names.sort(null);
        for (int i = 0; i < names.size(); i++) {
            if (i > 0) out.append(", ");
            out.append('"').append(names.get(i)).append('"');
        }
    }

    private static synchronized void emit(String line) {
        System.out.println(line);
        System.out.flush();
    }

    public static void main(String[] args) throws Exception {
        Properties props = new Properties();
        props.put("bootstrap.servers", args[0]);
        String topic = args[1];
        props.put("group.id", args[2]);
        props.put("group.protocol", args[3]);
        props.put("key.deserializer", ByteArrayDeserializer.class.getName());
        props.put("value.deserializer", ByteArrayDeserializer.class.getName());
        props.put("auto.offset.reset", "earliest");
        for (int i = 4; i < args.length; i++) {
            int eq = args[i].indexOf('=');
            props.put(args[i].substring(0, eq), args[i].substring(eq + 1));
        }
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(props)) {
            Thread stdin = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                    for (String line = in.readLine(); line != null; line = in.readLine()) {
                        if (line.trim().equals("quit")) break;
                    }
                } catch (Exception e) {
                    // stdin closed: quit as well
                }
                quit = true;
                consumer.wakeup();
            });
            stdin.setDaemon(true);
            stdin.start();
            consumer.subscribe(List.of(topic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    emit(json("revoked", partitions, new ArrayList<>(consumer.assignment())));
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    emit(json("assigned", partitions, new ArrayList<>(consumer.assignment())));
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> partitions) {
                    emit(json("lost", partitions, new ArrayList<>(consumer.assignment())));
                }
            });
            emit("{\"event\": \"subscribed\"}");
            while (!quit) {
                try {
                    ConsumerRecords<byte[], byte[]> records = consumer.poll(Duration.ofMillis(200));
                    if (!records.isEmpty()) emit("{\"event\": \"records\", \"count\": " + records.count() + "}");
                } catch (WakeupException e) {
                    // quit
                }
            }
        }
        emit("{\"event\": \"closed\"}");
    }
}
