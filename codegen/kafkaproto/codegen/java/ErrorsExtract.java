// The error table of the pinned kafka-clients jar, for kafkaproto's compiler (schemas.py runs
// this file with `java -cp <kafka-clients jar>:<slf4j-api jar> ErrorsExtract.java`). One line per
// entry of org.apache.kafka.common.protocol.Errors, tab-separated: code, enum name, retriable
// (its exception extends RetriableException), invalid_metadata (extends
// InvalidMetadataException), default message. NONE has no exception: false, false, "".
// It reads Kafka's own classes and prints; it decides nothing.
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidMetadataException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;

public final class ErrorsExtract {
    public static void main(String[] args) {
        StringBuilder out = new StringBuilder();
        for (Errors error : Errors.values()) {
            ApiException exception = error.exception();
            String message = exception == null ? "" : error.message();
            out.append(error.code()).append('\t')
               .append(error.name()).append('\t')
               .append(exception instanceof RetriableException).append('\t')
               .append(exception instanceof InvalidMetadataException).append('\t')
               .append(message.replace('\t', ' ').replace('\n', ' ')).append('\n');
        }
        System.out.print(out);
    }
}
