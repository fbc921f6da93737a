package io.cubist.jobs.extract;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.backend.cpu.CpuBackend;
import io.cubist.kernels.backend.opencl.OpenClBackend;
import io.cubist.kernels.device.Device;
import io.cubist.kernels.device.Devices;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.zoo.ModelZoo;
import io.cubist.pipeline.weights.StateDictLoader;
import java.io.File;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.spark.SparkFiles;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;

/**
 * The models of one executor JVM, loaded lazily and kept for the JVM's life: the weights are read and packed once per
 * executor, not once per task. A prepared model runs on one thread at a time, so concurrent tasks of one executor each
 * borrow their own copy (created on first need); the cpu backend's kernel threads are one fixed pool per JVM shared by
 * them, sized by {@link ExtractOptions#kernelThreads()}.
 */
final class ExecutorModels {
    private static final Map<String, Queue<PreparedModel>> FREE = new ConcurrentHashMap<>();
    private static final Map<String, Backend> BACKENDS = new ConcurrentHashMap<>();

    private ExecutorModels() {
    }

    /** A prepared model for the length of a try-with-resources block. */
    record Lease(String key, PreparedModel model, String engine) implements AutoCloseable {
        @Override
        public void close() {
            FREE.get(key).add(model);
        }
    }

    static Lease borrow(SegmentWork o) {
        String key = o.modelLabel() + "|" + o.weights() + "|" + o.backend() + "|" + o.kernelThreads() + "|"
                + o.outputs().layers() + "|" + o.outputs().pool();
        Queue<PreparedModel> free = FREE.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>());
        PreparedModel m = free.poll();
        if (m == null) {
            m = load(o);
        }
        return new Lease(key, m, describe(m.backend(), o));
    }

    /** Reads the weights and builds the model from them (no packing): a file that does not fit throws. */
    static void checkWeights(SegmentWork o) {
        File local = localFile(o.weights()); // the user's own path in messages, where it is a local one
        File f = local != null && local.isFile() ? local : weightsFile(o.weights());
        Model m = ModelZoo.create(o.model(), o.widths(), StateDictLoader.load(f.toPath()));
        if (o.outputs().topK() > 0 && !m.hasClassifier()) {
            throw new IllegalArgumentException("--top-k needs the classifier's weights; " + o.weights() + " has none"
                    + " (features only)");
        }
    }

    private static PreparedModel load(SegmentWork o) {
        Backend backend = backend(o);
        Model model;
        if (o.weights() != null) {
            model = ModelZoo.create(o.model(), o.widths(), StateDictLoader.load(weightsFile(o.weights()).toPath()));
        } else {
            model = ModelZoo.create(o.model(), o.widths(), null);
        }
        return model.prepare(backend, o.outputs().layers(), o.outputs().layerPool());
    }

    /** The weights: the copy Spark shipped to this node (SparkContext.addFile), or the path itself. */
    private static File weightsFile(String weights) {
        String name = new org.apache.hadoop.fs.Path(weights).getName();
        try {
            File shipped = new File(SparkFiles.get(name));
            if (shipped.isFile()) {
                return shipped;
            }
        } catch (RuntimeException e) {
            // no SparkEnv (outside a job): read the path directly
        }
        File local = localFile(weights);
        return local != null ? local : new File(weights);
    }

    /** A path or file: URI on this machine, or null for other file systems. */
    private static File localFile(String weights) {
        java.net.URI u = new org.apache.hadoop.fs.Path(weights).toUri();
        return u.getScheme() == null || u.getScheme().equals("file") ? new File(u.getPath()) : null;
    }

    private static Backend backend(SegmentWork o) {
        // GPUs Spark's resource scheduling gave this task (spark.executor.resource.gpu.amount and
        // conf/gpu-discovery.sh): the task's models run on the OpenCL device behind its first address
        TaskContext tc = TaskContext.get();
        ResourceInformation gpus = tc == null ? null : tc.resourcesJMap().get("gpu");
        if (gpus != null && gpus.addresses().length > 0
                && (o.backend() == null || o.backend().equals(OpenClBackend.NAME))) {
            Device d = Devices.forGpuAddresses(java.util.Arrays.asList(gpus.addresses()), Devices.all()).get(0);
            return BACKENDS.computeIfAbsent(OpenClBackend.NAME + "/" + d.name() + "/" + d.index(),
                    k -> new OpenClBackend(d));
        }
        Backend chosen = Backends.select(o.backend());
        if (!chosen.name().equals(CpuBackend.NAME)) {
            return chosen;
        }
        return BACKENDS.computeIfAbsent(CpuBackend.NAME + "/" + o.kernelThreads(),
                k -> new CpuBackend(Math.max(1, o.kernelThreads())));
    }

    private static String describe(Backend b, SegmentWork o) {
        String threads = b instanceof CpuBackend c ? " (" + c.threads() + " threads)"
                : b instanceof OpenClBackend ocl && ocl.device() != null ? " (" + ocl.device().describe() + ")" : "";
        String executor = org.apache.spark.SparkEnv.get() == null ? "driver"
                : org.apache.spark.SparkEnv.get().executorId();
        return b.name() + threads + " on executor " + executor;
    }
}
