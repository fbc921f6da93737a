package io.cubist.jobs.extract;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.backend.EngineRequest;
import io.cubist.kernels.backend.opencl.OpenClBackend;
import io.cubist.kernels.device.Device;
import io.cubist.kernels.device.Devices;
import io.cubist.pipeline.model.Model;
import io.cubist.pipeline.model.PreparedModel;
import io.cubist.pipeline.model.zoo.ModelZoo;
import io.cubist.pipeline.weights.StateDictLoader;
import java.io.File;
import java.util.List;
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
        EngineRequest engine = engine(o);
        String key = o.modelLabel() + "|" + o.weights() + "|" + engine + "|" + o.outputs().layers() + "|"
                + o.outputs().pool();
        Queue<PreparedModel> free = FREE.computeIfAbsent(key, k -> new ConcurrentLinkedQueue<>());
        PreparedModel m = free.poll();
        if (m == null) {
            m = load(o, engine);
        }
        return new Lease(key, m, describe(m));
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

    private static PreparedModel load(SegmentWork o, EngineRequest engine) {
        List<Backend> engines = Backends.openAll(engine);
        Model model;
        if (o.weights() != null) {
            model = ModelZoo.create(o.model(), o.widths(), StateDictLoader.load(weightsFile(o.weights()).toPath()));
        } else {
            model = ModelZoo.create(o.model(), o.widths(), null);
        }
        return model.prepare(engines, o.outputs().layers(), o.outputs().layerPool());
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

    /**
     * The engine a task runs on: the settings' request, on the GPUs Spark's resource scheduling gave this task
     * ({@code spark.task.resource.gpu.amount} and {@code conf/gpu-discovery.sh}) when it holds any and no devices
     * were named: all of them, so a task holding two GPUs splits its model over both.
     */
    static EngineRequest engine(SegmentWork o) {
        EngineRequest r = o.engine();
        TaskContext tc = TaskContext.get();
        ResourceInformation gpus = tc == null ? null : tc.resourcesJMap().get("gpu");
        if (gpus != null && gpus.addresses().length > 0 && r.devices().isEmpty()
                && (r.backend() == null || r.backend().equals(OpenClBackend.NAME))) {
            List<String> ids = Devices.forGpuAddresses(java.util.Arrays.asList(gpus.addresses()), Devices.all())
                    .stream().map(Device::id).toList();
            r = r.withBackend(OpenClBackend.NAME).withDevices(ids);
        }
        return r;
    }

    /** The engines and their split, as the manifest records it per executor. */
    private static String describe(PreparedModel m) {
        String executor = org.apache.spark.SparkEnv.get() == null ? "driver"
                : org.apache.spark.SparkEnv.get().executorId();
        String engines = String.join(" + ", m.engines().stream().map(Backend::describe).toList());
        return engines + (m.plan() == null ? "" : " [" + String.join("; ", m.describePlan()) + "]")
                + " on executor " + executor;
    }
}
