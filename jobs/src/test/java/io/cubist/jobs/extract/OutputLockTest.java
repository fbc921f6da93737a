package io.cubist.jobs.extract;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OutputLockTest {

    @Test
    void aSecondRunOnTheSameOutputIsRefusedUntilTheFirstEnds(@TempDir Path dir) throws Exception {
        FileSystem fs = FileSystem.getLocal(new Configuration());
        org.apache.hadoop.fs.Path out = new org.apache.hadoop.fs.Path(dir.resolve("features").toUri());
        try (OutputLock first = OutputLock.acquire(fs, out)) {
            assertTrue(Files.exists(dir.resolve(".features.cubist-lock")));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> OutputLock.acquire(fs, out));
            assertTrue(e.getMessage().contains("in use by another run"), e.getMessage());
            assertTrue(e.getMessage().contains("pid=" + ProcessHandle.current().pid()), e.getMessage());
            assertTrue(e.getMessage().contains(".features.cubist-lock"), e.getMessage());
        }
        assertFalse(Files.exists(dir.resolve(".features.cubist-lock")));
        try (OutputLock again = OutputLock.acquire(fs, out)) {
            assertTrue(Files.exists(dir.resolve(".features.cubist-lock")));
        }
    }
}
