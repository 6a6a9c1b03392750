/*
 * The Java oracle: Kafka's own generated message classes (kafka-clients) answering questions about
 * bytes and JSON, so kafkaproto's generated code can be checked against the real thing.
 *
 * ONE long-lived JVM: it reads JSON-lines cases on stdin and writes exactly one JSON line per case on
 * stdout, in order, so thousands of cases cost one JVM start. Output is flushed whenever no further
 * input is already waiting, so a client may pipeline (write many lines, then read many) or go one at a
 * time; clients must write whole lines. A bad case never stops the harness: every failure becomes
 * {"id": <id>, "ok": false, "error": "<exception class>: <message>"}. stderr is for diagnostics only.
 * Compiled with the other oracle programs of tests/oracle/java by `make oracle` into build/oracle,
 * and run by tests/oracle/harness.py.
 *
 * CASES (one JSON object per line; "id" is any JSON value and is echoed back unchanged)
 *   {"id":1,"op":"ping"}
 *       -> {"id":1,"ok":true,"kafka_version":"4.4.0"}
 *   {"id":2,"op":"json_to_bytes","spec":"ProduceRequest","version":9,"json":{...}}
 *       build the message with <Class>JsonConverter.read(json, version), serialize it
 *       -> {"id":2,"ok":true,"hex":"..."}
 *   {"id":3,"op":"bytes_roundtrip","spec":"ProduceRequest","version":9,"hex":"..."}
 *       read with new <Class>(new ByteBufferAccessor(buf), version); every input byte must be consumed
 *       (otherwise an error naming the leftover count); serialize again -> {"ok":true,"hex":"..."}
 *   {"id":4,"op":"bytes_to_json","spec":"...","version":N,"hex":"...","serialize_records":true}
 *       -> {"ok":true,"json":<Class>JsonConverter.write(obj, version, serialize_records)}
 *       serialize_records defaults to true, as in Kafka's one-argument write().
 *   {"id":5,"op":"json_to_json","spec":"...","version":N,"json":{...}}
 *       read(json) then write(obj, version, true): Kafka's normal form of a JSON document.
 *   {"id":6,"op":"partition","keys_hex":["00ff",...],"partitions":N}
 *       -> {"ok":true,"partitions":[Utils.toPositive(Utils.murmur2(key)) % N, ...]}
 *   {"id":7,"op":"header_versions"}
 *       -> {"ok":true,"apis":[{"api_key","name","in_api_keys","listeners",
 *            "lowest","highest","highest_stable","latest_version_unstable",
 *            "lowest_deprecated","highest_deprecated",
 *            "versions":[{"version","request_header","response_header"},...]},...]}
 *       one entry per ApiMessageType; highest includes unstable versions, highest_stable does not.
 *   {"id":8,"op":"run","program":"ErrorsOracle","args":["..."],"input":"..."}
 *       runs the main() of one of the small oracle programs beside this file in this JVM, with
 *       System.in reading "input" (default empty) and System.out captured
 *       -> {"ok":true,"stdout":"..."}
 *
 * "spec" is the JSON spec's "name". The class is org.apache.kafka.common.message.<name>Data when it
 * exists, else org.apache.kafka.common.message.<name> (data specs such as LeaderChangeMessage,
 * ConsumerProtocolAssignment, VotersRecord, DefaultPrincipalData are generated without a "Data"
 * suffix), or the fully qualified class name when "spec" contains a dot. The converter is the class
 * name + "JsonConverter". The version must lie within the class's lowest..highest supported versions
 * (highest includes unstable versions). Serialization is size() then write() into a buffer of exactly
 * that size; a disagreement between the two is reported as an error.
 *
 * KAFKA'S JSON CONVENTIONS (read from the generated *JsonConverter classes and MessageUtil; the
 * kafkaproto to_json/from_json must match them):
 *   - keys are the spec field names with the first letter lower-cased ("throttleTimeMs", "apiKeys",
 *     "timeoutMs"); no other renaming.
 *   - write() emits only the fields present in the given version. A tagged field is omitted when it
 *     holds its default (empty array, -1, null, false ...); a non-tagged field is always written.
 *     Unknown tagged fields are never written.
 *   - int8/int16/int32/uint16 are JSON numbers; int64 and uint32 are JSON numbers too (not strings).
 *     On read, a JSON string is rejected for integers; a non-integral number is accepted only when its
 *     text parses as an integer, and "0x.." hex text is accepted through the same path.
 *   - bool: JSON true/false; read rejects anything else.
 *   - float64: a JSON number. read() requires a floating-point JSON token: 1.0 is accepted, 1 is NOT.
 *     NaN and +/-Infinity become DoubleNode values that a default Jackson writer prints as the
 *     strings "NaN", "Infinity", "-Infinity"; Kafka cannot read those strings back as float64.
 *     This harness reads input with ALLOW_NON_NUMERIC_NUMBERS, so bare NaN/Infinity tokens (what
 *     Python's json.dumps writes) are accepted, and writes output with Jackson's defaults.
 *   - uuid: Uuid.toString(), i.e. the 16 bytes in URL-safe base64 without padding (22 characters,
 *     alphabet A-Z a-z 0-9 - _); the all-zero uuid is "AAAAAAAAAAAAAAAAAAAAAA".
 *   - bytes: Jackson's default base64 variant (MIME without line feeds): standard alphabet + / with
 *     '=' padding. Null bytes/strings/arrays/structs are JSON null.
 *   - records: write(obj, v, true) emits an EMPTY binary, i.e. "" (the record bytes are not kept);
 *     write(obj, v, false) emits "<fieldName>SizeInBytes": <int> in place of the field instead.
 *     read() takes base64 bytes (or null) and wraps them as MemoryRecords, unparsed.
 *   - read() needs every non-tagged field that exists in the version; fields of other versions and
 *     tagged fields may be absent (defaults used). Keys present but unknown are ignored. Writing a
 *     non-default value for a non-ignorable field the version lacks throws UnsupportedVersionException.
 *
 * Deliberately plain Java 17 with Jackson (which kafka-clients' converters already use); no other
 * dependencies.
 */

