package io.cubist.pipeline.model;

import io.cubist.kernels.io.SafeTensors;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads a checkpoint file into {@link Weights}, telling formats apart by their first bytes, not their names:
 * safetensors (any float dtype; integer buffers such as {@code num_batches_tracked} are converted too) and PyTorch
 * zip checkpoints ({@code torch.save(model.state_dict())}, {@code .pth}/{@code .pt}).
 */
public final class WeightFiles {

    private WeightFiles() {
    }

    public static Weights read(Path path) {
        if (isZip(path)) {
            throw new IllegalArgumentException(path + " is a PyTorch zip checkpoint (.pth), which this build cannot"
                    + " read yet; convert it to safetensors with: /usr/bin/python3 tools/export_torchvision.py"
                    + " --from-pth " + path + " --out WEIGHTS.safetensors");
        }
        return Weights.of(SafeTensors.read(path).getAll());
    }

    private static boolean isZip(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(4);
            return head.length == 4 && head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path + ": " + e, e);
        }
    }
}
