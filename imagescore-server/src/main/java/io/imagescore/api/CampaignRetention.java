package io.imagescore.api;

import io.imagescore.error.ImageScoreException;
import io.imagescore.rating.CampaignStore;
import io.quarkus.runtime.Startup;
import jakarta.annotation.PostConstruct;
import jakarta.annotation.PreDestroy;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;
import org.jboss.logging.Logger;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Time-based retention of rating campaigns ({@code imagescore.retention.campaign-idle}, docs/rating.md): a campaign
 * idle for longer (no creation, answer, skip or undo since) is deleted through {@link RatingService#deleteIfIdle}, as
 * its owner would delete it, but only if it is still idle when the delete runs (checked atomically with it, so an
 * answer acknowledged after the sweep listed the campaign keeps it). Idleness is measured on the store's clock
 * ({@link CampaignStore#now()}: the database's with PostgreSQL), so a replica whose clock is off neither deletes an
 * active campaign nor keeps an idle one. Runs a minute after start and then hourly on one daemon thread; every replica
 * may run it (deleting a campaign another replica deleted first is a no-op). Off when the key is unset.
 */
@Startup
@ApplicationScoped
public class CampaignRetention {
    private static final Logger LOG = Logger.getLogger(CampaignRetention.class);

    @Inject
    RetentionConfig config;
    @Inject
    CampaignStore store;
    @Inject
    RatingService rating;

    private ScheduledExecutorService timer;

    @PostConstruct
    void start() {
        if (config.campaignIdle().isEmpty()) {
            return;
        }
        timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "imagescore-campaign-retention");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(() -> {
            try {
                expire();
            } catch (RuntimeException e) {
                LOG.warnf("campaign retention: the sweep failed and runs again in an hour: %s", e.toString());
            }
        }, 1, 60, TimeUnit.MINUTES);
    }

    @PreDestroy
    void stop() {
        if (timer != null) {
            timer.shutdownNow();
        }
    }

    /** Deletes the campaigns with no activity for longer than campaign-idle; returns them as tenant/name. */
    public List<String> expire() {
        List<String> deleted = new ArrayList<>();
        Duration idle = config.campaignIdle().orElse(null);
        if (idle == null) {
            return deleted;
        }
        Instant cutoff = store.now().minus(idle);
        for (CampaignStore.Activity a : store.activity()) {
            if (a.last().isBefore(cutoff)) {
                try {
                    // the listing may be stale by now: the store checks idleness again, atomically with the delete
                    if (rating.deleteIfIdle(a.tenant(), a.name(), idle) == null) {
                        LOG.debugf("campaign retention: %s/%s was answered since it was listed; kept", a.tenant(), a.name());
                        continue;
                    }
                    deleted.add(a.tenant() + "/" + a.name());
                    LOG.infof("campaign retention: deleted %s/%s, idle since %s (imagescore.retention.campaign-idle=%s)",
                            a.tenant(), a.name(), a.last(), idle);
                } catch (ImageScoreException e) {
                    LOG.debugf("campaign retention: %s/%s: %s", a.tenant(), a.name(), e.getMessage()); // deleted meanwhile
                }
            }
        }
        return deleted;
    }
}
