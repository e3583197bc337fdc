package io.imagescore.rating;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import java.util.List;
import java.util.function.UnaryOperator;

/**
 * Rating campaigns, their images and their judgement logs, per tenant. Two implementations, chosen by
 * {@code imagescore.store.kind}: {@link LocalCampaignStore} (files under the data directory, written crash-safely) and
 * {@link io.imagescore.store.pg.PgCampaignStore} (PostgreSQL rows). A judgement is durable when {@link #append}
 * returns; two writers never get the same sequence number.
 */
public interface CampaignStore {
    ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /**
     * Stores a new campaign; CAMPAIGN_EXISTS when the tenant has one of that name, NOT_STORED when one of its images is
     * not stored (checked in the same step as the insert, so a concurrent {@link #delete} cannot take an image away
     * from a campaign being created).
     */
    default void create(String tenant, Campaign campaign) {
        create(tenant, campaign, java.util.Map.of());
    }

    /**
     * Stores the images of {@code uploads} (SHA-256 → bytes) and then the new campaign, as {@link #create(String,
     * Campaign)}; a refused campaign (CAMPAIGN_EXISTS, NOT_STORED) stores none of them. PostgreSQL: one transaction.
     * Local: under the tenant's lock, the name checked before any image is written; a crash between the images and the
     * campaign leaves images that the next start sweeps.
     */
    void create(String tenant, Campaign campaign, java.util.Map<String, byte[]> uploads);

    /**
     * Replaces the campaign with {@code change} applied to its stored state, atomically against other updates and
     * appends (only the raters may change: the name, images and task are fixed). Returns what was stored.
     */
    Campaign update(String tenant, String name, UnaryOperator<Campaign> change);

    /** What {@link #delete} removed. */
    record Deleted(long judgements, int images, long imageBytes) {
    }

    /**
     * Deletes the campaign with its whole log, and those of its images that no other campaign of the tenant uses;
     * UNKNOWN_CAMPAIGN when the tenant has none of that name. A judgement appended concurrently is either deleted with
     * the campaign or refused with UNKNOWN_CAMPAIGN, never kept for a later campaign of the same name.
     */
    default Deleted delete(String tenant, String name) {
        return delete(tenant, name, null);
    }

    /**
     * As {@link #delete(String, String)}; with a non-null {@code idle} (retention) only when the campaign's newest
     * activity ({@link #activity}) is more than {@code idle} before {@link #now()}, decided in the same atomic step as
     * the delete, against appends, on the store's own clock. So an entry appended after a sweep listed the campaign as
     * idle keeps it, an append is either acknowledged and kept or refused, and replicas whose clocks disagree still
     * agree on what is idle. Returns null when the campaign was active since.
     */
    Deleted delete(String tenant, String name, java.time.Duration idle);

    /**
     * The store's clock: what activity times are written with and idleness is measured against. The local store's is
     * this process's (one writing process per data directory); PostgreSQL's is the database's, the same for every
     * replica, so a replica's skewed clock can neither age nor refresh a campaign.
     */
    default java.time.Instant now() {
        return java.time.Instant.now();
    }

    /** UNKNOWN_CAMPAIGN when the tenant has none of that name. */
    Campaign get(String tenant, String name);

    /**
     * A campaign and its newest activity: its creation or its newest log entry (the clock of campaign retention), both
     * times of {@link #now()}.
     */
    record Activity(String tenant, String name, java.time.Instant last) {
        /** The newer of the campaign's creation and its newest log entry's time (null: no entry yet), both ISO-8601. */
        public static java.time.Instant last(String created, String newestEntry) {
            java.time.Instant c = java.time.Instant.parse(created);
            if (newestEntry == null) {
                return c;
            }
            java.time.Instant e = java.time.Instant.parse(newestEntry);
            return e.isAfter(c) ? e : c;
        }
    }

    /** Every tenant's campaigns with their newest activity. */
    List<Activity> activity();

    /** The tenant's campaign names, sorted. */
    List<String> list(String tenant);

    /**
     * At most {@code limit} of the tenant's campaign names after {@code after} (null: from the first), in the order of
     * {@link #list(String)}: one page of a listing (names are ASCII, so code-unit and byte order agree).
     */
    default List<String> list(String tenant, String after, int limit) {
        return list(tenant).stream().filter(n -> after == null || n.compareTo(after) > 0).limit(limit).toList();
    }

    /** Stores an image of the tenant under its SHA-256 (content-addressed: storing it again changes nothing). */
    void putImage(String tenant, String sha256, byte[] content);

    /** The tenant's image with this SHA-256, or null. */
    byte[] image(String tenant, String sha256);

    /** The size in bytes of the tenant's image with this SHA-256, or −1 when it is not stored; reads no image bytes. */
    long imageSize(String tenant, String sha256);

    /** Bytes of all the tenant's stored images (the rating-image-bytes quota). */
    long imageBytes(String tenant);

    /** Appends {@code j} to the campaign's log with the next sequence number; returns it as stored. */
    Judgement append(String tenant, String campaign, Judgement j);

    /** The campaign's log in sequence order. */
    List<Judgement> judgements(String tenant, String campaign);

    /**
     * The campaign's entries numbered after {@code seq}, in sequence order (what a reader holding the log up to
     * {@code seq} lacks); UNKNOWN_CAMPAIGN when the tenant has none of that name.
     */
    default List<Judgement> judgementsAfter(String tenant, String campaign, long seq) {
        return judgements(tenant, campaign).stream().filter(j -> j.seq() > seq).toList();
    }
}
