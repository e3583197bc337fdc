package io.imagescore.deploy;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.ConfigMappings;
import io.smallrye.config.EnvConfigSource;
import io.smallrye.config.SmallRyeConfig;
import io.smallrye.config.SmallRyeConfigBuilder;
import io.smallrye.config.common.utils.StringUtil;
import org.eclipse.microprofile.config.inject.ConfigProperty;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.AnnotatedElement;
import java.lang.reflect.Executable;
import java.lang.reflect.Parameter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;

/**
 * The configuration keys the application reads, found in its compiled classes (its {@code @ConfigMapping} tree,
 * config/ImageScoreConfig, and any {@code @ConfigProperty} under io.imagescore), so a key added to the code is known
 * here without a list to maintain;
 * and the environment-variable names they answer to (SmallRye's rule: non-alphanumerics to '_', upper case).
 * Quarkus's own keys are not enumerable this way: a QUARKUS_ variable is accepted only when {@link DeployBootIT}
 * proves its effect by booting ({@link #QUARKUS_PROVEN_BY_BOOT}).
 */
final class AppConfigKeys {

    /** QUARKUS_ variables whose effect the boot test asserts (the state store is the PostgreSQL they name). */
    static final Set<String> QUARKUS_PROVEN_BY_BOOT = Set.of("QUARKUS_DATASOURCE_JDBC_URL", "QUARKUS_DATASOURCE_USERNAME",
            "QUARKUS_DATASOURCE_PASSWORD");

    /** The server's classes, and core's (which should read none: ArchitectureTest). */
    private static final List<Path> CLASS_ROOTS = List.of(Path.of("target/classes"),
            io.imagescore.testing.Shared.root().resolve("imagescore-core/target/classes"));
    private static Map<Class<?>, String> mappings;
    private static Set<String> properties;
    private static Map<String, Key> documented;

    /** One key: its default ("" when it has none) and where it is read (the mapping method or the injecting class). */
    record Key(String name, String defaultValue, String readBy) {
    }

    private AppConfigKeys() {
    }

    /** Every {@code @ConfigMapping} interface of the application with its prefix. */
    static synchronized Map<Class<?>, String> mappings() {
        if (mappings == null) {
            scan();
        }
        return mappings;
    }

    /** Every property name the application reads ({@code *} stands for a map key). */
    static synchronized Set<String> properties() {
        if (properties == null) {
            scan();
        }
        return properties;
    }

    /** Every key the application reads with its default and reader, sorted by name: docs/configuration.md's rows. */
    static synchronized Map<String, Key> documented() {
        if (documented == null) {
            scan();
        }
        return documented;
    }

    private static void scan() {
        Map<Class<?>, String> found = new LinkedHashMap<>();
        Set<String> names = new TreeSet<>();
        Map<String, Key> keys = new java.util.TreeMap<>();
        List<String> classNames = new ArrayList<>();
        for (Path root : CLASS_ROOTS) {
            try (Stream<Path> walk = Files.walk(root.resolve("io/imagescore"))) {
                walk.filter(p -> p.toString().endsWith(".class")).sorted()
                        .forEach(p -> classNames.add(root.relativize(p).toString().replace('/', '.').replaceAll("\\.class$", "")));
            } catch (IOException e) {
                throw new UncheckedIOException("compile the application first (" + root + ")", e);
            }
        }
        ClassLoader loader = AppConfigKeys.class.getClassLoader();
        for (String name : classNames) {
            Class<?> type;
            try {
                type = Class.forName(name, false, loader);
            } catch (ClassNotFoundException | LinkageError e) {
                continue; // generated or optional classes that do not load here hold no configuration
            }
            ConfigMapping mapping = type.getAnnotation(ConfigMapping.class);
            if (mapping != null) {
                found.put(type, mapping.prefix());
                var props = ConfigMappings.getProperties(ConfigMappings.ConfigClass.configClass(type, mapping.prefix()));
                names.addAll(props.keySet());
                props.forEach((key, prop) -> keys.put(key, new Key(key, prop.hasDefaultValue() ? prop.getDefaultValue() : "",
                        prop.getMethod().getDeclaringClass().getName().replace("io.imagescore.", "").replace('$', '.')
                                + "." + prop.getMethod().getName() + "()")));
            }
            try {
                List<AnnotatedElement> elements = new ArrayList<>(List.of(type.getDeclaredFields()));
                for (Executable e : Stream.concat(Stream.of(type.getDeclaredConstructors()), Stream.of(type.getDeclaredMethods())).toList()) {
                    elements.add(e);
                    for (Parameter p : e.getParameters()) {
                        elements.add(p);
                    }
                }
                for (AnnotatedElement e : elements) {
                    ConfigProperty p = e.getAnnotation(ConfigProperty.class);
                    if (p != null) {
                        names.add(p.name());
                        String dflt = ConfigProperty.UNCONFIGURED_VALUE.equals(p.defaultValue()) ? "" : p.defaultValue();
                        keys.putIfAbsent(p.name(), new Key(p.name(), dflt, type.getName().replace("io.imagescore.", "")));
                    }
                }
            } catch (LinkageError ignored) {
                // a class whose members reference something absent at test time
            }
        }
        mappings = Map.copyOf(found);
        properties = Set.copyOf(names);
        documented = java.util.Collections.unmodifiableMap(keys);
    }

    static String envName(String property) {
        return StringUtil.replaceNonAlphanumericByUnderscores(property).toUpperCase(Locale.ROOT);
    }

    /** Whether the application reads {@code variable} (see the class comment for QUARKUS_ variables). */
    static boolean reads(String variable) {
        if (variable.startsWith("QUARKUS_")) {
            return QUARKUS_PROVEN_BY_BOOT.contains(variable);
        }
        return properties().stream().anyMatch(p -> variable.matches(String.join("[A-Z0-9_]+",
                Stream.of(p.split("\\*", -1)).map(part -> java.util.regex.Pattern.quote(envName(part))).toList())));
    }

    /** The application's configuration mappings as they resolve with exactly {@code env} as the environment. */
    static SmallRyeConfig resolved(Map<String, String> env) {
        SmallRyeConfigBuilder b = new SmallRyeConfigBuilder()
                .withSources(new EnvConfigSource(env, 300))
                .withConverter(java.time.Duration.class, 100, new io.quarkus.runtime.configuration.DurationConverter());
        mappings().forEach(b::withMapping);
        return b.build();
    }
}
