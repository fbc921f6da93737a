package io.cubist.kernels.golden;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.op.OpRunner;
import io.cubist.kernels.tensor.Tensor;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every PyTorch golden case on every backend found: the output must match PyTorch's float64 result within
 * {@code 2e-4 * max(1, max|expected|)}; the max error is in every failure message.
 */
class GoldenOpsTest {

    @TestFactory
    Stream<DynamicContainer> everyCaseOnEveryBackend() {
        List<GoldenCases.Case> cases = GoldenCases.all();
        return Backends.providers().stream().map(p -> DynamicContainer.dynamicContainer(p.name(),
                cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
                    assumeTrue(p.unavailableReason() == null,
                            () -> p.name() + " cannot run here: " + p.unavailableReason());
                    check(Backends.select(p.name()), c);
                }))));
    }

    private static void check(Backend backend, GoldenCases.Case c) {
        Tensor y = OpRunner.run(backend, c.spec(), c.readInputs());
        double[] expected = c.expectedValues();
        assertArrayEquals(c.expectedShape(), y.shape(), c.name() + ": output shape");
        double err = GoldenCases.maxError(expected, y.data());
        double tol = GoldenCases.tolerance(expected);
        assertTrue(err <= tol, c.name() + " on " + backend.name() + ": max error " + err + " > tolerance " + tol);
    }

    /** The committed cases cover every op of the contract. */
    @Test
    void everyOpHasCases() {
        Set<String> seen = new HashSet<>();
        GoldenCases.all().forEach(c -> seen.add(c.op()));
        List<String> missing = new ArrayList<>(OpRunner.OPS);
        missing.removeAll(seen);
        assertTrue(missing.isEmpty(), "ops without golden cases: " + missing);
    }
}
