package dev.tally.ingest;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tally.schemas.IncrementEvent;
import dev.tally.schemas.Limits;
import dev.tally.schemas.PositionToken;
import dev.tally.topology.TallyConfig;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.LongAdder;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The logic behind the HTTP ingest endpoints: parse and validate, then send (through {@link TallyProducer},
 * usually behind a {@link Coalescer})
 * and wait for the broker's acknowledgement, so an accepted event is durable before the client hears so.
 */
public final class IngestService {

  /** At most this many rejections are listed in a batch response; the count covers all. */
  static final int MAX_LISTED_REJECTIONS = 100;

  private static final Logger log = LoggerFactory.getLogger(IngestService.class);

  private final EventSender producer;
  private final EventSender backfill;
  private final TallyConfig config;
  private final LongAdder unacknowledgedFailures = new LongAdder();
  private final Clock clock;
  private final Duration sendTimeout;
  private final Duration maxFutureSkew;
  private final CounterRateLimit rateLimit;
  private final Limits limits;
  /** Content after the first value is an error: an NDJSON line with two objects once counted the first. */
  private final ObjectMapper json = new ObjectMapper().enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  /**
   * @param producer where live events go
   * @param backfill where history goes (the backfill topic)
   * @param config the topology's: how far in the future an event time may lie, the tiers' retention
   * @param limits batch size, body size and counter id length
   */
  public IngestService(EventSender producer, EventSender backfill, Clock clock, Duration sendTimeout,
      TallyConfig config, CounterRateLimit rateLimit, Limits limits) {
    this.producer = producer;
    this.backfill = backfill;
    this.config = config;
    this.maxFutureSkew = config.maxFutureSkew();
    this.limits = limits;
    this.rateLimit = rateLimit;
    this.clock = clock;
    this.sendTimeout = sendTimeout;
  }

  /** A rejected event of a batch: its index (element or non-blank line, from 0) and why. */
  public record Rejection(int index, String message) {}

  /**
   * How many events of a request were accepted and rejected, with the first rejections listed, and the
   * position token of the accepted ones (pass it as {@code after} to read your writes). {@code durable}
   * is false for an answer given before Kafka acknowledged the events ({@code Prefer: respond-async});
   * such an answer has no position. For history ({@code backfill}), {@code beyondRetention} counts, per
   * tier store, the events older than that tier keeps (judged against now): they count in the coarser
   * tiers and the total only; it is absent otherwise.
   */
  public record Result(int accepted, int rejected, List<Rejection> errors, String position, boolean durable,
      @JsonInclude(JsonInclude.Include.NON_NULL) Map<String, Long> beyondRetention) {}

  /**
   * Accepts one increment of {@code counter}; {@code body} is a JSON object or empty.
   *
   * @param durable answer once Kafka acknowledged the event (true), or once it is handed to the
   *     producer (false: {@code Prefer: respond-async})
   * @throws InvalidEventException if the body or counter is invalid
   * @throws RateLimitedException if the counter is over its events-per-second limit
   * @return the result once Kafka has the event; failed with {@link IngestUnavailableException} if Kafka
   *     did not acknowledge it in time
   */
  public CompletableFuture<Result> increment(String counter, String body, boolean durable) {
    JsonNode node = body == null || body.isBlank() ? json.createObjectNode() : readJson(body);
    IncrementEvent event = parse(node, counter, clock.instant());
    if (!rateLimit.admit(event.getCounter())) {
      throw new RateLimitedException(overLimit(event.getCounter()));
    }
    return answer(List.of(producer.send(event)), 0, List.of(), durable, null);
  }

