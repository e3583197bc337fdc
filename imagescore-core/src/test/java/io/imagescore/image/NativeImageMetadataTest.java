package io.imagescore.image;

import ai.onnxruntime.OrtEnvironment;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.imagescore.store.Sha256;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.constantpool.ClassEntry;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.foreign.AddressLayout;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.Field;
import java.lang.reflect.GenericArrayType;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.lang.reflect.WildcardType;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The native image's reachability metadata ({@code META-INF/native-image/io.imagescore/imagescore-core/
 * reachability-metadata.json}) against what the code really needs, derived from the code and its dependencies, so that
 * a new downcall, a new JSON record or an ONNX Runtime upgrade without matching metadata fails here and not only in a
 * native build elsewhere:
 * <ul>
 *   <li>FFM: every (descriptor, options) of {@link TurboJpeg#DOWNCALLS} and {@link Sha256#DOWNCALLS} is registered,
 *       nothing else is, and no class of this module creates a downcall or upcall outside {@link Downcall#bind} (read
 *       from the bytecode);</li>
 *   <li>JNI: every class named in ONNX Runtime's JNI library (its strings: {@code FindClass} names and method
 *       signatures) is JNI-accessible with all its members; the library files of the jar are resources;</li>
 *   <li>Jackson: every class passed as a {@code Class} to an ObjectMapper/ObjectReader read (or a versioned-document
 *       kind), and every io.imagescore type reachable through its record components and fields, is registered.</li>
 * </ul>
 */
class NativeImageMetadataTest {
    private static final String METADATA = "META-INF/native-image/io.imagescore/imagescore-core/reachability-metadata.json";
    private static final String ORT_NATIVE = "ai/onnxruntime/native/linux-x64/";

    private static JsonNode metadata() throws IOException {
        try (InputStream in = NativeImageMetadataTest.class.getClassLoader().getResourceAsStream(METADATA)) {
            assertThat(in).as(METADATA).isNotNull();
            return new ObjectMapper().readTree(in);
        }
    }

    /** A descriptor as the linker sees it: carrier and size of each layout (names and target layouts do not matter). */
    private static String signature(FunctionDescriptor d, boolean critical) {
        List<String> parts = new ArrayList<>();
        parts.add(d.returnLayout().map(NativeImageMetadataTest::layout).orElse("void"));
        d.argumentLayouts().forEach(l -> parts.add(layout(l)));
        return String.join(",", parts) + (critical ? " critical" : "");
    }

    private static String layout(MemoryLayout l) {
        if (l instanceof AddressLayout) {
            return "address";
        }
        return ((ValueLayout) l).carrier().getName() + l.byteSize();
    }

    @Test
    void every_downcall_is_registered_for_the_native_image_and_nothing_else() throws IOException {
        Map<String, MemoryLayout> canonical = Linker.nativeLinker().canonicalLayouts();
        Set<String> registered = new TreeSet<>();
        for (JsonNode e : metadata().path("foreign").path("downcalls")) {
            List<MemoryLayout> params = new ArrayList<>();
            e.path("parameterTypes").forEach(p -> params.add(canonical(canonical, p.asText())));
            String ret = e.path("returnType").asText();
            FunctionDescriptor d = ret.equals("void") ? FunctionDescriptor.ofVoid(params.toArray(MemoryLayout[]::new))
                    : FunctionDescriptor.of(canonical(canonical, ret), params.toArray(MemoryLayout[]::new));
            assertThat(e.path("options").fieldNames()).toIterable().allMatch("critical"::equals);
            boolean critical = e.path("options").has("critical");
            if (critical) {
                assertThat(e.path("options").path("critical").path("allowHeapAccess").asBoolean()).isTrue();
            }
            registered.add(signature(d, critical));
        }
        Set<String> used = new TreeSet<>();
        Stream.concat(TurboJpeg.DOWNCALLS.values().stream(), Sha256.DOWNCALLS.values().stream())
                .forEach(d -> used.add(signature(d.descriptor(), d.critical())));
        assertThat(registered).as("foreign.downcalls of " + METADATA).isEqualTo(used);
    }

