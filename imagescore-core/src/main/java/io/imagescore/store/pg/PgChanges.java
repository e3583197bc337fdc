package io.imagescore.store.pg;

import org.jboss.logging.Logger;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Change announcements between replicas: writers call {@link #announce} inside their transaction (PostgreSQL delivers
 * a NOTIFY on commit, in commit order, to every session listening), and one listener thread per store instance, on a
 * connection of its own, LISTENs and hands each change to the subscribers of its topic within {@link #POLL_MS}.
 * <p>
 * When the listener connection breaks, changes may have been missed: after reconnecting, every subscriber's resync
 * (a full reload) runs before notifications are handled again. Subscribers must be idempotent: they also see the changes
 * their own instance made.
 */
public final class PgChanges implements AutoCloseable {
    /** The one NOTIFY channel of the state store. */
    public static final String CHANNEL = "imagescore_state";
    static final int POLL_MS = 200;
    private static final char SEPARATOR = '\n';
    private static final Logger LOG = Logger.getLogger(PgChanges.class);

    private record Subscriber(Consumer<String> onChange, Runnable onResync) {
    }

    private final DataSource dataSource;
    private final Map<String, List<Subscriber>> subscribers = new ConcurrentHashMap<>();
    private final CountDownLatch firstListen = new CountDownLatch(1);
    private final Thread thread;
    private volatile boolean closed;
    private volatile Connection connection;
    private volatile SQLException startFailure;

    /** Starts listening; returns once LISTEN is in place (so no change committed after this returns is missed). */
    public PgChanges(DataSource dataSource) {
        this.dataSource = dataSource;
        this.thread = Thread.ofPlatform().daemon().name("imagescore-pg-listener").unstarted(this::run);
        thread.start();
        try {
            if (!firstListen.await(30, TimeUnit.SECONDS)) {
                close();
                throw new IllegalStateException("state store: could not LISTEN on PostgreSQL within 30 s");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new IllegalStateException("interrupted while starting the PostgreSQL listener", e);
        }
        if (startFailure != null) {
            close();
            throw new IllegalStateException("state store: cannot LISTEN on PostgreSQL: " + startFailure.getMessage(), startFailure);
        }
    }

    /** Calls {@code onChange(key)} for every change announced under {@code topic}; {@code onResync} after a reconnect. */
    public void subscribe(String topic, Consumer<String> onChange, Runnable onResync) {
        subscribers.computeIfAbsent(topic, t -> new CopyOnWriteArrayList<>()).add(new Subscriber(onChange, onResync));
    }

    /** Announces a change of {@code key} under {@code topic}; delivered when {@code c}'s transaction commits. */
    public static void announce(Connection c, String topic, String key) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
            ps.setString(1, CHANNEL);
            ps.setString(2, topic + SEPARATOR + key);
            ps.execute();
        }
    }

    private void run() {
        long backoffMs = 100;
        boolean first = true;
        while (!closed) {
            try (Connection c = dataSource.getConnection()) {
                connection = c;
                c.setAutoCommit(true);
                try (Statement st = c.createStatement()) {
                    st.execute("LISTEN " + CHANNEL);
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                if (first) {
                    first = false;
                    firstListen.countDown();
                } else {
                    LOG.infof("state store: listening on PostgreSQL again; reloading everything");
                    resyncAll();
                }
                backoffMs = 100;
                while (!closed) {
                    PGNotification[] ns = pg.getNotifications(POLL_MS);
                    if (ns != null) {
                        for (PGNotification n : ns) {
                            dispatch(n.getParameter());
                        }
                    }
                }
            } catch (SQLException | RuntimeException e) {
                if (closed) {
                    break;
                }
                if (first) {
                    startFailure = e instanceof SQLException s ? s : new SQLException(e.getMessage(), e);
                    firstListen.countDown();
                    return;
                }
                LOG.warnf("state store: PostgreSQL listener connection lost (%s); reconnecting in %d ms", e.getMessage(), backoffMs);
                try {
                    Thread.sleep(backoffMs);
                } catch (InterruptedException ie) {
                    break;
                }
                backoffMs = Math.min(5_000, backoffMs * 2);
            } finally {
                connection = null;
            }
        }
    }

    private void dispatch(String payload) {
        int sep = payload.indexOf(SEPARATOR);
        if (sep < 0) {
            return;
        }
        String topic = payload.substring(0, sep);
        String key = payload.substring(sep + 1);
        for (Subscriber s : subscribers.getOrDefault(topic, List.of())) {
            try {
                s.onChange().accept(key);
            } catch (RuntimeException e) {
                LOG.warnf(e, "state store: handling change %s %s failed", topic, key);
            }
        }
    }

    private void resyncAll() {
        subscribers.values().forEach(list -> list.forEach(s -> {
            try {
                s.onResync().run();
            } catch (RuntimeException e) {
                LOG.warnf(e, "state store: reload after reconnect failed");
            }
        }));
    }

    @Override
    public void close() {
        closed = true;
        Connection c = connection;
        thread.interrupt();
        try {
            thread.join(2_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (thread.isAlive() && c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }
}
