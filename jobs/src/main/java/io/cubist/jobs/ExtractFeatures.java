package io.cubist.jobs;

import io.cubist.jobs.cli.Main;

/**
 * The {@code spark-submit} entry point of the main job:
 * <pre>
 * spark-submit --class io.cubist.jobs.ExtractFeatures jobs/target/cubist-jobs-VERSION-all.jar \
 *     --input PATH... --output DIR [--model r2plus1d_18] [--weights FILE] ...
 * </pre>
 * It takes the flags of {@code cubist extract} (see {@code cubist extract --help}) and runs on the session
 * {@code spark-submit} configured (its master and resources); {@code --master} is only for the launcher.
 */
public final class ExtractFeatures {

    private ExtractFeatures() {
    }

    public static void main(String[] args) {
        String[] all = new String[args.length + 1];
        all[0] = "extract";
        System.arraycopy(args, 0, all, 1, args.length);
        int code = Main.run(all);
        if (code != 0) {
            System.exit(code);
        }
    }
}