import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import org.apache.kafka.common.message.ApiMessageType;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.Message;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.protocol.Readable;
import org.apache.kafka.common.utils.Utils;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.Properties;

public final class Harness {
    private static final String MESSAGE_PACKAGE = "org.apache.kafka.common.message.";
    private static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
        .build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final HexFormat HEX = HexFormat.of();

    /** Thrown for a case that is malformed (missing keys, unknown op); reported like any failure. */
    private static final class BadCase extends RuntimeException {
        private static final long serialVersionUID = 1L;

        BadCase(String message) {
            super(message);
        }
    }

    /** One message class with its reflective entry points, resolved once per spec name. */
    private static final class Codec {
        final Class<?> type;
        final Constructor<?> fromReadable;
        final Method jsonRead;
        final Method jsonWrite;
        final short lowest;
        final short highest;

        Codec(Class<?> type) throws ReflectiveOperationException {
            this.type = type;
            this.fromReadable = type.getConstructor(Readable.class, short.class);
            Class<?> converter = Class.forName(type.getName() + "JsonConverter");
            this.jsonRead = converter.getMethod("read", JsonNode.class, short.class);
            this.jsonWrite = converter.getMethod("write", type, short.class, boolean.class);
            Message sample = (Message) type.getConstructor().newInstance();
            this.lowest = sample.lowestSupportedVersion();
            this.highest = sample.highestSupportedVersion();
        }

        short checkVersion(int version) {
            if (version < lowest || version > highest) {
                throw new BadCase(type.getSimpleName() + " has no version " + version
                    + " (supported " + lowest + "-" + highest + ")");
            }
            return (short) version;
        }
    }

    private final Map<String, Codec> codecs = new HashMap<>();

    public static void main(String[] args) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        BufferedWriter out = new BufferedWriter(
            new OutputStreamWriter(System.out, StandardCharsets.UTF_8), 1 << 16);
        Harness harness = new Harness();
        String line;
        while ((line = in.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            out.write(harness.answer(line));
            out.write('\n');
            // Flush once the input that is already here has been answered: pipelined batches are
            // written in large chunks, a lone case is answered at once.
            if (!in.ready()) {
                out.flush();
            }
        }
        out.flush();
    }

