package io.cubist.pipeline.clip;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * Writes clips as one Arrow IPC file (the random-access "file" format): one row per clip with {@code video} (utf8),
 * {@code clip} (int32), {@code start_sec}, {@code end_sec} (float64) and {@code pixels}, a fixed-size list of
 * {@code 3·T·H·W} values ({@code uint8} or {@code float32}, {@code [3, T, H, W]} row-major; uint8 pixels are
 * normalized with the metadata's mean and std when read). Each {@link #write(ClipBatch)} is one record batch. The
 * schema metadata is {@link ClipDatasetInfo#toMetadata()}.
 */
public final class ClipDatasetWriter implements AutoCloseable {

    private final ClipDatasetInfo info;
    private final BufferAllocator allocator;
    private final VectorSchemaRoot root;
    private final FileChannel channel;
    private final ArrowFileWriter writer;
    private final Path file;
    private long rows;

    private ClipDatasetWriter(Path file, BufferAllocator parent, ClipDatasetInfo info) throws IOException {
        this.file = file;
        this.info = info;
        this.allocator = parent.newChildAllocator("clip-dataset-writer:" + file.getFileName(), 0, Long.MAX_VALUE);
        VectorSchemaRoot r = null;
        FileChannel ch = null;
        try {
            r = VectorSchemaRoot.create(schema(info), allocator);
            ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                    StandardOpenOption.WRITE);
            this.writer = new ArrowFileWriter(r, null, ch);
            this.writer.start();
        } catch (IOException | RuntimeException e) {
            if (r != null) {
                r.close();
            }
            if (ch != null) {
                ch.close();
            }
            allocator.close();
            throw e;
        }
        this.root = r;
        this.channel = ch;
    }

    public static ClipDatasetWriter create(Path file, BufferAllocator parent, ClipDatasetInfo info) throws IOException {
        return new ClipDatasetWriter(file, parent, info);
    }

    static Schema schema(ClipDatasetInfo info) {
        ArrowType element = info.layout().storage() == ClipLayout.Storage.UINT8 ? new ArrowType.Int(8, false)
                : new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
        Field pixels = new Field("pixels", FieldType.notNullable(new ArrowType.FixedSizeList(info.layout().values())),
                List.of(new Field("item", FieldType.notNullable(element), null)));
        ArrowType float64 = new ArrowType.FloatingPoint(FloatingPointPrecision.DOUBLE);
        return new Schema(List.of(
                new Field("video", FieldType.notNullable(new ArrowType.Utf8()), null),
                new Field("clip", FieldType.notNullable(new ArrowType.Int(32, true)), null),
                new Field("start_sec", FieldType.notNullable(float64), null),
                new Field("end_sec", FieldType.notNullable(float64), null),
                pixels), info.toMetadata());
    }

    public ClipDatasetInfo info() {
        return info;
    }

    public long rows() {
        return rows;
    }

    /** Appends the batch's clips as one record batch. */
    public void write(ClipBatch batch) throws IOException {
        if (!batch.layout().equals(info.layout())) {
            throw new IllegalArgumentException(file + ": batch layout " + batch.layout() + " is not the dataset's "
                    + info.layout());
        }
        int n = batch.size();
        if (n == 0) {
            return;
        }
        root.allocateNew();
        VarCharVector video = (VarCharVector) root.getVector("video");
        IntVector clip = (IntVector) root.getVector("clip");
        Float8Vector start = (Float8Vector) root.getVector("start_sec");
        Float8Vector end = (Float8Vector) root.getVector("end_sec");
        FixedSizeListVector pixels = (FixedSizeListVector) root.getVector("pixels");
        for (int i = 0; i < n; i++) {
            video.setSafe(i, batch.video(i).getBytes(java.nio.charset.StandardCharsets.UTF_8));
            clip.setSafe(i, batch.clipIndex(i));
            start.setSafe(i, batch.startSec(i));
            end.setSafe(i, batch.endSec(i));
            pixels.setNotNull(i);
        }
        int values = Math.multiplyExact(n, info.layout().values());
        BaseFixedWidthVector items = (BaseFixedWidthVector) pixels.getDataVector();
        items.allocateNew(values);
        long bytes = (long) n * info.layout().bytesPerClip();
        items.getDataBuffer().setBytes(0, batch.data(), 0, bytes);
        items.getValidityBuffer().setOne(0L, (values + 7) / 8L);
        items.setValueCount(values);
        root.setRowCount(n);
        writer.writeBatch();
        rows += n;
    }

    @Override
    public void close() throws IOException {
        try {
            writer.end();
            writer.close();
        } finally {
            try {
                root.close();
                channel.close();
            } finally {
                allocator.close();
            }
        }
    }
}