  /**
   * Accepts a batch: a JSON array of event objects, or NDJSON (one object per line), read as it
   * arrives (see {@link BatchReader}). Valid events are sent even if others are rejected.
   *
   * @param durable as for {@link #increment}
   * @param history send to the backfill topic: counted in its windows without the lateness rule
   * @throws InvalidEventException if the body is not an array or NDJSON, or is empty
   * @throws TooLargeException past {@link Limits#maxBatchEvents} events or {@link Limits#maxBodyBytes} bytes
   * @throws RateLimitedException if no event was accepted and some were over their counter's limit
   *     (others over it are listed as rejections)
   * @return the result once Kafka has the events; failed with {@link IngestUnavailableException} if
   *     Kafka did not acknowledge them in time
   */
  public CompletableFuture<Result> batch(InputStream body, boolean durable, boolean history) {
    BatchReader.Batch batch = new BatchReader(json, limits.maxBatchEvents(), limits.maxBodyBytes()).read(body);
    List<JsonNode> nodes = batch.events();
    if (nodes.isEmpty()) {
      throw new InvalidEventException("the batch is empty: send a JSON array or NDJSON of events");
    }
    List<Rejection> rejections = new ArrayList<>(batch.rejections());
    Instant receivedAt = clock.instant();
    int limited = 0;
    List<CompletableFuture<RecordMetadata>> sends = new ArrayList<>();
    Map<String, Long> beyondRetention = history ? new TreeMap<>() : null;
    for (int i = 0; i < nodes.size(); i++) {
      if (nodes.get(i) == null) {
        continue;
      }
      try {
        IncrementEvent event = parse(nodes.get(i), null, receivedAt);
        if (history) {
          // No rate limit on history: it is an operator's import, not a live client.
          config.tiersBeyondRetention(event.getEventTime().toEpochMilli(), receivedAt.toEpochMilli())
              .forEach(tier -> beyondRetention.merge(tier.store(), 1L, Long::sum));
          sends.add(backfill.send(event));
        } else if (rateLimit.admit(event.getCounter())) {
          sends.add(producer.send(event));
        } else {
          limited++;
          rejections.add(new Rejection(i, overLimit(event.getCounter())));
        }
      } catch (InvalidEventException e) {
        rejections.add(new Rejection(i, e.getMessage()));
      }
    }
    if (sends.isEmpty() && limited > 0) {
      throw new RateLimitedException(limited + " event(s) over their counter's limit of " + rateLimit.perSecond()
          + " events/s, and none accepted; retry in a second");
    }
    rejections.sort(Comparator.comparingInt(Rejection::index));
    List<Rejection> listed = List.copyOf(rejections.subList(0, Math.min(rejections.size(), MAX_LISTED_REJECTIONS)));
    return answer(sends, rejections.size(), listed, durable, beyondRetention);
  }

  /** An event, or why not: {@link EventParser}'s rules and this instance's counter id limit. */
  private IncrementEvent parse(JsonNode node, String counter, Instant receivedAt) {
    IncrementEvent event = EventParser.parse(node, counter, receivedAt, maxFutureSkew);
    int length = event.getCounter().length();
    if (length > limits.maxIdLength()) {
      throw new InvalidEventException("counter id is " + length + " characters long; this server takes at most "
          + limits.maxIdLength() + " (--max-id-length)");
    }
    return event;
  }

  private JsonNode readJson(String body) {
    try {
      return json.readTree(body);
    } catch (JsonProcessingException e) {
      throw new InvalidEventException("body is not valid JSON: " + e.getOriginalMessage());
    }
  }

  private String overLimit(String counter) {
    return "counter '" + counter + "' is over its limit of " + rateLimit.perSecond() + " events/s; retry in a second";
  }

  /**
   * The answer to a request whose accepted events are {@code sends}: once Kafka acknowledged them all
   * ({@code durable}), or at once, before it has; then a send that fails later is counted in
   * {@link #unacknowledgedFailures} and logged, since no client hears of it.
   */
  private CompletableFuture<Result> answer(List<CompletableFuture<RecordMetadata>> sends, int rejected,
      List<Rejection> listed, boolean durable, Map<String, Long> beyondRetention) {
    if (durable) {
      return acknowledged(sends).thenApply(position -> new Result(sends.size(), rejected, listed, position, true,
          beyondRetention));
    }
    sends.forEach(send -> send.whenComplete((metadata, error) -> {
      if (error != null) {
        unacknowledgedFailures.increment();
        log.warn("an event answered before Kafka acknowledged it was lost: {}", error.toString());
      }
    }));
    return CompletableFuture.completedFuture(new Result(sends.size(), rejected, listed, null, false,
        beyondRetention));
  }

  /** Events answered before Kafka acknowledged them ({@code Prefer: respond-async}) that Kafka then refused. */
  public long unacknowledgedFailures() {
    return unacknowledgedFailures.sum();
  }

  /**
   * Their position token once every send is acknowledged, or an {@link IngestUnavailableException} if
   * one failed or the acknowledgements took longer than the send timeout. Nothing waits on a thread.
   */
  private CompletableFuture<String> acknowledged(List<CompletableFuture<RecordMetadata>> sends) {
    return CompletableFuture.allOf(sends.toArray(CompletableFuture[]::new))
        .orTimeout(sendTimeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((done, error) -> {
          if (error != null) {
            Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
            throw new IngestUnavailableException(cause instanceof TimeoutException
                ? "Kafka did not acknowledge the events within " + sendTimeout
                : "Kafka did not acknowledge the events: " + cause, cause);
          }
          return PositionToken.of(sends.stream().map(CompletableFuture::join).toList());
        });
  }
}
