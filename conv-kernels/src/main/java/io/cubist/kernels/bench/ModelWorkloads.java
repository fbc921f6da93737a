package io.cubist.kernels.bench;

import io.cubist.kernels.backend.Backend;
import java.util.List;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Whole-model workloads for {@code cubist bench --model NAME --batch N}. conv-kernels knows no models: the model
 * zoo registers an implementation ({@code META-INF/services/io.cubist.kernels.bench.ModelWorkloads}); without one
 * model mode is unavailable and says so.
 */
public interface ModelWorkloads {

    /** The model names {@link #create} accepts. */
    List<String> models();

    /**
     * The model with random weights from {@code seed} (or its released weights, where the zoo has them), prepared on
     * {@code engines} (one per device; several split the work), on a random clip batch of {@code batch} clips at the
     * model's default clip size.
     */
    Workload create(String model, int batch, java.util.List<Backend> engines, long seed);

    /** The first implementation on the class path, if any. */
    static Optional<ModelWorkloads> find() {
        return ServiceLoader.load(ModelWorkloads.class, ModelWorkloads.class.getClassLoader()).findFirst();
    }
}
