package io.cubist.pipeline.clip;

import java.io.IOException;
import io.cubist.pipeline.video.SeekableInput;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.BaseFixedWidthVector;
import org.apache.arrow.vector.Float8Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;

/**
 * Reads a clip dataset ({@link ClipDatasetWriter}): one {@code .arrow} file, or every {@code *.arrow} file of a
 * directory in name order (all with the same {@link ClipDatasetInfo}). {@link #next()} returns each record batch as
 * a {@link ClipBatch} the caller closes.
 */
public final class ClipDatasetReader implements AutoCloseable {

    private final List<SeekableInput.Source> files;
    private final BufferAllocator allocator;
    private final ClipDatasetInfo info;
    private int fileIndex = -1;
    private SeekableByteChannel channel;
    private ArrowFileReader reader;
    private int batches;

    private ClipDatasetReader(List<SeekableInput.Source> files, BufferAllocator parent) throws IOException {
        this.files = files;
        this.allocator = parent.newChildAllocator("clip-dataset-reader", 0, Long.MAX_VALUE);
        try {
            ClipDatasetInfo first = null;
            for (SeekableInput.Source f : files) {
                ClipDatasetInfo i = readInfo(f);
                if (first == null) {
                    first = i;
                } else if (!first.equals(i)) {
                    throw new IllegalArgumentException(f + ": dataset info " + i + " differs from " + files.get(0)
                            + "'s " + first);
                }
            }
            this.info = first;
        } catch (IOException | RuntimeException e) {
            allocator.close();
            throw e;
        }
    }

    /** A file, or a directory of {@code *.arrow} files. */
    public static ClipDatasetReader open(Path path, BufferAllocator parent) throws IOException {
        List<Path> files;
        if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.list(path)) {
                files = s.filter(p -> p.getFileName().toString().endsWith(".arrow")).sorted().toList();
            }
            if (files.isEmpty()) {
                throw new IllegalArgumentException(path + ": no .arrow clip files in this directory");
            }
        } else if (Files.isRegularFile(path)) {
            files = List.of(path);
        } else {
            throw new IllegalArgumentException(path + ": no such file or directory");
        }
        return new ClipDatasetReader(files.stream().map(SeekableInput.Source::local).toList(), parent);
    }

    /** One clip file from any random-access source (a Hadoop FileSystem's stream: nothing is copied). */
    public static ClipDatasetReader open(SeekableInput.Source file, BufferAllocator parent) throws IOException {
        return new ClipDatasetReader(List.of(file), parent);
    }

    private ClipDatasetInfo readInfo(SeekableInput.Source f) throws IOException {
        try (SeekableByteChannel ch = f.open().asChannel();
             ArrowFileReader r = new ArrowFileReader(ch, allocator)) {
            return ClipDatasetInfo.fromMetadata(r.getVectorSchemaRoot().getSchema().getCustomMetadata(), f.name());
        }
    }

    public ClipDatasetInfo info() {
        return info;
    }

    /** The files read, by name. */
    public List<String> files() {
        return files.stream().map(SeekableInput.Source::name).toList();
    }

    /** The next record batch as clips (owned by the caller, under {@code parent}), or null when all are read. */
    public ClipBatch next(BufferAllocator parent) throws IOException {
        while (true) {
            if (reader == null) {
                if (fileIndex + 1 >= files.size()) {
                    return null;
                }
                fileIndex++;
                channel = files.get(fileIndex).open().asChannel();
                reader = new ArrowFileReader(channel, allocator);
            }
            if (reader.loadNextBatch()) {
                VectorSchemaRoot root = reader.getVectorSchemaRoot();
                int n = root.getRowCount();
                if (n == 0) {
                    continue;
                }
                return toBatch(root, n, parent);
            }
            closeFile();
        }
    }

    private ClipBatch toBatch(VectorSchemaRoot root, int n, BufferAllocator parent) {
        VarCharVector video = (VarCharVector) root.getVector("video");
        IntVector clip = (IntVector) root.getVector("clip");
        Float8Vector start = (Float8Vector) root.getVector("start_sec");
        Float8Vector end = (Float8Vector) root.getVector("end_sec");
        FixedSizeListVector pixels = (FixedSizeListVector) root.getVector("pixels");
        BaseFixedWidthVector items = (BaseFixedWidthVector) pixels.getDataVector();
        String name = files.get(fileIndex).name();
        ClipBatch batch = new ClipBatch(parent, "clips:" + name.substring(name.lastIndexOf('/') + 1) + "#" + batches++,
                info.layout(), n);
        try {
            long per = info.layout().bytesPerClip();
            for (int i = 0; i < n; i++) {
                batch.addStored(new String(video.get(i), StandardCharsets.UTF_8), clip.get(i), start.get(i),
                        end.get(i), items.getDataBuffer(), i * per);
            }
        } catch (RuntimeException e) {
            batch.close();
            throw e;
        }
        return batch;
    }

    private void closeFile() throws IOException {
        if (reader != null) {
            reader.close();
            reader = null;
        }
        if (channel != null) {
            channel.close();
            channel = null;
        }
    }

    @Override
    public void close() throws IOException {
        try {
            closeFile();
        } finally {
            allocator.close();
        }
    }
}
