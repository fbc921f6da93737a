import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * ONNX Runtime's CPU provider on one exported model, for tools/bench_models.py: the same clip batch shape, thread
 * budget, warm-up and median as {@code cubist bench --model}. Prints one JSON line.
 *
 * <pre>
 * java -cp onnxruntime-VERSION.jar tools/OrtBench.java MODEL.onnx N,3,T,H,W THREADS WARMUP RUNS
 * </pre>
 */
public final class OrtBench {

    private OrtBench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 5) {
            System.err.println("usage: OrtBench MODEL.onnx N,3,T,H,W THREADS WARMUP RUNS");
            System.exit(2);
        }
        String[] dims = args[1].split(",");
        long[] shape = new long[dims.length];
        long numel = 1;
        for (int i = 0; i < dims.length; i++) {
            shape[i] = Long.parseLong(dims[i].trim());
            numel *= shape[i];
        }
        int threads = Integer.parseInt(args[2]);
        int warmup = Integer.parseInt(args[3]);
        int runs = Integer.parseInt(args[4]);
        float[] x = new float[Math.toIntExact(numel)];
        SplittableRandom r = new SplittableRandom(0);
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) (r.nextDouble() * 2 - 1);
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
            o.setIntraOpNumThreads(threads);
            o.setInterOpNumThreads(1);
            o.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            try (OrtSession s = env.createSession(args[0], o);
                 OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape)) {
                String name = s.getInputNames().iterator().next();
                Map<String, OnnxTensor> feed = Map.of(name, in);
                List<Double> ms = new ArrayList<>();
                for (int i = 0; i < warmup + runs; i++) {
                    long t0 = System.nanoTime();
                    try (OrtSession.Result res = s.run(feed)) {
                        if (i >= warmup) {
                            ms.add((System.nanoTime() - t0) / 1e6);
                        }
                    }
                }
                Collections.sort(ms);
                double median = ms.size() % 2 == 1 ? ms.get(ms.size() / 2)
                        : (ms.get(ms.size() / 2 - 1) + ms.get(ms.size() / 2)) / 2;
                System.out.printf(Locale.ROOT, "{\"ms_median\": %.3f, \"clips_per_sec\": %.4f, \"threads\": %d, "
                        + "\"runs\": %d, \"ort\": \"%s\"}%n", median, shape[0] / (median / 1e3), threads, runs,
                        env.getVersion());
            }
        }
    }
}
