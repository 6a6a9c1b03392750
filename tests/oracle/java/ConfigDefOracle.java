// Java oracle for kafkaproto.config: prints the definitions of one client's ConfigDef (a class
// with a static configDef(), e.g. org.apache.kafka.clients.producer.ProducerConfig), one key a line:
//   name<TAB>type<TAB>importance<TAB>default<TAB>validator
// with the default and validator as Java prints them (<none> for a required key).
import java.lang.reflect.Method;
import org.apache.kafka.common.config.ConfigDef;

public final class ConfigDefOracle {
    public static void main(String[] args) throws Exception {
        Method configDef = Class.forName(args[0]).getMethod("configDef");
        ConfigDef def = (ConfigDef) configDef.invoke(null);
        StringBuilder out = new StringBuilder();
        for (ConfigDef.ConfigKey key : def.configKeys().values()) {
            String dflt = key.hasDefault() ? String.valueOf(key.defaultValue) : "<none>";
            out.append(key.name).append('\t').append(key.type).append('\t').append(key.importance)
                .append('\t').append(dflt).append('\t').append(key.validator).append('\n');
        }
        System.out.print(out);
    }
}
