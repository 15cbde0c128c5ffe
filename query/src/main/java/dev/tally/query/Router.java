package dev.tally.query;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the instance that holds each shard key ({@code queryMetadataForKey}), reads it locally when that
 * is this instance and otherwise asks the owner, one request per owner, all in parallel (the last on the
 * reading thread itself, after the local reads, since most reads need one peer at most). A peer answers
 * from its own copies only, so a request is forwarded at most once. While state moves it retries within
 * a bounded budget, then throws {@link StateUnavailableException}: never a silent zero. Eventual reads fall
 * back to a standby copy when the active cannot answer. Knows nothing of HTTP.
 */
public final class Router {

  private static final Logger log = LoggerFactory.getLogger(Router.class);
  private static final Duration BACKOFF = Duration.ofMillis(50);

  private final LocalStores local;
  private final PeerClient peers;
  private final Duration budget;
  private final AtomicInteger callThreads = new AtomicInteger();
  /** Where peers are asked in parallel: idle threads end after a minute. */
  private final ExecutorService calls = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "tally-peer-call-" + callThreads.incrementAndGet());
    thread.setDaemon(true);
    return thread;
  });

  public Router(LocalStores local, PeerClient peers, Duration budget) {
    this.local = local;
    this.peers = peers;
    this.budget = budget;
  }

  public LocalStores local() {
    return local;
  }

  /** Every read answered, by read. */
  public Map<StoreRead, Fetched> fetch(List<StoreRead> reads, ReadContext context) {
    long deadline = System.nanoTime() + budget.toNanos();
    Map<StoreRead, Fetched> answered = new HashMap<>();
    List<StoreRead> pending = new ArrayList<>(new LinkedHashSet<>(reads));
    while (true) {
      String problem = attempt(pending, context, answered, deadline);
      pending.removeIf(answered::containsKey);
      if (pending.isEmpty()) {
        answered.values().forEach(context::record);
        return answered;
      }
      if (System.nanoTime() + BACKOFF.toNanos() > deadline) {
        throw new StateUnavailableException(pending.size() + " of " + reads.size()
            + " reads could not be answered within " + budget + ": " + problem);
      }
      // State may have moved: the next round asks where each key lives afresh.
      local.forgetMetadata();
      pause();
    }
  }

  /** One round: every pending read tried at its active owner, then (eventual) at a standby. */
  private String attempt(List<StoreRead> pending, ReadContext context, Map<StoreRead, Fetched> answered,
      long deadline) {
    Map<StoreRead, KeyQueryMetadata> where = new HashMap<>();
    Map<HostInfo, List<StoreRead>> byActive = new LinkedHashMap<>();
    String problem = "";
    for (StoreRead read : pending) {
      KeyQueryMetadata metadata = local.metadata(read.store(), read.key());
      if (!hasOwner(metadata)) {
        problem = "no instance owns " + read.key() + " in " + read.store() + " yet";
        continue;
      }
      where.put(read, metadata);
      byActive.computeIfAbsent(metadata.activeHost(), host -> new ArrayList<>()).add(read);
    }
    problem = ask(byActive, where, false, context, answered, problem, deadline);
    // Strong reads, and reads that must include a position (read-your-writes), take the active only.
    if (context.strong() || context.after() != null) {
      return problem;
    }
    Map<HostInfo, List<StoreRead>> byStandby = new LinkedHashMap<>();
    for (StoreRead read : pending) {
      KeyQueryMetadata metadata = where.get(read);
      if (answered.containsKey(read) || metadata == null || metadata.standbyHosts().isEmpty()) {
        continue;
      }
      HostInfo standby = metadata.standbyHosts().contains(local.self()) ? local.self()
          : metadata.standbyHosts().stream().filter(host -> host.port() > 0).findFirst().orElse(null);
      if (standby == null) {
        continue;
      }
      byStandby.computeIfAbsent(standby, host -> new ArrayList<>()).add(read);
    }
    return ask(byStandby, where, true, context, answered, problem, deadline);
  }

  private String ask(Map<HostInfo, List<StoreRead>> byHost, Map<StoreRead, KeyQueryMetadata> where,
      boolean standby, ReadContext context, Map<StoreRead, Fetched> answered, String problem, long deadline) {
    List<HostInfo> remoteHosts = byHost.keySet().stream().filter(host -> !host.equals(local.self())).toList();
    // Every peer but one asked on other threads; the last on this one, once the local reads are done.
    // Each call within what is left of the budget: the one on this thread holds the read up that long.
    Function<HostInfo, List<Fetched>> fetch = host -> peers.fetch(host, byHost.get(host), standby, context.after(),
        Duration.ofNanos(Math.max(0, deadline - System.nanoTime())));
    Map<HostInfo, CompletableFuture<List<Fetched>>> remote = new LinkedHashMap<>();
    for (HostInfo host : remoteHosts.subList(0, Math.max(0, remoteHosts.size() - 1))) {
      remote.put(host, CompletableFuture.supplyAsync(() -> fetch.apply(host), calls));
    }
    String last = problem;
    List<StoreRead> here = byHost.getOrDefault(local.self(), List.of());
    for (StoreRead read : here) {
      try {
        answered.put(read, local.fetch(read, where.get(read), standby, context.after()));
      } catch (StateUnavailableException e) {
        last = e.getMessage();
      }
    }
    if (!remoteHosts.isEmpty()) {
      HostInfo host = remoteHosts.get(remoteHosts.size() - 1);
      CompletableFuture<List<Fetched>> answer;
      try {
        answer = CompletableFuture.completedFuture(fetch.apply(host));
      } catch (RuntimeException e) {
        answer = CompletableFuture.failedFuture(e);
      }
      remote.put(host, answer);
    }
    for (Map.Entry<HostInfo, CompletableFuture<List<Fetched>>> entry : remote.entrySet()) {
      List<StoreRead> reads = byHost.get(entry.getKey());
      try {
        List<Fetched> results = entry.getValue().get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
        for (int i = 0; i < reads.size(); i++) {
          answered.put(reads.get(i), results.get(i));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StateUnavailableException("interrupted while asking " + entry.getKey());
      } catch (ExecutionException e) {
        last = entry.getKey() + " could not answer: " + e.getCause().getMessage();
        log.debug("{} {} reads failed", entry.getKey(), standby ? "standby" : "active", e.getCause());
      } catch (TimeoutException e) {
        last = entry.getKey() + " did not answer within the read budget";
      }
    }
    return last;
  }

  /**
   * Whether the metadata names an active owner. While a partition is unassigned (a rebalance, a dead
   * instance not yet replaced) Kafka Streams answers {@code unavailable:-1} as its host, which is no
   * address to forward to.
   */
  static boolean hasOwner(KeyQueryMetadata metadata) {
    return !KeyQueryMetadata.NOT_AVAILABLE.equals(metadata) && metadata.activeHost() != null
        && !HostInfo.unavailable().equals(metadata.activeHost()) && metadata.partition() >= 0;
  }

  /**
   * The busiest counters of every instance, merged: each instance reports its own active partitions,
   * and a counter whose shards live on several instances is the sum of their reports.
   */
  public List<CounterRate> top(int limit) {
    List<CompletableFuture<List<CounterRate>>> answers = new ArrayList<>();
    for (HostInfo host : hosts()) {
      answers.add(host.equals(local.self()) ? CompletableFuture.completedFuture(local.top(limit))
          : CompletableFuture.supplyAsync(() -> peers.top(host, limit), calls));
    }
    List<CounterRate> all = new ArrayList<>();
    for (CompletableFuture<List<CounterRate>> answer : answers) {
      try {
        all.addAll(answer.get(budget.toMillis(), TimeUnit.MILLISECONDS));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StateUnavailableException("interrupted while gathering the top counters");
      } catch (Exception e) {
        throw new StateUnavailableException("an instance could not report its top counters: " + e.getMessage(), e);
      }
    }
    return CounterRate.top(all, limit);
  }

  /** This instance's Kafka Streams state and input lag, summed over its stream threads' consumers. */
  public InstanceState localState() {
    double lag = 0;
    boolean measured = false;
    for (Metric metric : local.streams().metrics().values()) {
      MetricName name = metric.metricName();
      String client = name.tags().getOrDefault("client-id", "");
      // The stream threads' main consumers: not the restore consumers, not the global one.
      boolean main = client.endsWith("-consumer") && !client.endsWith("-restore-consumer")
          && !client.endsWith("-global-consumer");
      if (main && name.name().equals("records-lag") && name.group().equals("consumer-fetch-manager-metrics")
          && name.tags().containsKey("partition") && metric.metricValue() instanceof Double value && !value.isNaN()) {
        lag += value;
        measured = true;
      }
    }
    return new InstanceState(local.streams().state().toString(), measured ? Math.round(lag) : -1);
  }

  /** Every instance of the application, its state and input lag, and the partitions it holds. */
  public List<InstanceInfo> instances() {
    List<InstanceInfo> result = new ArrayList<>();
    for (StreamsMetadata metadata : local.streams().metadataForAllStreamsClients()) {
      HostInfo host = metadata.hostInfo();
      InstanceState state;
      if (host.equals(local.self())) {
        state = localState();
      } else {
        try {
          state = peers.state(host);
        } catch (RuntimeException e) {
          state = new InstanceState("UNREACHABLE", -1);
        }
      }
      result.add(new InstanceInfo(host.host() + ":" + host.port(), state.state(), state.lag(), host.equals(local.self()),
          metadata.topicPartitions().stream().map(Object::toString).sorted().toList(),
          metadata.standbyTopicPartitions().stream().map(Object::toString).sorted().toList()));
    }
    result.sort(Comparator.comparing(InstanceInfo::address));
    return result;
  }

  private List<HostInfo> hosts() {
    return local.streams().metadataForAllStreamsClients().stream().map(StreamsMetadata::hostInfo).distinct().toList();
  }

  private static void pause() {
    try {
      Thread.sleep(BACKOFF.toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StateUnavailableException("interrupted while waiting for state");
    }
  }
}
