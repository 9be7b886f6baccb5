package io.famfs.cli;

import io.famfs.FamfsException;
import picocli.CommandLine;

/** Octal modes ({@code -m 0644}) and sizes ({@code -s 1m}) as picocli converters. */
final class Modes {
    private Modes() {
    }

    static final class OctalMode implements CommandLine.ITypeConverter<Integer> {
        @Override
        public Integer convert(String value) {
            try {
                int mode = Integer.parseInt(value, 8);
                if (mode < 0 || mode > 07777) {
                    throw new NumberFormatException();
                }
                return mode;
            } catch (NumberFormatException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not an octal mode");
            }
        }
    }

    static final class Size implements CommandLine.ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            try {
                return io.famfs.log.Sizes.parse(value);
            } catch (IllegalArgumentException | ArithmeticException e) {
                throw new CommandLine.TypeConversionException("'" + value + "' is not a size (use N, Nk, Nm or Ng)");
            }
        }
    }

    static String octal(int mode) {
        return String.format("0%o", mode);
    }

    static void requireFits(long size, long max, String what) {
        if (size > max) {
            throw new FamfsException(what + " " + size + " is larger than the device");
        }
    }
}
