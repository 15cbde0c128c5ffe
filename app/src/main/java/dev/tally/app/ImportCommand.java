package dev.tally.app;

import dev.tally.ingest.EventLines;
import dev.tally.ingest.InvalidEventException;
import dev.tally.ingest.ShardCounts;
import dev.tally.ingest.TallyProducer;
import dev.tally.schemas.PositionToken;
import dev.tally.topology.TallyConfig;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;
import java.util.zip.GZIPInputStream;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.ProducerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code tally import FILE|-}: events from a file, NDJSON or CSV ({@code .gz} read as it is), sent at
 * full speed through {@link TallyProducer}, with a live progress line. Bad lines go to the rejects file
 * with their line number and reason. Every second, and at the end, the last line up to which every
 * line was acknowledged by Kafka (or rejected) goes to {@code FILE.progress}: {@code --resume} starts
 * after it. Ends with the position token of everything it wrote, for reads with {@code ?after=}.
 */
@Command(name = "import", mixinStandardHelpOptions = true,
    description = "Send events from a file (NDJSON or CSV with a header; .gz as is; - reads stdin) at full speed.")
final class ImportCommand implements Callable<Integer> {

  private static final Duration TICK = Duration.ofSeconds(1);

  @Parameters(paramLabel = "FILE|-", description = "NDJSON (one event object per line) or CSV with a header.")
  String file;

  @Option(names = "--bootstrap-servers", defaultValue = "127.0.0.1:9092",
      description = "Kafka (default: ${DEFAULT-VALUE}, the broker of a default `tally serve`).")
  String bootstrapServers;

  @Option(names = "--kafka-config", paramLabel = "FILE",
      description = "Kafka client properties (security.protocol, sasl.*, ssl.*) for a secured cluster.")
  Path kafkaConfig;

  @Option(names = "--format", description = "NDJSON or CSV (default: from the file name, .csv or .csv.gz is CSV).")
  EventLines.Format format;

  @Option(names = "--backfill",
      description = "History: send to tally.backfill, counted in its minute and hour buckets without the lateness rule.")
  boolean backfill;

  @Option(names = "--resume", description = "Start after the last line a previous run saw acknowledged (FILE.progress).")
  boolean resume;

  @Option(names = "--allow-rejects", description = "Exit 0 even if some lines were rejected.")
  boolean allowRejects;

  @Option(names = "--rejects", paramLabel = "FILE", description = "Where bad lines go (default: FILE.rejects).")
  Path rejectsFile;

  @Option(names = "--max-future-skew", defaultValue = "PT1H",
      description = "As the instances' --max-future-skew: an event time further ahead is rejected (default: ${DEFAULT-VALUE}).")
  Duration maxFutureSkew;

  @Override
  public Integer call() throws Exception {
    boolean stdin = file.equals("-");
    if (stdin && resume) {
      System.err.println("tally import: --resume needs a file; stdin cannot be read twice");
      return 2;
    }
    Path input = stdin ? null : Path.of(file);
    Path progressFile = stdin ? null : Path.of(file + ".progress");
    Path rejects = rejectsFile != null ? rejectsFile : Path.of(stdin ? "stdin.rejects" : file + ".rejects");
    long resumeAfter = resume && Files.exists(progressFile) ? Long.parseLong(Files.readString(progressFile).strip()) : 0;
    if (resume) {
      System.err.printf("resuming after line %,d%n", resumeAfter);
    }
    long size = stdin ? -1 : Files.size(input);

    Map<String, Object> kafka = KafkaConfigFile.clientSettings(kafkaConfig, bootstrapServers);
    Map<String, Object> producerSettings = new HashMap<>(kafka);
    // Full speed: when the producer's buffer is full a send waits for the broker, as long as it takes.
    producerSettings.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, (int) Duration.ofMinutes(5).toMillis());
    // Bulk: fuller batches, fewer requests for the broker (on a laptop, it shares the CPU with the import).
    producerSettings.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    producerSettings.put(ProducerConfig.LINGER_MS_CONFIG, 20);

