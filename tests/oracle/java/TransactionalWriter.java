// Interop peer for the consumer's read_committed proof: Kafka's own producer writes transactions
// into one partition, committed and aborted interleaved, with plain (non-transactional) records
// from a second producer in between. Usage:
//   TransactionalWriter <bootstrap> <topic> <transactions> <records per transaction>
// Transaction t commits when t % 3 != 1 and aborts otherwise. Values are "c<t>-<i>" for records
// of committed transactions, "a<t>-<i>" for aborted ones and "p<t>" for the plain record written
// after each transaction. Prints one line per committed or plain value, in write order, so the
// test knows exactly what read_committed must show.
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public final class TransactionalWriter {
    public static void main(String[] args) throws Exception {
        String bootstrap = args[0];
        String topic = args[1];
        int transactions = Integer.parseInt(args[2]);
        int perTransaction = Integer.parseInt(args[3]);
        Properties tx = new Properties();
        tx.put("bootstrap.servers", bootstrap);
        tx.put("transactional.id", "kafkaproto-txn-writer-" + topic);
        tx.put("key.serializer", StringSerializer.class.getName());
        tx.put("value.serializer", StringSerializer.class.getName());
        Properties plain = new Properties();
        plain.put("bootstrap.servers", bootstrap);
        plain.put("key.serializer", StringSerializer.class.getName());
        plain.put("value.serializer", StringSerializer.class.getName());
        StringBuilder out = new StringBuilder();
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(tx);
             KafkaProducer<String, String> other = new KafkaProducer<>(plain)) {
            producer.initTransactions();
            for (int t = 0; t < transactions; t++) {
                boolean commit = t % 3 != 1;
                producer.beginTransaction();
                for (int i = 0; i < perTransaction; i++) {
                    String value = (commit ? "c" : "a") + t + "-" + i;
                    producer.send(new ProducerRecord<>(topic, 0, "k" + t, value));
                    if (commit) out.append(value).append('\n');
                }
                producer.flush();
                if (commit) producer.commitTransaction(); else producer.abortTransaction();
                other.send(new ProducerRecord<>(topic, 0, null, "p" + t)).get();
                out.append('p').append(t).append('\n');
            }
        }
        System.out.print(out);
    }
}
