package io.imagescore.cli;

import io.imagescore.image.PreprocessMode;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** {@code --preprocess exact|fast} (any case) for every command; a wrong value is a usage error, not a stack trace. */
public final class PreprocessModeConverter implements ITypeConverter<PreprocessMode> {
    @Override
    public PreprocessMode convert(String value) {
        try {
            return PreprocessMode.parse(value);
        } catch (IllegalArgumentException e) {
            throw new TypeConversionException(e.getMessage());
        }
    }
}
