package io.cubist.pipeline.weights;

import io.cubist.kernels.io.TensorFile;
import io.cubist.kernels.tensor.Tensor;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A PyTorch zip checkpoint, as {@code torch.save(model.state_dict(), f)} writes it (PyTorch 1.6 and later): a folder
 * {@code <archive>/} holding {@code data.pkl} (the pickled dict), {@code data/<key>} (one raw storage per key) and
 * {@code version}, plus {@code byteorder} since PyTorch 2.1. The folder name is whatever the first entry's is.
 *
 * <p>The pickle is read by {@link Unpickler}, which runs no code; its persistent ids
 * {@code ('storage', torch.FloatStorage, key, location, numel)} become {@link TensorView.Storage}s whose entry sizes
 * must match. The tensors are then copied out storage by storage, each storage read (and CRC-checked) once.
 */
final class TorchCheckpoint {
    /** A state dict's pickle is about a hundred bytes per tensor. */
    static final long MAX_PICKLE_BYTES = 64L << 20;
    /**
     * Elements the tensors may hold beyond the file's size in bytes: views of one storage can overlap (shared or
     * expanded tensors), and this bounds what a small file can make us allocate.
     */
    static final long ELEMENT_ALLOWANCE = 1L << 24;
    /**
     * Keys under which training checkpoints commonly keep the model's state dict: {@code state_dict} (torchvision's
     * and most reference scripts), {@code model_state} (PyTorchVideo's and PySlowFast's {@code .pyth}),
     * {@code model_state_dict}, {@code model}, {@code net}.
     */
    static final List<String> WRAPPER_KEYS = List.of("state_dict", "model_state", "model_state_dict", "model", "net");

    private final ByteSource source;
    private final StoredZip zip;
    private final String archive;
    private final ByteOrder order;
    private final Map<String, TensorView.Storage> storages = new HashMap<>();

    private TorchCheckpoint(ByteSource source, StoredZip zip, String archive, ByteOrder order) {
        this.source = source;
        this.zip = zip;
        this.archive = archive;
        this.order = order;
    }

    /** Reads the state dict in a zip checkpoint; {@code source} stays open (the caller closes it). */
    static StateDict load(ByteSource source) {
        StoredZip zip = StoredZip.open(source);
        if (zip.entries().isEmpty()) {
            throw new WeightFileException(source.name(), "an empty zip archive, not a PyTorch checkpoint");
        }
        String first = zip.entries().keySet().iterator().next();
        int slash = first.indexOf('/');
        if (slash <= 0) {
            throw notCheckpoint(source, zip, "its first entry " + KeyNames.quote(first) + " is not inside a folder");
        }
        String archive = first.substring(0, slash + 1);
        ByteOrder order = byteOrder(source, zip, archive);
        version(source, zip, archive);
        return new TorchCheckpoint(source, zip, archive, order).read();
    }

    private StateDict read() {
        if (zip.entries().containsKey(archive + "constants.pkl")
                || zip.entries().keySet().stream().anyMatch(n -> n.startsWith(archive + "code/"))) {
            throw new WeightFileException(source.name(), "a TorchScript archive (torch.jit.save), not a state dict:"
                    + " save model.state_dict() with torch.save instead");
        }
        StoredZip.Entry pickleEntry = zip.entries().get(archive + "data.pkl");
        if (pickleEntry == null) {
            throw notCheckpoint(source, zip, "it has no " + KeyNames.quote(archive + "data.pkl"));
        }
        byte[] pickle = zip.read(pickleEntry, MAX_PICKLE_BYTES, "the pickle", ByteOrder.LITTLE_ENDIAN).array();
        Object root = Unpickler.load(pickle, source.name() + " (" + pickleEntry.name() + ")", this::storage);
        Map<String, TensorView> views = tensors(root);

        long elements = 0;
        for (TensorView v : views.values()) {
            elements += v.numel();
        }
        long allowed = ELEMENT_ALLOWANCE + source.size();
        if (elements > allowed) {
            throw new WeightFileException(source.name(), "the tensors hold " + elements + " elements in all, more than"
                    + " a " + source.size() + "-byte file can supply (limit " + allowed + "); its tensors overlap"
                    + " (shared or expanded storages) beyond what a weights file needs");
        }

        // Storage by storage, in order of first use: each storage's bytes are held only while its views are copied.
        Map<TensorView.Storage, List<String>> byStorage = new LinkedHashMap<>();
        views.forEach((k, v) -> byStorage.computeIfAbsent(v.storage(), s -> new ArrayList<>()).add(k));
        Map<String, Tensor> tensors = new HashMap<>();
        for (Map.Entry<TensorView.Storage, List<String>> e : byStorage.entrySet()) {
            TensorView.Storage s = e.getKey();
            ByteBuffer bytes = zip.read(s.entry(), TensorFile.MAX_ELEMENTS, "storage " + KeyNames.quote(s.key()),
                    order);
            for (String k : e.getValue()) {
                tensors.put(k, views.get(k).toTensor(bytes));
            }
        }
        StateDict.Builder b = StateDict.builder(source.name());
        views.forEach((k, v) -> b.put(k, tensors.get(k), v.storage().dtype(), source.name()));
        return b.build();
    }

