package io.imagescore.testing;

import java.io.IOException;
import java.net.ConnectException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

/**
 * The packaged server ({@code imagescore-server/target/quarkus-app/quarkus-run.jar}) as a child JVM, for failsafe *IT tests that signal
 * or kill it: started on a free port with the default pack, its output in {@code <dir>/server.log}, ready when
 * {@code /q/health/ready} answers 200.
 */
public record ServerProcess(Process process, Path dir, Path log, int port) {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    public static Path repo() {
        return Shared.root();
    }

    public static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /**
     * Starts the server in {@code dir} (data directory {@code dir/data}, unless {@code properties} set
     * imagescore.data-dir: a later -D wins) with {@code properties} as -D options and waits
     * up to 120 s until it is ready; fails the test with its output when it exits or never gets ready.
     */
    public static ServerProcess start(Path dir, Map<String, String> properties) throws Exception {
        ServerProcess server = launch(dir, properties);
        Process p = server.process();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (server.readiness() != 200) {
            if (!p.isAlive()) {
                fail("server exited with %d before it was ready:\n%s", p.exitValue(), server.output());
            }
            if (System.nanoTime() > deadline) {
                p.destroyForcibly();
                fail("server not ready after 120 s:\n%s", server.output());
            }
            Thread.sleep(50);
        }
        return server;
    }

    /** Starts the server as {@link #start} does, without waiting for anything (a start that must fail). */
    public static ServerProcess launch(Path dir, Map<String, String> properties) throws Exception {
        Path jar = repo().resolve("imagescore-server/target/quarkus-app/quarkus-run.jar");
        assertThat(jar).as("run ./mvnw package (or verify) first").exists();
        Files.createDirectories(dir);
        int port = freePort();
        String java = ProcessHandle.current().info().command().orElse("java");
        List<String> cmd = new ArrayList<>(List.of(java, "--enable-native-access=ALL-UNNAMED",
                "--sun-misc-unsafe-memory-access=allow", "--add-modules=jdk.incubator.vector", "-Xss16m", "-Xmx1g",
                "-Djava.util.logging.manager=org.jboss.logmanager.LogManager",
                "-Dquarkus.http.port=" + port,
                "-Dimagescore.data-dir=" + dir.resolve("data"),
                "-Dimagescore.packs.shared-dir=" + Shared.dir(),
                "-Dimagescore.packs.dirs=" + repo().resolve("packs/mobilenetv2-default")));
        properties.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.addAll(List.of("-jar", jar.toString()));
        Path log = dir.resolve("server.log");
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return new ServerProcess(p, dir, log, port);
    }

    public String output() {
        try {
            return Files.exists(log) ? Files.readString(log) : "";
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    /** HTTP status of /q/health/ready, or -1 when the connection is refused. */
    public int readiness() {
        try {
            return HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (ConnectException e) {
            return -1;
        } catch (IOException e) {
            return -2;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -3;
        }
    }
}
