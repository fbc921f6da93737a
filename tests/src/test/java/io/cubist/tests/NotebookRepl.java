package io.cubist.tests;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;
import scala.jdk.javaapi.CollectionConverters;
import scala.tools.nsc.Settings;
import scala.tools.nsc.interpreter.IMain;
import scala.tools.nsc.interpreter.Results;
import scala.tools.nsc.interpreter.shell.ReplReporterImpl;

/**
 * A spark-shell for a note's paragraphs: Spark's Scala REPL set up the way {@code org.apache.spark.repl.Main} does
 * it (class-based line wrappers compiled to a directory that executors load REPL classes from through
 * {@code spark.repl.class.outputDir}; {@code spark} and {@code sc} defined; {@code spark.implicits._},
 * {@code spark.sql} and {@code functions._} imported), then each file named on the command line interpreted as one
 * unit, as Zeppelin's Spark interpreter runs a paragraph. Between paragraphs it prints marker lines
 * {@code <<<paragraph N begin>>>} and {@code <<<paragraph N end: RESULT>>>} (RESULT: Success, Error or Incomplete)
 * on standard output, where the REPL and the paragraphs print too. It stops at the first paragraph that does not
 * succeed and exits with status 1 then.
 *
 * <p>Spark 4.2's own {@code spark-repl} artifact is not in the registry this build resolves from (its newest there
 * is 3.5.3, whose {@code Main} does not link against Spark 4), so this class does its few lines of setup itself on
 * the same Scala 2.13 interpreter.
 */
public final class NotebookRepl {

    private NotebookRepl() {
    }

    public static void main(String[] args) throws Exception {
        Path classes = Files.createTempDirectory("repl-classes");
        SparkConf conf = new SparkConf()
                .setIfMissing("spark.master", "local[2]")
                .setIfMissing("spark.app.name", "Spark shell")
                .setIfMissing("spark.sql.catalogImplementation", "in-memory")
                .set("spark.repl.class.outputDir", classes.toString());
        SparkSession session = SparkSession.builder().config(conf).getOrCreate();
        Holder.session = session;

        Settings settings = new Settings();
        settings.processArguments(CollectionConverters.asScala(List.of("-Yrepl-class-based", "-Yrepl-outdir",
                classes.toString(), "-usejavacp")).toList(), true);
        PrintWriter out = new PrintWriter(System.out, true, StandardCharsets.UTF_8);
        IMain repl = new IMain(settings, new ReplReporterImpl(settings, out));
        int status = 0;
        try {
            String init = """
                    @transient val spark = io.cubist.tests.NotebookRepl.Holder.session
                    @transient val sc = spark.sparkContext
                    import org.apache.spark.SparkContext._
                    import spark.implicits._
                    import spark.sql
                    import org.apache.spark.sql.functions._
                    """;
            Results.Result r = repl.interpret(init);
            if (!(r instanceof Results.Success$)) {
                throw new IllegalStateException("the REPL's set-up lines did not compile: " + r);
            }
            for (int i = 0; i < args.length; i++) {
                String code = Files.readString(Path.of(args[i]), StandardCharsets.UTF_8);
                System.out.println("<<<paragraph " + (i + 1) + " begin>>>");
                System.out.flush();
                Results.Result result = repl.interpret(code);
                scala.Console.out().flush();
                out.flush();
                System.out.flush();
                String name = result instanceof Results.Success$ ? "Success"
                        : result instanceof Results.Error$ ? "Error" : "Incomplete";
                System.out.println("<<<paragraph " + (i + 1) + " end: " + name + ">>>");
                System.out.flush();
                if (!name.equals("Success")) {
                    status = 1;
                    break;
                }
            }
        } finally {
            repl.close();
            session.stop();
        }
        System.exit(status);
    }

    /** The session the REPL's {@code spark} is bound to. */
    public static final class Holder {
        public static volatile SparkSession session;

        private Holder() {
        }
    }
}
