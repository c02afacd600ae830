package ai.trainingstore.stream;

import ai.trainingstore.record.EntryParser;
import ai.trainingstore.config.StoreConfig;
import ai.trainingstore.deadletter.DeadLetters;
import ai.trainingstore.kind.RecordKind;
import ai.trainingstore.store.RecordWriter;
import io.quarkus.redis.datasource.ReactiveRedisDataSource;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.jboss.logging.Logger;

/** Starts one consumer per stream when the service starts and drains them when it stops. */
@ApplicationScoped
public class IngestService {

    private static final Logger LOG = Logger.getLogger(IngestService.class);

    private final StoreConfig config;
    private final ReactiveRedisDataSource redis;
    private final RecordWriter writer;
    private final DeadLetters deadLetters;
    private final IngestMetrics metrics;
    private final EntryParser parser;
    private final IngestBudget budget;
    private final List<StreamConsumer> consumers = new ArrayList<>();
    private String consumerName;

    public IngestService(StoreConfig config, ReactiveRedisDataSource redis, RecordWriter writer,
                         DeadLetters deadLetters, IngestMetrics metrics, EntryParser parser, IngestBudget budget) {
        this.config = config;
        this.redis = redis;
        this.writer = writer;
        this.deadLetters = deadLetters;
        this.metrics = metrics;
        this.parser = parser;
        this.budget = budget;
    }

    void onStart(@Observes StartupEvent event) {
        consumerName = config.consumerName().filter(name -> !name.isBlank()).orElseGet(IngestService::hostName);
        for (RecordKind kind : RecordKind.values()) {
            for (int i = 1; i <= config.batch().consumersPerStream(); i++) {
                consumers.add(new StreamConsumer(kind, config.streams().of(kind), config.group(),
                        i == 1 ? consumerName : consumerName + "-" + i,
                        redis, parser, writer, deadLetters, metrics, budget, config));
            }
        }
        LOG.infof("Consuming %d streams, %d consumer(s) each (%d in all), as consumer '%s' of group '%s'",
                RecordKind.values().length, config.batch().consumersPerStream(), consumers.size(), consumerName,
                config.group());
        consumers.forEach(StreamConsumer::start);
    }

    /**
     * Lets every consumer finish the batch in flight (commit, then ack). What is not acknowledged
     * when the time is up stays pending and is claimed later: the writes are idempotent.
     */
    void onStop(@Observes ShutdownEvent event) {
        CompletableFuture<?>[] stopping = consumers.stream().map(StreamConsumer::stop)
                .toArray(CompletableFuture[]::new);
        Duration drain = config.shutdown().drainTimeout();
        try {
            CompletableFuture.allOf(stopping).get(drain.toMillis(), TimeUnit.MILLISECONDS);
            LOG.info("Consumers stopped; every batch in flight was committed and acknowledged");
        } catch (TimeoutException e) {
            LOG.warnf("Consumers did not stop within %s; unacknowledged entries stay pending", drain);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.warn("Consumer stop failed", e);
        }
    }

    public List<ConsumerStatus> status() {
        return consumers.stream()
                .map(consumer -> new ConsumerStatus(consumer.stream(), consumer.consumer(), consumer.isRunning(), consumer.isRetrying(),
                        consumer.sinceLastIteration(), consumer.lastError()))
                .toList();
    }

    private static String hostName() {
        String fromEnvironment = System.getenv("HOSTNAME");
        if (fromEnvironment != null && !fromEnvironment.isBlank()) {
            return fromEnvironment;
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (UnknownHostException e) {
            return "training-store";
        }
    }
}