    /** One input line to one output line; never throws. */
    String answer(String line) {
        JsonNode id = NullNode.instance;
        ObjectNode reply;
        try {
            JsonNode request = MAPPER.readTree(line);
            if (request == null || !request.isObject()) {
                throw new BadCase("a case must be a JSON object");
            }
            id = request.path("id");
            if (id.isMissingNode()) {
                id = NullNode.instance;
            }
            reply = dispatch(request);
        } catch (Throwable t) { // a bad case must never stop the harness
            reply = NODES.objectNode();
            reply.put("ok", false);
            reply.put("error", describe(t));
        }
        ObjectNode framed = NODES.objectNode();
        framed.set("id", id);
        framed.setAll(reply);
        try {
            return MAPPER.writeValueAsString(framed);
        } catch (IOException e) {
            return "{\"id\":null,\"ok\":false,\"error\":\"cannot write reply: " + e + "\"}";
        }
    }

    private static String describe(Throwable t) {
        while (t instanceof InvocationTargetException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof BadCase) {
            return "BadCase: " + t.getMessage();
        }
        return t.getClass().getName() + ": " + t.getMessage();
    }

    private ObjectNode dispatch(JsonNode request) throws Exception {
        String op = text(request, "op");
        ObjectNode reply = NODES.objectNode();
        reply.put("ok", true);
        switch (op) {
            case "ping" -> reply.put("kafka_version", kafkaVersion());
            case "json_to_bytes" -> {
                Codec codec = codec(request);
                short version = codec.checkVersion(integer(request, "version"));
                reply.put("hex", HEX.formatHex(encode(fromJson(codec, request, version), version)));
            }
            case "bytes_roundtrip" -> {
                Codec codec = codec(request);
                short version = codec.checkVersion(integer(request, "version"));
                reply.put("hex", HEX.formatHex(encode(decode(codec, request, version), version)));
            }
            case "bytes_to_json" -> {
                Codec codec = codec(request);
                short version = codec.checkVersion(integer(request, "version"));
                boolean records = request.path("serialize_records").asBoolean(true);
                reply.set("json", toJson(codec, decode(codec, request, version), version, records));
            }
            case "json_to_json" -> {
                Codec codec = codec(request);
                short version = codec.checkVersion(integer(request, "version"));
                reply.set("json", toJson(codec, fromJson(codec, request, version), version, true));
            }
            case "partition" -> reply.set("partitions", partition(request));
            case "header_versions" -> reply.set("apis", headerVersions());
            case "run" -> reply.put("stdout", runProgram(request));
            default -> throw new BadCase("unknown op '" + op + "'");
        }
        return reply;
    }

    // -- cases -----------------------------------------------------------------------------------

