package io.cubist.pipeline.model.zoo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.backend.reference.ReferenceBackend;
import io.cubist.kernels.bench.ModelWorkloads;
import io.cubist.kernels.bench.Workload;
import org.junit.jupiter.api.Test;

/** {@code cubist bench --model} finds the zoo through ServiceLoader. */
class ZooWorkloadsTest {

    @Test
    void registeredAndSized() {
        ModelWorkloads zoo = ModelWorkloads.find().orElseThrow();
        assertTrue(zoo instanceof ZooWorkloads, zoo.getClass().getName());
        assertEquals(ModelZoo.names(), zoo.models());
        Workload w = zoo.create("mc3_18", 2, java.util.List.of(new ReferenceBackend()), 0); // prepared, not run
        assertArrayEquals(new int[] {2, 3, 16, 112, 112}, w.inputShape());
        assertArrayEquals(new int[] {2, 512}, w.outputShape());
        assertEquals(2 * 2 * 43_342_635_008L, w.flops().orElseThrow());
    }
}
