package io.imagescore.store;

import io.imagescore.image.Downcall;

import java.io.IOException;
import java.io.InputStream;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * SHA-256 of files, through OpenSSL's libcrypto ({@value #LIBRARY}, FFM) when it loads, else the JDK's
 * {@link MessageDigest}: the same digest either way. The reason is start-up: in a cold JVM the JDK's SHA-256 runs
 * interpreted and in C1 code until C2 has compiled its intrinsic, while libcrypto runs its SHA-NI/AVX2 code from the
 * first byte. A start hashes the pack (8 MB) and checks the cached optimised graph (7 MB); measured, this saves tens
 * of milliseconds of CPU, not more (bench/README.md, "Cold start").
 * Files are read with ordinary reads in {@link #CHUNK} pieces (no mapping: a file truncated while mapped would crash
 * the process inside native code).
 */
public final class Sha256 {
    private static final Logger LOG = Logger.getLogger(Sha256.class.getName());
    static final String LIBRARY = "libcrypto.so.3";
    static final int CHUNK = 1 << 20;

    /** Every downcall this class makes, by symbol: the one place its descriptors are declared ({@link Downcall}). */
    public static final Map<String, Downcall> DOWNCALLS = downcalls();

    private static Map<String, Downcall> downcalls() {
        ValueLayout p = ValueLayout.ADDRESS;
        ValueLayout i = ValueLayout.JAVA_INT;
        ValueLayout l = ValueLayout.JAVA_LONG; // size_t on LP64
        Map<String, Downcall> d = new LinkedHashMap<>();
        d.put("EVP_sha256", new Downcall(FunctionDescriptor.of(p), false));
        d.put("EVP_MD_CTX_new", new Downcall(FunctionDescriptor.of(p), false));
        d.put("EVP_DigestInit_ex", new Downcall(FunctionDescriptor.of(i, p, p, p), false));
        d.put("EVP_DigestUpdate", new Downcall(FunctionDescriptor.of(i, p, p, l), true));
        d.put("EVP_DigestFinal_ex", new Downcall(FunctionDescriptor.of(i, p, p, p), false));
        d.put("EVP_MD_CTX_free", new Downcall(FunctionDescriptor.ofVoid(p), false));
        return java.util.Collections.unmodifiableMap(d);
    }

    /** libcrypto's EVP digest functions, bound once per process. */
    private record Native(MemorySegment sha256, MethodHandle ctxNew, MethodHandle init, MethodHandle update,
                          MethodHandle finish, MethodHandle ctxFree) {
        static Native bind(String library) {
            SymbolLookup lib = SymbolLookup.libraryLookup(library, Arena.global());
            try {
                MemorySegment md = (MemorySegment) handle(lib, library, "EVP_sha256").invokeExact();
                if (md.equals(MemorySegment.NULL)) {
                    throw new IllegalStateException("EVP_sha256() returned NULL");
                }
                return new Native(md, handle(lib, library, "EVP_MD_CTX_new"), handle(lib, library, "EVP_DigestInit_ex"),
                        handle(lib, library, "EVP_DigestUpdate"), handle(lib, library, "EVP_DigestFinal_ex"), handle(lib, library, "EVP_MD_CTX_free"));
            } catch (RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        byte[] digest(Feed feed) throws IOException {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment ctx = (MemorySegment) ctxNew.invokeExact();
                if (ctx.equals(MemorySegment.NULL)) {
                    throw new IllegalStateException("EVP_MD_CTX_new failed");
                }
                try {
                    check((int) init.invokeExact(ctx, sha256, MemorySegment.NULL), "EVP_DigestInit_ex");
                    feed.into((b, n) -> {
                        try {
                            check((int) update.invokeExact(ctx, MemorySegment.ofArray(b), (long) n), "EVP_DigestUpdate");
                        } catch (RuntimeException | Error e) {
                            throw e;
                        } catch (Throwable e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    MemorySegment out = arena.allocate(32);
                    check((int) finish.invokeExact(ctx, out, MemorySegment.NULL), "EVP_DigestFinal_ex");
                    return out.toArray(ValueLayout.JAVA_BYTE);
                } finally {
                    ctxFree.invokeExact(ctx);
                }
            } catch (IOException | RuntimeException | Error e) {
                throw e;
            } catch (Throwable e) {
                throw new IllegalStateException(e);
            }
        }

        private static void check(int rc, String function) {
            if (rc != 1) {
                throw new IllegalStateException(function + " failed");
            }
        }
    }

    private static final Map<String, Optional<Native>> LOADED = new java.util.concurrent.ConcurrentHashMap<>();

    private static MethodHandle handle(SymbolLookup lib, String library, String name) {
        return DOWNCALLS.get(name).bind(lib, library, name);
    }

    private static Optional<Native> load(String library) {
        return LOADED.computeIfAbsent(library, name -> {
            try {
                return Optional.of(Native.bind(name));
            } catch (Throwable e) {
                LOG.log(Level.INFO, name + " not loadable (" + e + "); SHA-256 runs on the JDK's MessageDigest (slower"
                        + " in a cold JVM: start-up takes longer)");
                return Optional.empty();
            }
        });
    }

    private final Optional<Native> lib;

    private Sha256(Optional<Native> lib) {
        this.lib = lib;
    }

    private static final class Default {
        static final Sha256 INSTANCE = new Sha256(load(LIBRARY));
    }

    /** Through {@value #LIBRARY} when it loads, else the JDK. */
    public static Sha256 instance() {
        return Default.INSTANCE;
    }

    /** Through {@code library} (another name simulates a machine without libcrypto), else the JDK. */
    static Sha256 using(String library) {
        return new Sha256(load(library));
    }

    /** The JDK's digest only. */
    static Sha256 jdk() {
        return new Sha256(Optional.empty());
    }

    /** Whether digests run in libcrypto. */
    public boolean isNative() {
        return lib.isPresent();
    }

    /** Bytes to digest, handed over in pieces: the first {@code n} bytes of each array given to the sink. */
    private interface Feed {
        void into(java.util.function.ObjIntConsumer<byte[]> sink) throws IOException;
    }

    private byte[] digest(Feed feed) throws IOException {
        if (lib.isPresent()) {
            return lib.get().digest(feed);
        }
        MessageDigest md = jdkDigest();
        feed.into((b, n) -> md.update(b, 0, n));
        return md.digest();
    }

    /** The digest of everything {@code in} still holds (read in {@link #CHUNK} pieces). */
    public byte[] digest(InputStream in) throws IOException {
        return digest(sink -> {
            byte[] buf = new byte[CHUNK];
            for (int n; (n = in.readNBytes(buf, 0, buf.length)) > 0; ) {
                sink.accept(buf, n);
            }
        });
    }

    /** Hex digest of a file's content. */
    public String fileHex(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            return HexFormat.of().formatHex(digest(in));
        }
    }

    /** Hex digest of {@code data}. */
    public String hex(byte[] data) {
        try {
            return HexFormat.of().formatHex(digest(sink -> sink.accept(data, data.length)));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e); // nothing here reads a file
        }
    }

    private static MessageDigest jdkDigest() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
