package io.famfs.log;

/** Sizes as upstream's CLI takes them: decimal, 0x hex or 0 octal, with k/m/g (1024) suffixes. */
public final class Sizes {
    private Sizes() {
    }

    public static long parse(String text) {
        String t = text.trim();
        if (t.isEmpty()) {
            throw new IllegalArgumentException("empty size");
        }
        long multiplier = 1;
        char last = Character.toLowerCase(t.charAt(t.length() - 1));
        if (last == 'k' || last == 'm' || last == 'g' || last == 't') {
            multiplier = switch (last) {
                case 'k' -> 1L << 10;
                case 'm' -> 1L << 20;
                case 'g' -> 1L << 30;
                default -> 1L << 40;
            };
            t = t.substring(0, t.length() - 1);
        }
        long value;
        try {
            if (t.startsWith("0x") || t.startsWith("0X")) {
                value = Long.parseLong(t.substring(2), 16);
            } else if (t.length() > 1 && t.startsWith("0")) {
                value = Long.parseLong(t.substring(1), 8);
            } else {
                value = Long.parseLong(t);
            }
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a size: '" + text + "'");
        }
        if (value < 0) {
            throw new IllegalArgumentException("negative size: '" + text + "'");
        }
        return Math.multiplyExact(value, multiplier);
    }
}
