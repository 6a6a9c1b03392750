// Kafka's Java producer sending N records of S bytes in transactions of T records each
// (commit every T records), as bench/producer.py's transactional part does for the Python
// clients: ProducerPerformance only commits by elapsed time (--transaction-duration-ms).
// Prints "<records> records in <seconds> s, <transactions> transactions". A measuring program:
// nothing imports it.
import java.util.Properties;
import java.util.UUID;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public final class TransactionalProducerBench {
    private TransactionalProducerBench() {}

    public static void main(String[] args) {
        String bootstrap = args[0];
        String topic = args[1];
        int records = Integer.parseInt(args[2]);
        int size = Integer.parseInt(args[3]);
        int perTransaction = Integer.parseInt(args[4]);
        Properties props = new Properties();
        props.put("bootstrap.servers", bootstrap);
        props.put("transactional.id", "bench-java-" + UUID.randomUUID());
        props.put("linger.ms", "5");
        props.put("key.serializer", ByteArraySerializer.class.getName());
        props.put("value.serializer", ByteArraySerializer.class.getName());
        byte[] value = new byte[size];
        java.util.Arrays.fill(value, (byte) 'x');
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(props)) {
            producer.initTransactions();
            long start = System.nanoTime();
            int transactions = 0;
            for (int i = 0; i < records; i += perTransaction) {
                producer.beginTransaction();
                int end = Math.min(records, i + perTransaction);
                for (int j = i; j < end; j++) {
                    producer.send(new ProducerRecord<>(topic, value));
                }
                producer.commitTransaction();
                transactions++;
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            System.out.printf("%d records in %.4f s, %d transactions%n", records, seconds, transactions);
        }
    }
}
