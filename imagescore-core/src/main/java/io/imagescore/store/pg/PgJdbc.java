package io.imagescore.store.pg;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/** Transactions on the state store's DataSource; SQL failures become INTERNAL errors naming what was being done. */
final class PgJdbc {
    /** PostgreSQL's SQLSTATE for a unique-constraint violation. */
    static final String UNIQUE_VIOLATION = "23505";

    @FunctionalInterface
    interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private PgJdbc() {
    }

    /** Runs {@code work} in one transaction (committed when it returns, rolled back when it throws). */
    static <T> T inTransaction(DataSource ds, String what, Work<T> work) {
        return inTransaction(ds, what, Connection.TRANSACTION_READ_COMMITTED, work);
    }

    static <T> T inTransaction(DataSource ds, String what, int isolation, Work<T> work) {
        try (Connection c = ds.getConnection()) {
            boolean autoCommit = c.getAutoCommit();
            int previousIsolation = c.getTransactionIsolation();
            c.setAutoCommit(false);
            c.setTransactionIsolation(isolation);
            try {
                T out = work.run(c);
                c.commit();
                return out;
            } catch (SQLException | RuntimeException | Error e) {
                try {
                    c.rollback();
                } catch (SQLException suppressed) {
                    e.addSuppressed(suppressed);
                }
                throw e;
            } finally {
                c.setTransactionIsolation(previousIsolation);
                c.setAutoCommit(autoCommit);
            }
        } catch (SQLException e) {
            throw new ImageScoreException(ErrorCode.INTERNAL, "state store (PostgreSQL): cannot " + what + ": " + e.getMessage(), e);
        }
    }
}
