package io.imagescore.api;

import io.imagescore.testing.Shared;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.restassured.http.ContentType;
import io.restassured.response.ValidatableResponse;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static io.restassured.RestAssured.given;
import static org.hamcrest.Matchers.containsString;
import static org.hamcrest.Matchers.equalTo;
import static org.hamcrest.Matchers.not;
import static org.hamcrest.Matchers.nullValue;

/**
 * The rating campaign HTTP API's refusals: precise messages, the HTTP status of the reason's gRPC code, stable reasons,
 * nothing internal, and the per-campaign limits (a profile with small ones). The happy path through the page is
 * RaterPageIT. Tests run without a keys file: loopback callers are the local administrator.
 */
@QuarkusTest
@TestProfile(RatingResourceTest.SmallLimits.class)
class RatingResourceTest {
    public static class SmallLimits implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("imagescore.quotas.campaign-images", "3", "imagescore.quotas.campaign-judgements", "3",
                    "imagescore.quotas.campaign-raters", "2", "imagescore.quotas.campaign-rater-tokens", "3",
                    "imagescore.retention.campaign-idle", "P30D", "imagescore.quotas.rating-image-bytes", Long.toString(IMAGE_BYTES));
        }
    }

    private static final String API = "/rating/api/default/campaigns";
    /** The rating-image-bytes quota here: above the ~370 KB of photos the other tests store in tenant "default". */
    static final long IMAGE_BYTES = 450_000;

    static Map<String, String> photo(int i) {
        return Map.of("name", "p" + i + ".jpg", "data", Base64.getEncoder().encodeToString(
                Shared.bytes("data/clive/images/" + (1000 + i) + ".JPG")));
    }

    static Map<String, Object> campaign(String name, String task, List<?> images) {
        return Map.of("name", name, "task", task, "images", images);
    }

    static ValidatableResponse post(String path, Object body) {
        return given().contentType(ContentType.JSON).body(body).post(API + path).then();
    }

    static void refused(ValidatableResponse r, int status, String reason, String message) {
        r.statusCode(status).body("error.reason", equalTo(reason)).body("error.message", containsString(message))
                .body(not(containsString("Exception"))).body(not(containsString("/work/")));
    }

    @Test
    void creation_refusals_are_precise() {
        String name = "c" + UUID.randomUUID().toString().substring(0, 8);
        refused(post("", campaign(name, "stars", List.of(photo(0), photo(1)))), 400, "INVALID_REQUEST", "task must be 'rating'");
        refused(post("", campaign(name, "rating", List.of(photo(0)))), 400, "INVALID_REQUEST", "at least 2 images");
        refused(post("", campaign(name, "rating", List.of(photo(0), photo(0)))), 400, "INVALID_REQUEST",
                "images[1] is the same image as images[0]");
        refused(post("", campaign(name, "rating", List.of(photo(0), Map.of("data", "bm90IGFuIGltYWdl")))), 400,
                "UNSUPPORTED_FORMAT", "images[1]");
        refused(post("", campaign(name, "rating", List.of(photo(0), Map.of("sha256", "0".repeat(64))))), 404,
                "NOT_STORED", "upload its data");
        refused(post("", campaign(name, "rating", List.of(photo(0), photo(1), photo(2), photo(3)))), 429,
                "QUOTA_EXCEEDED", "imagescore.quotas.campaign-images");
        refused(post("", Map.of("name", name, "task", "rating", "head", "nope", "images", List.of(photo(0), photo(1)))),
                404, "UNKNOWN_SCORE", "nope");
        refused(given().contentType(ContentType.JSON).body("{not json").post(API).then(), 400, "INVALID_REQUEST", "not valid JSON");
        refused(given().get(API + "/missing").then(), 404, "UNKNOWN_CAMPAIGN", "no campaign 'missing'");
        refused(given().get("/rating/api/Bad%20Tenant/campaigns").then(), 400, "INVALID_REQUEST", "tenant");

        post("", campaign(name, "rating", List.of(photo(0), photo(1)))).statusCode(201);
        refused(post("", campaign(name, "rating", List.of(photo(0), photo(1)))), 409, "CAMPAIGN_EXISTS", name);
        // the images were stored: a campaign may name them by hash alone
        String sha = given().get(API + "/" + name + "/state").then().statusCode(200).extract().path("item.sha256");
        post("", campaign(name + "-b", "pairwise", List.of(Map.of("sha256", sha), photo(2)))).statusCode(201);
    }

    @jakarta.inject.Inject
    CampaignRetention retention;
    @jakarta.inject.Inject
    io.imagescore.rating.CampaignStore store;
    @jakarta.inject.Inject
    RatingService rating;

    /**
     * imagescore.retention.campaign-idle (30 days here): a campaign created 40 days ago and never answered is deleted
     * with its own photo; one as old but answered today, and a new one, stay. Retention's delete of the answered one (a
     * sweep that listed it just before the answer) keeps it: the store checks its activity again.
     */
    @Test
    void campaigns_idle_past_the_retention_are_deleted() {
        String suffix = UUID.randomUUID().toString().substring(0, 8);
        byte[] own = Shared.bytes("data/clive/images/1040.JPG");
        byte[] shared = Shared.bytes("data/clive/images/1041.JPG");
        String ownSha = io.imagescore.score.ScoringPipeline.sha256(own);
        String sharedSha = io.imagescore.score.ScoringPipeline.sha256(shared);
        String longAgo = java.time.Instant.now().minus(java.time.Duration.ofDays(40)).toString();
        for (String name : List.of("idle-" + suffix, "answered-" + suffix)) {
            List<String> images = name.startsWith("idle") ? List.of(ownSha, sharedSha) : List.of(sharedSha);
            store.create("default", new io.imagescore.rating.Campaign(name, name, io.imagescore.rating.Campaign.Task.RATING,
                    "mobilenetv2-default", "quality_fast", List.of("1", "2", "3", "4"),
                    images.stream().map(h -> new io.imagescore.rating.Campaign.Image(h, h, 0)).toList(),
                    List.of(), 0, longAgo), Map.of(ownSha, own, sharedSha, shared));
        }
        io.imagescore.rating.Judgement answer = store.append("default", "answered-" + suffix, io.imagescore.rating.Judgement.rate("owner", 0, 3));
        post("", campaign("new-" + suffix, "rating", List.of(photo(7), photo(8)))).statusCode(201);

        List<String> deleted = retention.expire();
        org.assertj.core.api.Assertions.assertThat(deleted).contains("default/idle-" + suffix)
                .doesNotContain("default/answered-" + suffix, "default/new-" + suffix);
        org.assertj.core.api.Assertions.assertThat(store.list("default")).doesNotContain("idle-" + suffix)
                .contains("answered-" + suffix, "new-" + suffix);
        org.assertj.core.api.Assertions.assertThat(store.image("default", ownSha)).isNull();
        org.assertj.core.api.Assertions.assertThat(store.image("default", sharedSha)).isEqualTo(shared);
        refused(given().get(API + "/idle-" + suffix).then(), 404, "UNKNOWN_CAMPAIGN", "idle-" + suffix);
        // a sweep that listed 'answered' before its answer: the delete checks again and keeps it
        org.assertj.core.api.Assertions.assertThat(rating.deleteIfIdle("default", "answered-" + suffix,
                java.time.Duration.ofDays(30))).isNull();
        org.assertj.core.api.Assertions.assertThat(store.judgements("default", "answered-" + suffix)).containsExactly(answer);
    }

    /**
     * imagescore.quotas.rating-image-bytes: campaigns of 3 new CLIVE photos each in a fresh tenant are created until
     * their bytes would pass the quota; exactly that campaign is refused, and none of its photos is stored (a campaign
     * naming one of them by hash then gets NOT_STORED). Photos uploaded again while stored add no bytes.
     */
    @Test
    void rating_image_bytes_are_a_quota() {
        String tenant = "bytes-" + UUID.randomUUID().toString().substring(0, 8);
        String api = "/rating/api/" + tenant + "/campaigns";
        long stored = 0;
        for (int k = 0; ; k++) {
            List<Map<String, String>> images = new ArrayList<>();
            long bytes = 0;
            for (int i = 0; i < 3; i++) {
                String name = (1050 + 3 * k + i) + ".JPG";
                byte[] b = Shared.bytes("data/clive/images/" + name);
                bytes += b.length;
                images.add(Map.of("name", name, "data", Base64.getEncoder().encodeToString(b)));
            }
            ValidatableResponse r = given().contentType(ContentType.JSON).body(campaign("c" + k, "pairwise", images)).post(api).then();
            if (stored + bytes <= IMAGE_BYTES) {
                r.statusCode(201);
                stored += bytes;
                continue;
            }
            refused(r, 429, "QUOTA_EXCEEDED", "imagescore.quotas.rating-image-bytes");
            r.body("error.metadata.limit", equalTo(Long.toString(IMAGE_BYTES)));
            String sha = io.imagescore.score.ScoringPipeline.sha256(Base64.getDecoder().decode(images.getFirst().get("data")));
            String kept = io.imagescore.score.ScoringPipeline.sha256(Shared.bytes("data/clive/images/1050.JPG"));
            refused(given().contentType(ContentType.JSON).body(campaign("named", "pairwise", List.of(Map.of("sha256", kept),
                    Map.of("sha256", sha)))).post(api).then(), 404, "NOT_STORED", sha);
            org.assertj.core.api.Assertions.assertThat(k).as("campaigns before the quota").isGreaterThan(2);
            // the photos of campaign c1 uploaded again: stored already, so they add no bytes
            List<Map<String, String>> again = new ArrayList<>();
            long againBytes = 0;
            for (int i = 3; i < 6; i++) {
                byte[] b = Shared.bytes("data/clive/images/" + (1050 + i) + ".JPG");
                againBytes += b.length;
                again.add(Map.of("data", Base64.getEncoder().encodeToString(b)));
            }
            org.assertj.core.api.Assertions.assertThat(stored + againBytes).as("counted again, they would pass the quota")
                    .isGreaterThan(IMAGE_BYTES);
            given().contentType(ContentType.JSON).body(campaign("again", "rating", again)).post(api).then().statusCode(201);
            org.assertj.core.api.Assertions.assertThat(store.imageBytes(tenant)).isEqualTo(stored);
            return;
        }
    }

    /** Raters per campaign: active ones at creation and when added, and every token issued (revoked ones included). */
    @Test
    void raters_per_campaign_are_bounded() {
        String name = "r" + UUID.randomUUID().toString().substring(0, 8);
        Map<String, Object> three = new java.util.HashMap<>(campaign(name, "rating", List.of(photo(5), photo(6))));
        three.put("raters", 3);
        refused(post("", three), 429, "QUOTA_EXCEEDED", "imagescore.quotas.campaign-raters");
        three.put("raters", 2);
        post("", three).statusCode(201).body("raters.rater", equalTo(List.of("r1", "r2")));
        refused(post("/" + name + "/raters?count=1", Map.of()), 429, "QUOTA_EXCEEDED", "imagescore.quotas.campaign-raters");
        post("/" + name + "/raters/r1/revoke", Map.of()).statusCode(200);
        post("/" + name + "/raters?count=1", Map.of()).statusCode(200).body("raters[0].rater", equalTo("r3"));
        post("/" + name + "/raters/r2/revoke", Map.of()).statusCode(200);
        refused(post("/" + name + "/raters?count=1", Map.of()), 429, "QUOTA_EXCEEDED", "imagescore.quotas.campaign-rater-tokens");
    }

    @Test
    void answer_refusals_and_the_log_limit() {
        String name = "a" + UUID.randomUUID().toString().substring(0, 8);
        String token = post("", campaign(name, "rating", List.of(photo(3), photo(4)))).statusCode(201)
                .extract().path("raters[0].token");
        String q = "?token=" + token;
        int item = given().get(API + "/" + name + "/state" + q).then().statusCode(200).body("total", equalTo(2))
                .extract().path("item.index");
        refused(post("/" + name + "/answers" + q, Map.of("item", item, "rating", 5)), 400, "INVALID_REQUEST", "rating must be 1, 2, 3 or 4");
        refused(post("/" + name + "/answers" + q, Map.of("item", 7, "rating", 2)), 400, "INVALID_REQUEST", "image index 0–1");
        refused(post("/" + name + "/answers?token=rtk_nope", Map.of("item", item, "rating", 2)), 401, "UNAUTHENTICATED", "rater token");
        refused(post("/" + name + "/undo" + q, Map.of()), 400, "INVALID_REQUEST", "nothing to undo");
        post("/" + name + "/answers" + q, Map.of("item", item, "rating", 2)).statusCode(200).body("done", equalTo(1));
        refused(post("/" + name + "/answers" + q, Map.of("item", item, "rating", 3)), 400, "INVALID_REQUEST", "already answered");
        post("/" + name + "/undo" + q, Map.of()).statusCode(200).body("done", equalTo(0)).body("item.index", equalTo(item));
        post("/" + name + "/answers" + q, Map.of("item", item, "rating", 3)).statusCode(200);
        // three log entries (answer, undo, answer): the fourth is over imagescore.quotas.campaign-judgements
        int other = 1 - item;
        refused(post("/" + name + "/answers" + q, Map.of("item", other, "rating", 1)), 429, "QUOTA_EXCEEDED",
                "imagescore.quotas.campaign-judgements");
        // one rater: no item has two ratings, so the agreement values are null (not the non-JSON token NaN)
        given().get(API + "/" + name).then().statusCode(200).body("agreement.answers", equalTo(1))
                .body("agreement.alpha", nullValue()).body("progress.r1", equalTo(1));
        refused(given().post(API + "/" + name + "/fit").then(), 400, "INSUFFICIENT_LABELS", "");
        refused(given().get(API + "/" + name + "/export?format=xml").then(), 400, "INVALID_REQUEST", "csv or jsonl");
        List<String> csv = new ArrayList<>(given().get(API + "/" + name + "/export?format=csv").then().statusCode(200)
                .contentType(containsString("text/csv")).extract().asString().lines().toList());
        org.assertj.core.api.Assertions.assertThat(csv).hasSize(2);
        org.assertj.core.api.Assertions.assertThat(csv.get(1)).contains(",r1,rating,p" + (3 + item) + ".jpg,").endsWith(",3,,,");
    }
}
