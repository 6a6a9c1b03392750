// Java oracle for kafkaproto.error_codes: prints one line per entry of kafka-clients'
// org.apache.kafka.common.protocol.Errors, tab-separated:
//   code, enum name, retriable (exception extends RetriableException),
//   invalid_metadata (exception extends InvalidMetadataException), default message.
// NONE has no exception, so both flags print as false and the message as empty.
import org.apache.kafka.common.errors.ApiException;
import org.apache.kafka.common.errors.InvalidMetadataException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.common.protocol.Errors;

public final class ErrorsOracle {
    public static void main(String[] args) {
        StringBuilder out = new StringBuilder();
        for (Errors error : Errors.values()) {
            ApiException exception = error.exception();
            boolean retriable = exception instanceof RetriableException;
            boolean invalidMetadata = exception instanceof InvalidMetadataException;
            String message = exception == null ? "" : error.message();
            out.append(error.code()).append('\t')
               .append(error.name()).append('\t')
               .append(retriable).append('\t')
               .append(invalidMetadata).append('\t')
               .append(message.replace('\t', ' ').replace('\n', ' ')).append('\n');
        }
        System.out.print(out);
    }
}
