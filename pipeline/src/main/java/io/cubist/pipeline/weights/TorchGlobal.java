package io.cubist.pipeline.weights;

import io.cubist.kernels.io.DType;

import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * The only Python globals a state-dict pickle may name: the ordered dict, the tensor rebuild functions and the typed
 * storage classes. Every other {@code module.name} is refused when the pickle names it, before any call could be
 * made; those allowed here are never Python callables, only tags for the Java code in {@link Unpickler} that builds the
 * equivalent value.
 */
enum TorchGlobal {
    ORDERED_DICT("collections", "OrderedDict", null),
    REBUILD_TENSOR_V2("torch._utils", "_rebuild_tensor_v2", null),
    REBUILD_TENSOR("torch._utils", "_rebuild_tensor", null),
    REBUILD_PARAMETER("torch._utils", "_rebuild_parameter", null),
    REBUILD_PARAMETER_WITH_STATE("torch._utils", "_rebuild_parameter_with_state", null),
    FLOAT_STORAGE("torch", "FloatStorage", DType.F32),
    DOUBLE_STORAGE("torch", "DoubleStorage", DType.F64),
    HALF_STORAGE("torch", "HalfStorage", DType.F16),
    BFLOAT16_STORAGE("torch", "BFloat16Storage", DType.BF16),
    LONG_STORAGE("torch", "LongStorage", DType.I64),
    INT_STORAGE("torch", "IntStorage", DType.I32),
    SHORT_STORAGE("torch", "ShortStorage", DType.I16),
    CHAR_STORAGE("torch", "CharStorage", DType.I8),
    BYTE_STORAGE("torch", "ByteStorage", DType.U8),
    BOOL_STORAGE("torch", "BoolStorage", DType.BOOL);

    private final String module;
    private final String name;
    private final DType storageType;

    TorchGlobal(String module, String name, DType storageType) {
        this.module = module;
        this.name = name;
        this.storageType = storageType;
    }

    /** The global {@code module.name}, or null when it is not on the list. */
    static TorchGlobal find(String module, String name) {
        for (TorchGlobal g : values()) {
            if (g.module.equals(module) && g.name.equals(name)) {
                return g;
            }
        }
        return null;
    }

    /** The element type of a storage class; null for the functions and OrderedDict. */
    DType storageType() {
        return storageType;
    }

    boolean isStorage() {
        return storageType != null;
    }

    /** {@code module.name}, as Python spells it. */
    String qualifiedName() {
        return module + "." + name;
    }

    /** Every allowed global, for messages. */
    static String allowed() {
        return Arrays.stream(values()).map(TorchGlobal::qualifiedName).collect(Collectors.joining(", "));
    }
}