    TallyConfig config = TallyConfig.defaults().withMaxFutureSkew(maxFutureSkew);
    String topic = backfill ? config.backfillTopic() : config.incrementsTopic();
    int partitions;
    try (Admin admin = Admin.create(kafka)) {
      for (String needed : List.of(topic, config.shardConfigTopic())) {
        if (!TallyTopics.exists(admin, needed)) {
          // The producer would wait for it, send after send: refuse instead.
          System.err.printf("tally import: topic %s does not exist at %s; start tally serve against this "
              + "cluster once, it creates Tally's topics%n", needed, bootstrapServers);
          return 2;
        }
      }
      partitions = TallyTopics.partitions(admin, topic);
    }
    Progress progress = new Progress(resumeAfter, topic, partitions);
    CountDownLatch finished = new CountDownLatch(1);
    // Ctrl-C: stop reading, let what was sent be acknowledged, save where this run stopped.
    Thread hook = new Thread(() -> {
      progress.stopping = true;
      try {
        finished.await(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "tally-import-stop");
    Runtime.getRuntime().addShutdownHook(hook);
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor();
    long started = System.nanoTime();
    CountingStream counted = new CountingStream(stdin ? System.in : Files.newInputStream(input));
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(
            file.endsWith(".gz") ? new GZIPInputStream(counted, 1 << 16) : counted, StandardCharsets.UTF_8), 1 << 16);
        ShardCounts shards = new ShardCounts(kafka, TallyConfig.SHARD_CONFIG_TOPIC);
        TallyProducer producer = new TallyProducer(producerSettings, TallyConfig.INCREMENTS_TOPIC, shards::of);
        Rejects rejected = new Rejects(rejects, resume)) {
      ticker.scheduleAtFixedRate(() -> {
        progress.save(progressFile);
        System.err.print("\r" + progress.line(counted.count, size, started) + "   ");
      }, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
      EventLines lines = new EventLines(reader, format != null ? format : stdin ? EventLines.Format.NDJSON
          : EventLines.formatOf(file), Clock.systemUTC(), config.maxFutureSkew());
      for (EventLines.Line line = lines.next(); line != null && !progress.stopping; line = lines.next()) {
        if (line.number() <= resumeAfter) {
          continue;
        }
        long number = line.number();
        if (line.event() == null) {
          rejected.add(line);
          progress.rejected.increment();
          progress.read(number);
          continue;
        }
        // Pending before read: the watermark never passes a line that is on its way.
        AtomicInteger chunk = progress.sending(number);
        progress.read(number);
        if (backfill) {
          config.tiersBeyondRetention(line.event().getEventTime().toEpochMilli(), System.currentTimeMillis())
              .forEach(tier -> progress.beyondRetention.computeIfAbsent(tier.store(), store -> new LongAdder())
                  .increment());
        }
        producer.sendTo(topic, line.event(), (metadata, error) -> {
          if (error == null) {
            progress.sent.increment();
            progress.offsets.accumulateAndGet(metadata.partition(), metadata.offset(), Math::max);
            chunk.decrementAndGet();
          } else {
            progress.failed.increment();
            progress.firstFailure.compareAndSet(null, error);
          }
        });
      }
      producer.flush();
    } catch (InvalidEventException e) {
      // A CSV header that is not one: nothing of the file can be read.
      System.err.println("\rtally import: " + e.getMessage());
      return 2;
    } finally {
      ticker.shutdownNow();
      progress.save(progressFile);
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // already shutting down
      }
    }
    return report(progress, counted.count, size, started, rejects, progressFile);
  }

  private int report(Progress progress, long read, long size, long started, Path rejects, Path progressFile) {
    PrintStream out = System.out;
    System.err.println("\r" + progress.line(read, size, started) + "   ");
    out.printf("imported %,d events, rejected %,d lines%s, failed %,d sends%n", progress.sent.sum(),
        progress.rejected.sum(), progress.rejected.sum() > 0 ? " (see " + rejects + ")" : "", progress.failed.sum());
    if (progress.failed.sum() > 0) {
      out.println("first failure: " + progress.firstFailure.get());
    }
    progress.beyondRetention.forEach((store, events) -> out.printf(
        "%,d events are older than %s keeps: counted in the coarser tiers and the total only%n", events.sum(), store));
    long through = progress.watermark();
    if (progressFile != null && (progress.stopping || progress.failed.sum() > 0)) {
      out.printf("stopped: every line up to %,d is in Kafka or rejected; run again with --resume to go on from line %,d%n",
          through, through + 1);
    }
    String token = PositionToken.encode(progress.position());
    if (token != null) {
      out.println("position: " + token + "   (read with ?after=" + token + " to see every event of this import)");
    }
    boolean complete = !progress.stopping && progress.failed.sum() == 0;
    return complete && (allowRejects || progress.rejected.sum() == 0) ? 0 : 1;
  }

