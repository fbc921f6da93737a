package io.cubist.pipeline.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClipDatasetTest {

    @TempDir
    Path dir;

    static ClipDatasetInfo info(ClipLayout.Storage storage) {
        return new ClipDatasetInfo("r3d_18", ClipLayout.of(ClipBatchTest.TF, 4, storage),
                new SamplerSettings(4, 2, 8, TailPolicy.PAD_LAST, 12.5));
    }

    @Test
    void clipsRoundTripThroughArrowIpcFiles() throws Exception {
        try (RootAllocator root = new RootAllocator()) {
            for (ClipLayout.Storage storage : ClipLayout.Storage.values()) {
                Path out = Files.createDirectories(dir.resolve(storage.name()));
                ClipDatasetInfo info = info(storage);
                List<float[]> want = new ArrayList<>();
                for (int file = 0; file < 2; file++) {
                    try (ClipDatasetWriter w = ClipDatasetWriter.create(out.resolve("clips-" + file + ".arrow"), root,
                            info)) {
                        for (int b = 0; b < 2; b++) {
                            try (ClipBatch batch = new ClipBatch(root, "b", info.layout(), 3)) {
                                for (int k = 0; k < 3 - b; k++) {
                                    int idx = file * 100 + b * 10 + k;
                                    SampledClip c = ClipBatchTest.clip(idx, 4, idx);
                                    batch.add("video-" + file + ".mp4", c, ClipBatchTest.TF);
                                    want.add(ClipBatchTest.TF.apply(c.frames()));
                                }
                                w.write(batch);
                            }
                        }
                        assertEquals(5, w.rows());
                    }
                }
                try (ClipDatasetReader r = ClipDatasetReader.open(out, root)) {
                    assertEquals(info, r.info());
                    assertEquals(2, r.files().size());
                    int seen = 0;
                    ClipBatch b;
                    while ((b = r.next(root)) != null) {
                        try (ClipBatch batch = b) {
                            for (int i = 0; i < batch.size(); i++) {
                                int file = seen / 5;
                                int idx = batch.clipIndex(i);
                                assertEquals("video-" + file + ".mp4", batch.video(i));
                                assertEquals(idx * 0.4, batch.startSec(i));
                                assertEquals(idx * 0.4 + 0.4, batch.endSec(i));
                                assertArrayEquals(want.get(seen), batch.clip(i).data(), storage + " clip " + idx);
                                seen++;
                            }
                        }
                    }
                    assertEquals(10, seen);
                    assertNull(r.next(root));
                }
            }
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void theSchemaCarriesThePresetShapeAndNormalization() throws Exception {
        Path f = dir.resolve("one.arrow");
        try (RootAllocator root = new RootAllocator()) {
            try (ClipDatasetWriter w = ClipDatasetWriter.create(f, root, info(ClipLayout.Storage.UINT8))) {
                assertEquals(0, w.rows());
            }
            try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ);
                 ArrowFileReader r = new ArrowFileReader(ch, root)) {
                VectorSchemaRoot v = r.getVectorSchemaRoot();
                Map<String, String> m = v.getSchema().getCustomMetadata();
                assertEquals("r3d_18", m.get("cubist.preset"));
                assertEquals("[3,4,8,10]", m.get("cubist.clip_shape"));
                assertEquals("uint8", m.get("cubist.storage"));
                assertEquals("[0.4,0.5,0.6]", m.get("cubist.mean"));
                assertEquals("12.5", m.get("cubist.fps"));
                assertEquals("pad-last", m.get("cubist.tail"));
                assertEquals(List.of("video", "clip", "start_sec", "end_sec", "pixels"),
                        v.getSchema().getFields().stream().map(x -> x.getName()).toList());
            }
            assertEquals(0, root.getAllocatedMemory());
        }
    }

    @Test
    void aFileWithoutCubistMetadataIsRefusedByName() throws Exception {
        Path f = dir.resolve("plain.arrow");
        try (RootAllocator root = new RootAllocator()) {
            try (VectorSchemaRoot v = VectorSchemaRoot.create(new org.apache.arrow.vector.types.pojo.Schema(
                    List.of(org.apache.arrow.vector.types.pojo.Field.nullable("x",
                            new org.apache.arrow.vector.types.pojo.ArrowType.Int(32, true)))), root);
                 FileChannel ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 org.apache.arrow.vector.ipc.ArrowFileWriter w = new org.apache.arrow.vector.ipc.ArrowFileWriter(v,
                         null, ch)) {
                w.start();
                w.end();
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ClipDatasetReader.open(f, root));
            assertTrue(e.getMessage().contains("cubist.format_version"), e.getMessage());
            assertEquals(0, root.getAllocatedMemory());
        }
    }
}
