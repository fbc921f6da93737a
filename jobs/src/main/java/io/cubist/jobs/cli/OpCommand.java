package io.cubist.jobs.cli;

import io.cubist.kernels.backend.Backend;
import io.cubist.kernels.backend.Backends;
import io.cubist.kernels.io.SafeTensors;
import io.cubist.kernels.op.OpRunner;
import io.cubist.kernels.tensor.Tensor;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** {@code cubist op}: runs one operation of the contract on tensors from a safetensors file. */
final class OpCommand implements Command {

    @Override
    public String name() {
        return "op";
    }

    @Override
    public String summary() {
        return "run one operation (conv3d, conv_transpose3d, deform_conv3d, pools, ...) on a safetensors file";
    }

    @Override
    public Set<String> valued() {
        return new LinkedHashSet<>(List.of("spec", "in", "out", "backend"));
    }

    @Override
    public String usage() {
        return """
                usage: cubist op --spec SPEC.json --in IN.safetensors --out OUT.safetensors [--backend NAME]

                SPEC.json is {"op": NAME, "args": {...}}; NAME and args follow torch.nn.functional (same names,
                same defaults, ints or lists). IN holds the input tensors named as PyTorch's parameters (input,
                weight, bias, running_mean, running_var, offset, mask); the result is written to OUT as 'output'
                (float32).

                ops: %s
                conv ops also take padding_mode (zeros|reflect|replicate|circular) and flip (true convolution).

                --backend   %s (default: the best available; see cubist backends)""".formatted(
                String.join(", ", OpRunner.OPS), String.join("|", Backends.names()));
    }

    @Override
    public int run(Flags flags) throws Exception {
        Path specPath = flags.inputFile("spec");
        Path in = flags.inputFile("in");
        Path out = Path.of(flags.required("out"));
        Backend backend = EngineFlags.open(EngineFlags.request(flags)).get(0);
        String spec = Files.readString(specPath);
        Map<String, Tensor> tensors = SafeTensors.read(in).getAll();
        Tensor y;
        try {
            y = OpRunner.run(backend, spec, tensors);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(specPath.getFileName() + ": " + e.getMessage(), e);
        }
        SafeTensors.write(out, Map.of("output", y), Map.of("backend", backend.name()));
        return 0;
    }
}
