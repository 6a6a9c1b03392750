// Java oracle for kafkaproto.consumer.assignors / sticky_assignor and the ConsumerProtocol bytes:
// reads one JSON case per line on stdin and prints one JSON line per case with the assignment
// Kafka's own assignor computes, the way ConsumerCoordinator.onLeaderElected calls it.
//
// A case: {"assignor": "range" | "roundrobin" | "sticky" | "cooperative-sticky",
//          "topics": {"t": [[rack or null, ...] per partition: its replicas' racks], ...},
//          "members": [{"id": "m1", "instance": "i1" | null,
//                       "subscription": hex of a version-prefixed ConsumerProtocolSubscription}]}
// Members are put into a HashMap in the order given, as the coordinator does with the JoinGroup
// members. The answer: {"assignment": {"m1": ["t-0", ...]}, "bytes": {"m1": hex of
// ConsumerProtocol.serializeAssignment}, "subscriptions": {"m1": {"topics": [...], "owned": [...],
// "generation": n | null, "rack": r | null}}} or {"error": "..."} when the assignor throws.
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.GroupSubscription;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.Cluster;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

public final class AssignorOracle {
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final HexFormat HEX = HexFormat.of();

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        StringBuilder out = new StringBuilder();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            if (line.isBlank()) continue;
            out.append(MAPPER.writeValueAsString(answer(MAPPER.readTree(line)))).append('\n');
        }
        System.out.print(out);
    }

    private static ConsumerPartitionAssignor assignor(String name) {
        switch (name) {
            case "range": return new RangeAssignor();
            case "roundrobin": return new RoundRobinAssignor();
            case "sticky": return new StickyAssignor();
            case "cooperative-sticky": return new CooperativeStickyAssignor();
            default: throw new IllegalArgumentException("unknown assignor " + name);
        }
    }

    private static Cluster cluster(JsonNode topics) {
        Map<String, Node> nodes = new HashMap<>();
        List<PartitionInfo> partitions = new ArrayList<>();
        for (Map.Entry<String, JsonNode> topic : topics.properties()) {
            int index = 0;
            for (JsonNode replicas : topic.getValue()) {
                List<Node> replicaNodes = new ArrayList<>();
                for (JsonNode rack : replicas) {
                    String key = rack.isNull() ? "" : rack.asText();
                    Node node = nodes.computeIfAbsent(key, k -> new Node(nodes.size(), "h", 1, rack.isNull() ? null : k));
                    replicaNodes.add(node);
                }
                Node[] array = replicaNodes.toArray(new Node[0]);
                partitions.add(new PartitionInfo(topic.getKey(), index++, array.length > 0 ? array[0] : null, array, array));
            }
        }
        return new Cluster("oracle", new ArrayList<>(nodes.values()), partitions, Collections.emptySet(), Collections.emptySet());
    }

    private static ObjectNode answer(JsonNode request) {
        ObjectNode reply = MAPPER.createObjectNode();
        try {
            ConsumerPartitionAssignor assignor = assignor(request.get("assignor").asText());
            Map<String, Subscription> subscriptions = new HashMap<>();
            ObjectNode decoded = reply.putObject("subscriptions");
            for (JsonNode member : request.get("members")) {
                String id = member.get("id").asText();
                Subscription subscription = ConsumerProtocol.deserializeSubscription(
                    ByteBuffer.wrap(HEX.parseHex(member.get("subscription").asText())));
                JsonNode instance = member.get("instance");
                subscription.setGroupInstanceId(instance == null || instance.isNull() ? Optional.empty() : Optional.of(instance.asText()));
                subscriptions.put(id, subscription);
                ObjectNode seen = decoded.putObject(id);
                ArrayNode topics = seen.putArray("topics");
                subscription.topics().forEach(topics::add);
                ArrayNode owned = seen.putArray("owned");
                subscription.ownedPartitions().forEach(tp -> owned.add(tp.toString()));
                if (subscription.generationId().isPresent()) seen.put("generation", subscription.generationId().get());
                else seen.putNull("generation");
                if (subscription.rackId().isPresent()) seen.put("rack", subscription.rackId().get());
                else seen.putNull("rack");
            }
            Map<String, Assignment> assignments =
                assignor.assign(cluster(request.get("topics")), new GroupSubscription(subscriptions)).groupAssignment();
            ObjectNode result = reply.putObject("assignment");
            ObjectNode bytes = reply.putObject("bytes");
            for (Map.Entry<String, Assignment> e : assignments.entrySet()) {
                ArrayNode list = result.putArray(e.getKey());
                for (TopicPartition tp : e.getValue().partitions()) list.add(tp.toString());
                ByteBuffer buffer = ConsumerProtocol.serializeAssignment(e.getValue());
                byte[] raw = new byte[buffer.remaining()];
                buffer.get(raw);
                bytes.put(e.getKey(), HEX.formatHex(raw));
            }
        } catch (RuntimeException e) {
            reply.removeAll();
            reply.put("error", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
        return reply;
    }
}