    private static MemoryLayout canonical(Map<String, MemoryLayout> canonical, String name) {
        assertThat(canonical).as("canonical layout name in " + METADATA).containsKey(name);
        return canonical.get(name);
    }

    @Test
    void no_code_outside_downcall_bind_creates_foreign_calls() throws IOException {
        List<String> callers = new ArrayList<>();
        for (ClassModel c : mainClasses()) {
            for (MethodModel m : c.methods()) {
                m.code().ifPresent(code -> code.forEach(e -> {
                    if (e instanceof InvokeInstruction i && i.owner().asInternalName().equals("java/lang/foreign/Linker")
                            && (i.name().stringValue().equals("downcallHandle") || i.name().stringValue().equals("upcallStub"))) {
                        callers.add(c.thisClass().asInternalName() + "." + m.methodName().stringValue());
                    }
                }));
            }
        }
        assertThat(callers).as("Linker.downcallHandle/upcallStub callers (a new one needs its descriptor in " + METADATA
                + " and in this test)").containsOnly("io/imagescore/image/Downcall.bind");
        assertThat(callers).isNotEmpty();
    }

    @Test
    void every_class_onnx_runtimes_jni_library_uses_is_jni_accessible_and_its_libraries_are_resources() throws Exception {
        Path jar = Path.of(OrtEnvironment.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        Set<String> libraries = new TreeSet<>();
        Set<String> jniClasses = new TreeSet<>();
        Pattern className = Pattern.compile("(?:^|L)((?:ai/onnxruntime|java)/[A-Za-z0-9_$/]+)(?:;|$)");
        try (JarFile j = new JarFile(jar.toFile())) {
            for (JarEntry e : java.util.Collections.list(j.entries())) {
                if (e.getName().startsWith(ORT_NATIVE) && !e.isDirectory()) {
                    libraries.add(e.getName());
                }
            }
            byte[] jni;
            try (InputStream in = j.getInputStream(j.getEntry(ORT_NATIVE + "libonnxruntime4j_jni.so"))) {
                jni = in.readAllBytes();
            }
            for (String s : printableStrings(jni)) {
                for (String token : s.split("[()\\[]")) {
                    Matcher m = className.matcher(token);
                    while (m.find()) {
                        jniClasses.add(m.group(1).replace('/', '.'));
                    }
                }
            }
        }
        assertThat(jniClasses).as("class names in ONNX Runtime's JNI library").contains("ai.onnxruntime.OnnxTensor",
                "ai.onnxruntime.OrtException");
        JsonNode md = metadata();
        Map<String, JsonNode> reflection = new HashMap<>();
        md.path("reflection").forEach(e -> reflection.put(e.path("type").asText(), e));
        for (String c : jniClasses) {
            JsonNode e = reflection.get(c);
            assertThat(e).as("reflection entry for JNI class " + c).isNotNull();
            assertThat(e.path("jniAccessible").asBoolean()).as(c + " jniAccessible").isTrue();
            if (c.startsWith("ai.onnxruntime.")) {
                for (String all : List.of("allDeclaredConstructors", "allDeclaredMethods", "allDeclaredFields")) {
                    assertThat(e.path(all).asBoolean()).as(c + " " + all).isTrue();
                }
            }
        }
        Set<String> resources = new TreeSet<>();
        md.path("resources").forEach(r -> resources.add(r.path("glob").asText()));
        assertThat(resources).as("resources: ONNX Runtime's linux-x64 libraries").containsAll(libraries);
        assertThat(libraries).isNotEmpty();
    }

    @Test
    void every_type_the_json_stores_bind_is_registered_for_reflection() throws Exception {
        Set<String> roots = new TreeSet<>();
        for (ClassModel c : mainClasses()) {
            for (MethodModel m : c.methods()) {
                m.code().ifPresent(code -> roots.addAll(jsonBoundClasses(code)));
            }
        }
        assertThat(roots).as("classes bound by JSON reads").contains("io.imagescore.rating.Campaign");
        Set<String> needed = new TreeSet<>();
        Deque<Type> todo = new ArrayDeque<>();
        for (String r : roots) {
            todo.add(Class.forName(r, false, getClass().getClassLoader()));
        }
        Set<Type> seen = new HashSet<>();
        while (!todo.isEmpty()) {
            Type t = todo.pop();
            if (!seen.add(t)) {
                continue;
            }
            switch (t) {
                case Class<?> c when c.isArray() -> todo.add(c.getComponentType());
                case Class<?> c when c.getName().startsWith("io.imagescore.") -> {
                    needed.add(c.getName());
                    if (c.isRecord()) {
                        for (RecordComponent rc : c.getRecordComponents()) {
                            todo.add(rc.getGenericType());
                        }
                    } else if (!c.isEnum()) {
                        for (Field f : c.getDeclaredFields()) {
                            if (!Modifier.isStatic(f.getModifiers())) {
                                todo.add(f.getGenericType());
                            }
                        }
                    }
                }
                case ParameterizedType p -> {
                    todo.add(p.getRawType());
                    todo.addAll(List.of(p.getActualTypeArguments()));
                }
                case GenericArrayType g -> todo.add(g.getGenericComponentType());
                case WildcardType w -> todo.addAll(List.of(w.getUpperBounds()));
                default -> {
                }
            }
        }
        Set<String> registered = new TreeSet<>();
        metadata().path("reflection").forEach(e -> {
            if (e.path("allDeclaredConstructors").asBoolean() && e.path("allDeclaredMethods").asBoolean()
                    && e.path("allDeclaredFields").asBoolean()) {
                registered.add(e.path("type").asText());
            }
        });
        assertThat(registered).as("reflection entries (all declared constructors, methods, fields) in " + METADATA)
                .containsAll(needed);
    }

    /**
     * Classes loaded as constants ({@code X.class}) and then handed to a Jackson read or to a versioned-document kind
     * in the same expression: pending constants are dropped at any other call (lambdas do not count).
     */
    private static Set<String> jsonBoundClasses(CodeModel code) {
        Set<String> found = new TreeSet<>();
        List<String> pending = new ArrayList<>();
        code.forEach(e -> {
            if (e instanceof ConstantInstruction.LoadConstantInstruction l && l.constantEntry() instanceof ClassEntry ce) {
                pending.add(ce.asInternalName().replace('/', '.'));
            } else if (e instanceof InvokeInstruction i) {
                String owner = i.owner().asInternalName();
                String name = i.name().stringValue();
                boolean jackson = (owner.equals("com/fasterxml/jackson/databind/ObjectMapper")
                        || owner.equals("com/fasterxml/jackson/databind/ObjectReader"))
                        && Set.of("readValue", "treeToValue", "convertValue", "readerFor").contains(name);
                boolean kind = owner.equals("io/imagescore/store/VersionedDocuments$Kind") && name.equals("<init>");
                if (jackson || kind) {
                    found.addAll(pending);
                }
                pending.clear();
            } else if (e instanceof InvokeDynamicInstruction) {
                // a lambda argument between the constant and the call
            }
        });
        return found;
    }

    /** Every class of this module's main output (target/classes), parsed. */
    private static List<ClassModel> mainClasses() throws IOException {
        Path root;
        try {
            root = Path.of(TurboJpeg.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        List<ClassModel> out = new ArrayList<>();
        try (Stream<Path> files = Files.walk(root)) {
            for (Path f : files.filter(p -> p.toString().endsWith(".class")).toList()) {
                out.add(ClassFile.of().parse(Files.readAllBytes(f)));
            }
        }
        assertThat(out).hasSizeGreaterThan(100);
        return out;
    }

    /** Runs of at least 4 printable ASCII bytes, like strings(1). */
    private static List<String> printableStrings(byte[] bytes) {
        List<String> out = new ArrayList<>();
        int start = -1;
        for (int i = 0; i <= bytes.length; i++) {
            boolean printable = i < bytes.length && bytes[i] >= 0x20 && bytes[i] < 0x7f;
            if (printable && start < 0) {
                start = i;
            } else if (!printable && start >= 0) {
                if (i - start >= 4) {
                    out.add(new String(bytes, start, i - start, StandardCharsets.US_ASCII));
                }
                start = -1;
            }
        }
        return out;
    }
}
