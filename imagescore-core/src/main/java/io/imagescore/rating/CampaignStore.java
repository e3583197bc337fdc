package io.imagescore.rating;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;

import java.util.List;

/**
 * Rating campaigns, their images and their judgement logs, per tenant. Two implementations, chosen by
 * {@code imagescore.store.kind}: {@link LocalCampaignStore} (files under the data directory, written crash-safely) and
 * {@link io.imagescore.store.pg.PgCampaignStore} (PostgreSQL rows). A judgement is durable when {@link #append}
 * returns; two writers never get the same sequence number.
 */
public interface CampaignStore {
    ObjectMapper JSON = new ObjectMapper().setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Stores a new campaign; CAMPAIGN_EXISTS when the tenant has one of that name. */
    void create(String tenant, Campaign campaign);

    /** UNKNOWN_CAMPAIGN when the tenant has none of that name. */
    Campaign get(String tenant, String name);

    /** The tenant's campaign names, sorted. */
    List<String> list(String tenant);

    /** Stores an image of the tenant under its SHA-256 (content-addressed: storing it again changes nothing). */
    void putImage(String tenant, String sha256, byte[] content);

    /** The tenant's image with this SHA-256, or null. */
    byte[] image(String tenant, String sha256);

    /** Bytes of all the tenant's stored images (the rating-image-bytes quota). */
    long imageBytes(String tenant);

    /** Appends {@code j} to the campaign's log with the next sequence number; returns it as stored. */
    Judgement append(String tenant, String campaign, Judgement j);

    /** The campaign's log in sequence order. */
    List<Judgement> judgements(String tenant, String campaign);
}
