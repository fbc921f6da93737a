package io.cubist.pipeline.weights;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.cubist.kernels.io.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pickles written by hand to attack or break a loader (see tools/make_pth_fixtures.py and hostile.json): each is
 * refused with a WeightFileException that names the file and the problem, and no payload runs. The generator proved
 * that torch.load runs every payload that has a marker file.
 */
class HostileCheckpointTest {
    static Stream<Arguments> cases() {
        Map<String, Object> all = Json.parseObject(new String(Fixtures.bytes("hostile.json"),
                java.nio.charset.StandardCharsets.UTF_8));
        return all.entrySet().stream().map(e -> {
            @SuppressWarnings("unchecked")
            Map<String, Object> c = (Map<String, Object>) e.getValue();
            return Arguments.of(e.getKey(), c.get("refuses"), c.get("marker"));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    @Timeout(value = 20, unit = TimeUnit.SECONDS) // a guard against hangs, not a performance check
    void isRefusedWithoutRunningAnything(String file, String refuses, String marker) throws IOException {
        if (marker != null) {
            Files.deleteIfExists(Path.of(marker));
        }
        Path path = Fixtures.path(file);
        WeightFileException e = assertThrows(WeightFileException.class, () -> StateDictLoader.load(path));
        String m = e.getMessage();
        assertTrue(m.startsWith(path.toString()), m);
        assertTrue(m.contains(refuses), "expected '" + refuses + "' in: " + m);
        if (marker != null) {
            assertFalse(Files.exists(Path.of(marker)), "the payload ran: " + marker + " exists");
            assertTrue(m.contains("archive/data.pkl"), m);
            assertTrue(m.contains("refusing to load the global '" + refuses + "'"), m);
        }
    }

    @Test
    void codeExecutionIsRefusedAtTheGlobalBeforeAnyCall() {
        WeightFileException e = assertThrows(WeightFileException.class,
                () -> StateDictLoader.load(Fixtures.path("evil_os_system.pth")));
        // The GLOBAL opcode is named, not the REDUCE that would have called it.
        assertTrue(e.getMessage().contains("pickle opcode GLOBAL (0x63) at offset"), e.getMessage());
        assertTrue(e.getMessage().contains("may be hostile"), e.getMessage());
        e = assertThrows(WeightFileException.class,
                () -> StateDictLoader.load(Fixtures.path("evil_posix_system.pth")));
        assertTrue(e.getMessage().contains("pickle opcode STACK_GLOBAL (0x93) at offset"), e.getMessage());
    }

    @Test
    void theHandWrittenValidPickleLoads() {
        StateDict sd = StateDictLoader.load(Fixtures.path("handmade.pth"));
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {1f, -2f, 0.5f, 4f}, sd.get("a").data());
        org.junit.jupiter.api.Assertions.assertArrayEquals(new float[] {-2f, 0.5f, 4f}, sd.get("b").data());
    }
}
