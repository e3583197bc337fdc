package io.imagescore.image;

import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;

/**
 * A native function called through FFM: its C signature as a descriptor, and whether it is a critical downcall that
 * may read Java heap arrays (no copies). Each binding declares its downcalls in one table ({@link TurboJpeg#DOWNCALLS},
 * {@code store/Sha256.DOWNCALLS}); a native image needs each (descriptor, options) pair registered at build time, and
 * {@code NativeImageMetadataTest} checks that the reachability metadata lists exactly those and that no code but
 * {@link #bind} creates a downcall.
 */
public record Downcall(FunctionDescriptor descriptor, boolean critical) {

    /** The one place this code creates a downcall handle: {@code name} in {@code lib} ({@code library}, for errors). */
    public MethodHandle bind(SymbolLookup lib, String library, String name) {
        MemorySegment symbol = lib.find(name).orElseThrow(() -> new UnsatisfiedLinkError(name + " not in " + library));
        Linker linker = Linker.nativeLinker();
        return critical ? linker.downcallHandle(symbol, descriptor, Linker.Option.critical(true))
                : linker.downcallHandle(symbol, descriptor);
    }
}
