// Java oracle for kafkaproto.partitioner's keyed path: reads one hex-encoded key per line on stdin
// and prints, per key, Utils.murmur2(key) followed by Utils.toPositive(murmur2) % n for every
// partition count n given as an argument, tab-separated.
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import org.apache.kafka.common.utils.Utils;

public final class Murmur2Oracle {
    public static void main(String[] args) throws Exception {
        int[] counts = new int[args.length];
        for (int i = 0; i < args.length; i++) counts[i] = Integer.parseInt(args[i]);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.US_ASCII));
        StringBuilder out = new StringBuilder();
        HexFormat hex = HexFormat.of();
        for (String line = in.readLine(); line != null; line = in.readLine()) {
            byte[] key = hex.parseHex(line.trim());
            int hash = Utils.murmur2(key);
            out.append(hash);
            for (int n : counts) out.append('\t').append(Utils.toPositive(hash) % n);
            out.append('\n');
        }
        System.out.print(out);
    }
}