    /** The persistent id {@code ('storage', storage_type, key, location, numel)}: a typed storage in the archive. */
    private Object storage(Object pid, Unpickler at) {
        if (!(pid instanceof Py.Tuple t) || t.size() != 5 || !"storage".equals(t.get(0))) {
            throw at.error("a persistent id that is " + Py.describe(pid) + ", not ('storage', type, key, location,"
                    + " numel)");
        }
        if (!(t.get(1) instanceof TorchGlobal type) || !type.isStorage()) {
            throw at.error("a storage whose type is " + Py.describe(t.get(1)) + ", not a typed storage class");
        }
        if (!(t.get(2) instanceof String key)) {
            throw at.error("a storage whose key is " + Py.describe(t.get(2)) + ", not a str");
        }
        if (!(t.get(3) instanceof String)) {
            throw at.error("a storage whose location is " + Py.describe(t.get(3)) + ", not a str");
        }
        if (!(t.get(4) instanceof Long numel) || numel < 0) {
            throw at.error("a storage whose size is " + Py.describe(t.get(4)) + ", not a non-negative int");
        }
        TensorView.Storage known = storages.get(key);
        if (known != null) {
            if (known.dtype() != type.storageType() || known.numel() != numel) {
                throw at.error("storage " + KeyNames.quote(key) + " is used as " + numel + " " + type.storageType()
                        + " elements and as " + known.numel() + " " + known.dtype() + " elements");
            }
            return known;
        }
        String name = archive + "data/" + key;
        StoredZip.Entry entry = zip.entries().get(name);
        if (entry == null) {
            throw at.error("storage " + KeyNames.quote(key) + " has no entry " + KeyNames.quote(name)
                    + " in the archive");
        }
        long bytes = numel > Long.MAX_VALUE / 8 ? -1 : numel * type.storageType().size();
        if (bytes != entry.size()) {
            throw at.error("storage " + KeyNames.quote(key) + " declares " + numel + " " + type.storageType()
                    + " elements but its entry holds " + entry.size() + " bytes");
        }
        TensorView.Storage s = new TensorView.Storage(key, type.storageType(), numel, entry);
        storages.put(key, s);
        return s;
    }

    /**
     * The tensors of the state dict {@code root} holds: {@code root} itself when every value is a tensor, else the
     * dict under a {@link #WRAPPER_KEYS wrapper key} of a training checkpoint
     * ({@code {'epoch': 9, 'state_dict': ...}}).
     */
    private Map<String, TensorView> tensors(Object root) {
        if (!(root instanceof Py.Dict dict)) {
            throw new WeightFileException(source.name(), "the pickle holds " + Py.describe(root)
                    + ", not a state dict; save it with torch.save(model.state_dict(), f)");
        }
        String problem = notAllTensors(dict);
        if (problem == null) {
            return views(dict);
        }
        for (String w : WRAPPER_KEYS) {
            if (dict.items().get(w) instanceof Py.Dict inner && !inner.items().isEmpty()
                    && notAllTensors(inner) == null) {
                return views(inner);
            }
        }
        List<String> top = dict.items().keySet().stream().limit(12).map(k -> k instanceof String x ? KeyNames.quote(x)
                : Py.describe(k)).toList();
        throw new WeightFileException(source.name(), "the pickle holds a dict that is not a state dict (its keys: "
                + String.join(", ", top) + (dict.items().size() > top.size() ? ", ..." : "") + "): " + problem
                + "; expected torch.save(model.state_dict(), f), or a checkpoint holding a state dict under one of "
                + WRAPPER_KEYS);
    }

    private static String notAllTensors(Py.Dict dict) {
        for (Map.Entry<Object, Object> e : dict.items().entrySet()) {
            if (!(e.getKey() instanceof String k)) {
                return "a key is " + Py.describe(e.getKey()) + ", not a str";
            }
            if (!(e.getValue() instanceof TensorView)) {
                return "the value of " + KeyNames.quote(k) + " is " + Py.describe(e.getValue()) + ", not a tensor";
            }
        }
        return null;
    }

    private static Map<String, TensorView> views(Py.Dict dict) {
        Map<String, TensorView> out = new LinkedHashMap<>();
        dict.items().forEach((k, v) -> out.put((String) k, (TensorView) v));
        return out;
    }

    /** {@code byteorder} (PyTorch 2.1+): {@code little} or {@code big}; older files are little-endian. */
    private static ByteOrder byteOrder(ByteSource source, StoredZip zip, String archive) {
        StoredZip.Entry e = zip.entries().get(archive + "byteorder");
        if (e == null) {
            return ByteOrder.LITTLE_ENDIAN;
        }
        String v = smallText(source, zip, e);
        return switch (v) {
            case "little" -> ByteOrder.LITTLE_ENDIAN;
            case "big" -> ByteOrder.BIG_ENDIAN;
            default -> throw new WeightFileException(source.name(), e.name() + " says "
                    + KeyNames.quote(v) + "; expected 'little' or 'big'");
        };
    }

    /** {@code version} (or {@code .data/version}): the format version, a positive integer. */
    private static void version(ByteSource source, StoredZip zip, String archive) {
        StoredZip.Entry e = zip.entries().get(archive + "version");
        if (e == null) {
            e = zip.entries().get(archive + ".data/version");
        }
        if (e == null) {
            return; // old writers had none; the pickle and storages are what matter
        }
        String v = smallText(source, zip, e);
        if (!v.matches("[1-9][0-9]{0,5}")) {
            throw new WeightFileException(source.name(), e.name() + " says " + KeyNames.quote(v)
                    + "; expected a format version number");
        }
    }

    private static String smallText(ByteSource source, StoredZip zip, StoredZip.Entry e) {
        ByteBuffer b = zip.read(e, 64, "the entry", ByteOrder.LITTLE_ENDIAN);
        return new String(b.array(), StandardCharsets.ISO_8859_1).strip();
    }

    private static WeightFileException notCheckpoint(ByteSource source, StoredZip zip, String why) {
        return new WeightFileException(source.name(), "a zip archive but not a PyTorch checkpoint: " + why
                + "; its entries are " + String.join(", ", zip.someNames(8)));
    }
}