  /** What this run has done, for the progress line, the progress file and the report. */
  private static final class Progress {
    final LongAdder sent = new LongAdder();
    final LongAdder rejected = new LongAdder();
    final LongAdder failed = new LongAdder();
    final AtomicReference<Throwable> firstFailure = new AtomicReference<>();
    final String topic;
    /** Per partition of {@code topic}, the offset of the last event acknowledged there (-1: none). */
    final AtomicLongArray offsets;
    /** History only: per tier store, the events older than it keeps. */
    final Map<String, LongAdder> beyondRetention = new ConcurrentSkipListMap<>();
    /**
     * Lines are followed in chunks of this many, one counter each: a sorted set of every line on its
     * way cost a sixth of an import's CPU. A resume may send up to a chunk of lines again.
     */
    static final int CHUNK = 4_096;
    /** Per chunk ({@code line / CHUNK}), its lines handed to the producer and not yet acknowledged. */
    final ConcurrentSkipListMap<Long, AtomicInteger> pending = new ConcurrentSkipListMap<>();
    /** The chunk lines are sent from now: no line of an earlier chunk is sent any more. */
    volatile long filling = -1;
    private AtomicInteger fillingPending;
    final long resumeAfter;
    final AtomicLong lastRead;
    volatile boolean stopping;

    Progress(long resumeAfter, String topic, int partitions) {
      this.resumeAfter = resumeAfter;
      this.topic = topic;
      this.offsets = new AtomicLongArray(partitions);
      for (int p = 0; p < partitions; p++) {
        offsets.set(p, -1);
      }
      lastRead = new AtomicLong(resumeAfter);
    }

    /** Before {@code line} goes to the producer (reading thread only): what its acknowledgement decrements. */
    AtomicInteger sending(long line) {
      if (line / CHUNK != filling) {
        fillingPending = new AtomicInteger();
        pending.put(line / CHUNK, fillingPending);
        filling = line / CHUNK;
      }
      fillingPending.incrementAndGet();
      return fillingPending;
    }

    /** Where this import's events are: reads after it see every one. */
    Map<String, Map<Integer, Long>> position() {
      Map<Integer, Long> written = new HashMap<>();
      for (int p = 0; p < offsets.length(); p++) {
        if (offsets.get(p) >= 0) {
          written.put(p, offsets.get(p));
        }
      }
      return Map.of(topic, written);
    }

    void read(long line) {
      lastRead.set(line);
    }

    /** Every line up to this one is acknowledged or rejected. */
    long watermark() {
      // Read the last line first: a line is counted as pending before it counts as read.
      long last = lastRead.get();
      long current = filling;
      for (Iterator<Map.Entry<Long, AtomicInteger>> chunks = pending.entrySet().iterator(); chunks.hasNext(); ) {
        Map.Entry<Long, AtomicInteger> chunk = chunks.next();
        if (chunk.getValue().get() > 0) {
          return Math.max(resumeAfter, Math.min(last, chunk.getKey() * CHUNK - 1));
        }
        if (chunk.getKey() < current) {
          chunks.remove();
        }
      }
      return last;
    }

    void save(Path progressFile) {
      if (progressFile == null) {
        return;
      }
      try {
        Path temporary = progressFile.resolveSibling(progressFile.getFileName() + ".tmp");
        Files.writeString(temporary, watermark() + "\n");
        Files.move(temporary, progressFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write " + progressFile, e);
      }
    }

    String line(long read, long size, long started) {
      double seconds = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
      double rate = sent.sum() / seconds;
      String share = "";
      if (size > 0) {
        double done = Math.min(1.0, read / (double) size);
        long eta = done > 0 ? Math.round(seconds / done - seconds) : 0;
        share = String.format("  %5.1f%%  ETA %d:%02d", 100 * done, eta / 60, eta % 60);
      }
      return String.format("%,d events  %,.0f/s%s  rejected %,d  failed %,d", sent.sum(), rate, share,
          rejected.sum(), failed.sum());
    }
  }

  /** The rejects file, opened at the first rejected line: {@code line N: reason<TAB>the line}. */
  private static final class Rejects implements AutoCloseable {
    private final Path path;
    private final boolean append;
    private BufferedWriter writer;

    Rejects(Path path, boolean append) {
      this.path = path;
      this.append = append;
    }

    void add(EventLines.Line line) throws IOException {
      if (writer == null) {
        writer = append
            ? Files.newBufferedWriter(path, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND)
            : Files.newBufferedWriter(path, StandardCharsets.UTF_8);
      }
      writer.write("line " + line.number() + ": " + line.problem() + "\t" + line.text());
      writer.newLine();
    }

    @Override
    public void close() throws IOException {
      if (writer != null) {
        writer.close();
      }
    }
  }

  /** Counts the bytes read from the file itself (before decompression), for the share done. */
  private static final class CountingStream extends FilterInputStream {
    volatile long count;

    CountingStream(InputStream in) {
      super(in);
    }

    @Override
    public int read() throws IOException {
      int b = super.read();
      if (b >= 0) {
        count++;
      }
      return b;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
      int n = super.read(buffer, offset, length);
      if (n > 0) {
        count += n;
      }
      return n;
    }
  }
}
