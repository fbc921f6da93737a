package io.cubist.jobs.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code --name value} and {@code --name=value} flags of one command, checked against the names the command takes.
 * A flag given twice keeps every value ({@link #all}); {@code --help} is recognised everywhere.
 */
final class Flags {
    /**
     * Old spellings of flags, kept working: every command spells a setting one way ({@code --clip-length},
     * {@code --decode-timeout}) and takes these for it too.
     */
    static final Map<String, String> ALIASES = Map.of("clip-len", "clip-length", "timeout", "decode-timeout");

    private final String command;
    private final Map<String, List<String>> values = new LinkedHashMap<>();
    private final boolean help;
    private final Set<String> switchNames;

    /**
     * @param valued   flags that take a value
     * @param switches flags that take none
     */
    Flags(String command, String[] args, Set<String> valued, Set<String> switches) {
        this.command = command;
        this.switchNames = Set.copyOf(switches);
        boolean h = false;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--help") || a.equals("-h")) {
                h = true;
                continue;
            }
            if (!a.startsWith("--")) {
                throw new UsageException(command + ": unexpected argument '" + a + "'; flags start with --"
                        + " (see cubist " + command + " --help)");
            }
            String name = a.substring(2);
            String value = null;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            }
            String canonical = ALIASES.get(name);
            if (canonical != null && (valued.contains(canonical) || switches.contains(canonical))) {
                name = canonical;
            }
            if (switches.contains(name)) {
                if (value != null) {
                    throw new UsageException(command + ": --" + name + " takes no value");
                }
                values.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.length || (args[i + 1].startsWith("--") && !args[i + 1].equals("--"))) {
                        throw new UsageException(command + ": --" + name + " needs a value");
                    }
                    value = args[++i];
                }
                values.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
            } else {
                List<String> all = new ArrayList<>();
                valued.forEach(v -> all.add("--" + v));
                switches.forEach(v -> all.add("--" + v));
                throw new UsageException(command + ": unknown flag --" + name + "; allowed: " + String.join(", ", all));
            }
        }
        this.help = h;
    }

    boolean help() {
        return help;
    }

    boolean has(String name) {
        return values.containsKey(name);
    }

    String get(String name, String dflt) {
        List<String> v = values.get(name);
        return v == null ? dflt : v.get(v.size() - 1);
    }

    String required(String name) {
        String v = get(name, null);
        if (v == null) {
            throw new UsageException(command + ": --" + name + " is required (see cubist " + command + " --help)");
        }
        return v;
    }

    List<String> all(String name) {
        return values.getOrDefault(name, List.of());
    }

    /** The flags again as arguments ({@code --name value}, switches alone), leaving out {@code except}. */
    List<String> toArgs(Set<String> except) {
        List<String> args = new ArrayList<>();
        values.forEach((name, vs) -> {
            if (!except.contains(name)) {
                for (String v : vs) {
                    args.add("--" + name);
                    if (!"true".equals(v) || !switchNames.contains(name)) {
                        args.add(v);
                    }
                }
            }
        });
        return args;
    }

    /** A file that must exist and be readable. */
    Path inputFile(String name) {
        Path p = Path.of(required(name));
        if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
            throw new UsageException(command + ": --" + name + " " + p + ": no such readable file");
        }
        return p;
    }

    int positiveInt(String name, int dflt) {
        String v = get(name, null);
        if (v == null) {
            return dflt;
        }
        try {
            int n = Integer.parseInt(v.trim());
            if (n >= 1) {
                return n;
            }
        } catch (NumberFormatException e) {
            // fall through to the message below
        }
        throw new UsageException(command + ": --" + name + " must be an integer >= 1, got '" + v + "'");
    }

    /**
     * A comma-separated list of {@code count} integers >= 1 ({@code --input-shape 1,3,16,112,112}); {@code dflt} when
     * the flag is absent.
     */
    int[] positiveInts(String name, int count, int[] dflt) {
        String v = get(name, null);
        if (v == null) {
            return dflt;
        }
        String[] parts = v.split(",", -1);
        int[] r = new int[parts.length];
        boolean ok = parts.length == count;
        for (int i = 0; ok && i < parts.length; i++) {
            try {
                r[i] = Integer.parseInt(parts[i].trim());
                ok = r[i] >= 1;
            } catch (NumberFormatException e) {
                ok = false;
            }
        }
        if (!ok) {
            throw new UsageException(command + ": --" + name + " must be " + count
                    + " comma-separated integers >= 1, got '" + v + "'");
        }
        return r;
    }
}
