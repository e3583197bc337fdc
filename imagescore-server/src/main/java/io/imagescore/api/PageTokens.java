package io.imagescore.api;

import java.nio.charset.StandardCharsets;
import java.util.Base64;

/**
 * Pages of a listing a caller can grow (ListCampaigns and the page's JSON list): {@code page_size} 0 = {@link #DEFAULT_SIZE},
 * at most {@link #MAX_SIZE}; {@code page_token} empty = the first page, otherwise the {@code next_page_token} of the
 * previous page. A token is an opaque cursor: the listing's kind, its tenant and the last key returned (base64url). The
 * store reads only the caller's tenant anyway; a token of another tenant or listing is refused rather than silently
 * restarting, so a client that mixes them up learns it.
 */
final class PageTokens {
    static final int DEFAULT_SIZE = 100;
    static final int MAX_SIZE = 500;
    private static final String VERSION = "p1";

    /** One page's request: the keys after {@code after} (null: from the first), at most {@code size} of them. */
    record Page(String after, int size) {
    }

    private PageTokens() {
    }

    /** The page asked for; INVALID_REQUEST with field {@code page_size} or {@code page_token} when either is bad. */
    static Page read(String listing, String tenant, int pageSize, String pageToken) {
        if (pageSize < 0 || pageSize > MAX_SIZE) {
            throw RatingService.invalid("page_size", "page_size must be 0 (= " + DEFAULT_SIZE + ") to " + MAX_SIZE + ", got " + pageSize);
        }
        int size = pageSize == 0 ? DEFAULT_SIZE : pageSize;
        if (pageToken == null || pageToken.isEmpty()) {
            return new Page(null, size);
        }
        String[] parts;
        try {
            parts = new String(Base64.getUrlDecoder().decode(pageToken), StandardCharsets.UTF_8).split("\n", -1);
        } catch (IllegalArgumentException e) {
            parts = new String[0];
        }
        if (parts.length != 4 || !parts[0].equals(VERSION) || !parts[1].equals(listing) || parts[3].isEmpty()) {
            throw RatingService.invalid("page_token", "page_token is not a " + listing + " page token; pass the next_page_token of the"
                    + " previous page unchanged, or none for the first page");
        }
        if (!parts[2].equals(tenant)) {
            throw RatingService.invalid("page_token", "page_token belongs to another tenant's " + listing + "; list tenant '" + tenant
                    + "' from its first page");
        }
        return new Page(parts[3], size);
    }

    /** The token of the page after {@code last}, the last key of this page. */
    static String next(String listing, String tenant, String last) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(
                String.join("\n", VERSION, listing, tenant, last).getBytes(StandardCharsets.UTF_8));
    }
}
