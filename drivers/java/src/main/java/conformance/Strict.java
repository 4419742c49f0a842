package conformance;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;

/** openai-java's strict parse: validate() on a typed object, which throws on what its model does not allow. */
final class Strict {
    private Strict() {}

    static ObjectNode ok() {
        ObjectNode s = Driver.MAPPER.createObjectNode();
        s.put("ok", true);
        return s;
    }

    static ObjectNode check(Object obj) {
        ObjectNode s = Driver.MAPPER.createObjectNode();
        try {
            // Every model class of the SDK has validate(); reflection keeps one path for every type and version.
            Method validate = obj.getClass().getMethod("validate");
            validate.invoke(obj);
            s.put("ok", true);
        } catch (InvocationTargetException e) {
            Throwable t = e.getCause() == null ? e : e.getCause();
            s.put("ok", false);
            s.put("error", t.getClass().getSimpleName() + ": " + t.getMessage());
        } catch (ReflectiveOperationException e) {
            s.put("ok", false);
            s.put("error", "no validate() on " + obj.getClass().getName());
        }
        return s;
    }
}