    /** Runs a program's main() with System.in/System.out redirected; the harness's own streams were
     *  taken before, so its protocol is untouched. */
    private static String runProgram(JsonNode request) throws Exception {
        Method main = Class.forName(text(request, "program")).getMethod("main", String[].class);
        JsonNode argsNode = request.path("args");
        String[] args = new String[argsNode.size()];
        for (int i = 0; i < args.length; i++) {
            args[i] = argsNode.get(i).asText();
        }
        byte[] input = request.path("input").asText("").getBytes(StandardCharsets.UTF_8);
        InputStream oldIn = System.in;
        PrintStream oldOut = System.out;
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        try (PrintStream out = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
            System.setIn(new ByteArrayInputStream(input));
            System.setOut(out);
            main.invoke(null, (Object) args);
        } finally {
            System.setIn(oldIn);
            System.setOut(oldOut);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    private Codec codec(JsonNode request) throws ReflectiveOperationException {
        String spec = text(request, "spec");
        Codec codec = codecs.get(spec);
        if (codec == null) {
            codec = new Codec(resolve(spec));
            codecs.put(spec, codec);
        }
        return codec;
    }

    private static Class<?> resolve(String spec) throws ClassNotFoundException {
        if (spec.contains(".")) {
            return Class.forName(spec);
        }
        try {
            return Class.forName(MESSAGE_PACKAGE + spec + "Data");
        } catch (ClassNotFoundException e) {
            try {
                return Class.forName(MESSAGE_PACKAGE + spec);
            } catch (ClassNotFoundException e2) {
                throw new ClassNotFoundException("no message class for spec '" + spec + "' (tried "
                    + MESSAGE_PACKAGE + spec + "Data and " + MESSAGE_PACKAGE + spec + ")");
            }
        }
    }

    private static Message fromJson(Codec codec, JsonNode request, short version) throws Exception {
        JsonNode json = request.get("json");
        if (json == null) {
            throw new BadCase("missing 'json'");
        }
        return (Message) codec.jsonRead.invoke(null, json, version);
    }

    private static Message decode(Codec codec, JsonNode request, short version) throws Exception {
        ByteBuffer buffer = ByteBuffer.wrap(HEX.parseHex(text(request, "hex")));
        Message message = (Message) codec.fromReadable.newInstance(new ByteBufferAccessor(buffer), version);
        if (buffer.hasRemaining()) {
            throw new BadCase(buffer.remaining() + " of " + buffer.limit() + " bytes left over after reading "
                + codec.type.getSimpleName() + " v" + version);
        }
        return message;
    }

    private static byte[] encode(Message message, short version) {
        ObjectSerializationCache cache = new ObjectSerializationCache();
        int size = message.size(cache, version);
        ByteBuffer buffer = ByteBuffer.allocate(size);
        message.write(new ByteBufferAccessor(buffer), cache, version);
        if (buffer.hasRemaining()) {
            throw new IllegalStateException("size() said " + size + " bytes but write() wrote "
                + buffer.position());
        }
        return buffer.array();
    }

    private static JsonNode toJson(Codec codec, Message message, short version, boolean records)
            throws Exception {
        return (JsonNode) codec.jsonWrite.invoke(null, message, version, records);
    }

    private static ArrayNode partition(JsonNode request) {
        int partitions = integer(request, "partitions");
        if (partitions <= 0) {
            throw new BadCase("'partitions' must be positive");
        }
        JsonNode keys = request.get("keys_hex");
        if (keys == null || !keys.isArray()) {
            throw new BadCase("missing array 'keys_hex'");
        }
        ArrayNode result = NODES.arrayNode(keys.size());
        for (JsonNode key : keys) {
            byte[] bytes = HEX.parseHex(key.asText());
            result.add(Utils.toPositive(Utils.murmur2(bytes)) % partitions);
        }
        return result;
    }

    private static ArrayNode headerVersions() {
        ArrayNode apis = NODES.arrayNode();
        for (ApiMessageType type : ApiMessageType.values()) {
            ObjectNode api = NODES.objectNode();
            api.put("api_key", type.apiKey());
            api.put("name", type.name);
            api.put("in_api_keys", ApiKeys.hasId(type.apiKey()));
            ArrayNode listeners = api.putArray("listeners");
            type.listeners().forEach(listener -> listeners.add(listener.name()));
            short lowest = type.lowestSupportedVersion();
            short highest = type.highestSupportedVersion(true);
            api.put("lowest", lowest);
            api.put("highest", highest);
            api.put("highest_stable", type.highestSupportedVersion(false));
            api.put("latest_version_unstable", type.latestVersionUnstable());
            api.put("lowest_deprecated", type.lowestDeprecatedVersion());
            api.put("highest_deprecated", type.highestDeprecatedVersion());
            ArrayNode versions = api.putArray("versions");
            for (short v = lowest; v <= highest; v++) {
                ObjectNode entry = versions.addObject();
                entry.put("version", v);
                entry.put("request_header", type.requestHeaderVersion(v));
                entry.put("response_header", type.responseHeaderVersion(v));
            }
            apis.add(api);
        }
        return apis;
    }

    // -- small helpers ---------------------------------------------------------------------------

    /** The version kafka-clients was built as; the file its own AppInfoParser reads. */
    private static String kafkaVersion() throws IOException {
        Properties props = new Properties();
        try (InputStream stream = Message.class.getResourceAsStream("/kafka/kafka-version.properties")) {
            if (stream == null) {
                return "unknown";
            }
            props.load(stream);
        }
        return props.getProperty("version", "unknown");
    }

    private static String text(JsonNode request, String key) {
        JsonNode node = request.get(key);
        if (node == null || !node.isTextual()) {
            throw new BadCase("missing string '" + key + "'");
        }
        return node.asText();
    }

    private static int integer(JsonNode request, String key) {
        JsonNode node = request.get(key);
        if (node == null || !node.canConvertToInt() || !node.isIntegralNumber()) {
            throw new BadCase("missing integer '" + key + "'");
        }
        return node.asInt();
    }
}
