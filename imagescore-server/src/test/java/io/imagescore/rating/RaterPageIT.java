package io.imagescore.rating;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.protobuf.ByteString;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;
import io.imagescore.api.v1.CreatePromptSetVersionRequest;
import io.imagescore.api.v1.ImageInput;
import io.imagescore.api.v1.ImageScoreGrpc;
import io.imagescore.api.v1.PromptAttribute;
import io.imagescore.api.v1.PromptPair;
import io.imagescore.api.v1.PromptSetSpec;
import io.imagescore.api.v1.PromptSetsGrpc;
import io.imagescore.api.v1.ScoreOptions;
import io.imagescore.api.v1.ScoreRequest;
import io.imagescore.tenant.ApiKeys;
import io.imagescore.tenant.Role;
import io.imagescore.testing.ServerProcess;
import io.imagescore.testing.Shared;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.interactions.Actions;
import org.openqa.selenium.support.ui.WebDriverWait;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The rater page end to end in headless Chromium (Debian {@code chromium} + {@code chromium-driver}) against the
 * packaged server as a child process ({@link ServerProcess}): a 20-image rating campaign created with a
 * {@code configure} API key, rated by keyboard only (1–4, S skip, U undo), the page reloaded half-way, the server
 * restarted, and then every answer found in the CSV and JSONL exports and the page; the fit button publishes a head
 * version, and the tune button a prompt-set version (the ratings follow one of the candidate wordings). Basic
 * accessibility is asserted on the way (every button and image named, a visible focus outline). A screenshot goes to
 * {@code target/failsafe-reports/}. Without Chromium the test is skipped, unless {@code CI} is set.
 */
class RaterPageIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    private static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    private static final Pattern IMAGE_INDEX = Pattern.compile("/images/(\\d+)\\?");

    @TempDir
    Path tmp;

    private final HttpClient http = HttpClient.newHttpClient();
    private WebDriver browser;
    private ServerProcess server;

    @AfterEach
    void stop() throws Exception {
        if (browser != null) {
            browser.quit();
        }
        if (server != null) {
            server.process().destroy();
            server.process().waitFor(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void twentyImagesByKeyboardSurviveReloadAndRestart() throws Exception {
        boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER);
        if (System.getenv("CI") == null) {
            Assumptions.assumeTrue(present, "headless Chromium is not installed (apt-get install chromium chromium-driver)");
        }
        assertThat(present).as("CI installs chromium and chromium-driver (.ci/run)").isTrue();

        ApiKeys.NewKey owner = ApiKeys.create("acme", Set.of(Role.CONFIGURE, Role.SCORE));
        ApiKeys.NewKey other = ApiKeys.create("other", Set.of(Role.CONFIGURE));
        Path keys = tmp.resolve("keys");
        Files.writeString(keys, owner.line() + "\n" + other.line() + "\n");
        // the tiny CLIP test pack beside the default one: the tune button needs a text encoder
        Map<String, String> props = Map.of("imagescore.security.api-keys-file", keys.toString(), "imagescore.packs.dirs",
                Shared.root().resolve("packs/mobilenetv2-default") + ","
                        + Shared.root().resolve("imagescore-core/src/test/resources/packs/clip-tiny"));
        server = ServerProcess.start(tmp.resolve("server"), props);

        // a 20-image rating campaign from the shared CLIVE photos
        List<Map<String, String>> images = new ArrayList<>();
        try (var files = Files.list(Shared.path("data/clive/images"))) {
            for (Path p : files.sorted().limit(20).toList()) {
                images.add(Map.of("name", p.getFileName().toString(), "data", Base64.getEncoder().encodeToString(Files.readAllBytes(p))));
            }
        }
        int[] planted = ratingsFollowingBrightness(owner.key(), images);
        JsonNode created = call("POST", "/rating/api/acme/campaigns", owner.key(), Map.of("name", "photos", "title",
                "Product photos", "task", "rating", "raters", 1, "images", images), 201);
        String token = created.path("raters").get(0).path("token").asText();
        assertThat(token).startsWith("rtk_");
        // tenancy: the other tenant neither lists nor reads it
        assertThat(call("GET", "/rating/api/other/campaigns", other.key(), null, 200).path("campaigns")).isEmpty();
        assertThat(call("GET", "/rating/api/acme/campaigns/photos", other.key(), null, 403).path("error").path("reason").asText())
                .isEqualTo("TENANT_MISMATCH");
        assertThat(call("GET", "/rating/api/acme/campaigns/photos/state?token=rtk_forged", null, null, 401)
                .path("error").path("reason").asText()).isEqualTo("UNAUTHENTICATED");

        browser = chromium();
        browser.get(pageUrl(token));
        waitForDone(0);

        // accessibility: every button has an accessible name, the photo has alt text, focus is visible
        for (WebElement b : browser.findElements(By.tagName("button"))) {
            assertThat(b.getAccessibleName()).as("accessible name of %s", b.getAttribute("outerHTML")).isNotBlank();
        }
        assertThat(browser.findElement(By.id("img-first")).getAttribute("alt")).startsWith("Photo: ");
        assertThat(browser.findElement(By.id("progress")).getAccessibleName()).contains("Progress");
        new Actions(browser).sendKeys(Keys.TAB).perform();
        WebElement focused = browser.switchTo().activeElement();
        assertThat(focused.getTagName()).isEqualTo("button");
        assertThat(focused.getCssValue("outline-style")).isEqualTo("solid");
        assertThat(focused.getCssValue("outline-width")).isEqualTo("3px");

        Map<Integer, Integer> expected = new LinkedHashMap<>();
        for (int i = 0; i < 10; i++) {
            rate(expected, planted);
        }
        // skip, then undo the skip: the same photo comes back
        int skipped = shownIndex();
        press("s");
        waitForDone(11);
        assertThat(shownIndex()).isNotEqualTo(skipped);
        press("u");
        waitForDone(10);
        assertThat(shownIndex()).isEqualTo(skipped);
        // undo a rating with Backspace, then rate it again
        press("3");
        waitForDone(11);
        press(Keys.BACK_SPACE);
        waitForDone(10);
        assertThat(shownIndex()).isEqualTo(skipped);

        browser.navigate().refresh(); // nothing lost: the page state comes from the server
        waitForDone(10);
        assertThat(shownIndex()).isEqualTo(skipped);
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> (Boolean) ((org.openqa.selenium.JavascriptExecutor) d)
                .executeScript("const i = document.getElementById('img-first'); return i.complete && i.naturalWidth > 0;"));
        screenshot("RaterPageIT-rating.png");
        for (int i = 10; i < 20; i++) {
            rate(expected, planted);
        }
        assertThat(browser.findElement(By.id("finished")).isDisplayed()).isTrue();
        assertThat(expected).hasSize(20);

        // restart the server (SIGTERM, then a new process on the same data directory)
        server.process().destroy();
        assertThat(server.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
        server = ServerProcess.start(tmp.resolve("server"), props);

        browser.get(pageUrl(token));
        waitForDone(20);
        assertThat(browser.findElement(By.id("progress-text")).getText()).isEqualTo("20 of 20");

        // every answer, exactly, in both export formats
        String csv = text("/rating/api/acme/campaigns/photos/export?format=csv", owner.key());
        List<String> lines = csv.lines().toList();
        assertThat(lines.getFirst()).isEqualTo("seq,created,rater,task,image,image_sha256,rating,second,second_sha256,outcome");
        Map<String, Integer> byName = new LinkedHashMap<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] f = line.split(",", -1);
            byName.put(f[4], Integer.parseInt(f[6]));
        }
        Map<String, Integer> wanted = new LinkedHashMap<>();
        expected.forEach((i, r) -> wanted.put(images.get(i).get("name"), r));
        assertThat(byName).isEqualTo(wanted);
        String jsonl = text("/rating/api/acme/campaigns/photos/export?format=jsonl", owner.key());
        assertThat(jsonl.lines()).hasSize(20);
        for (String line : jsonl.lines().toList()) {
            JsonNode row = JSON.readTree(line);
            assertThat(row.path("rating").asInt()).isEqualTo(wanted.get(row.path("image").asText()));
        }
        JsonNode summary = call("GET", "/rating/api/acme/campaigns/photos", owner.key(), null, 200);
        assertThat(summary.path("progress").path("r1").asInt()).isEqualTo(20);
        assertThat(summary.path("agreement").path("answers").asInt()).isEqualTo(20);

        // the owner's page: the fit button publishes a head version and shows it
        browser.get("http://localhost:" + server.port() + "/rating");
        browser.findElement(By.id("tenant")).clear();
        browser.findElement(By.id("tenant")).sendKeys("acme");
        browser.findElement(By.id("key")).sendKeys(owner.key());
        browser.findElement(By.id("refresh")).click();
        By fit = By.cssSelector("button[aria-label='Fit a head on photos']");
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> !d.findElements(fit).isEmpty());
        browser.findElement(fit).click();
        new WebDriverWait(browser, Duration.ofSeconds(120)).until(d -> d.findElement(By.id("status")).getText().startsWith("Fitted"));
        assertThat(browser.findElement(By.id("status")).getText()).startsWith("Fitted head photos version 1 (regression, 20 examples");

        // the tune button (keyboard: focus it, Enter) runs label tuning on the ratings and shows the prompt set's new
        // version: the ratings follow the brightness wording, which is one of the candidates
        browser.findElement(By.id("tune-pack")).sendKeys("clip-tiny");
        WebElement candidates = browser.findElement(By.id("tune-candidates"));
        candidates.clear();
        candidates.sendKeys("Good photo. / Bad photo.\nBright photo. / Dark photo.");
        WebElement tune = browser.findElement(By.cssSelector("button[aria-label='Tune prompt wordings on the ratings of photos']"));
        assertThat(tune.getAccessibleName()).isNotBlank();
        tune.sendKeys(Keys.ENTER);
        new WebDriverWait(browser, Duration.ofSeconds(120)).until(d -> d.findElement(By.id("status")).getText().matches("(Tuned|No new).*"));
        assertThat(browser.findElement(By.id("status")).getText())
                .matches("Tuned prompt set rated version 1 \\(reliable: cross-validated SRCC 0\\.\\d+ \\(p=.*, 20 images\\); chosen \\d pair\\(s\\)\\)");
        screenshot("RaterPageIT-owner.png");

        // the owner adds a rater (the new link is shown once) and revokes r1, by keyboard on the page
        browser.findElement(By.cssSelector("button[aria-label='Add a rater to photos']")).sendKeys(Keys.ENTER);
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> d.findElement(By.id("status")).getText().startsWith("Added rater r2"));
        String added = browser.findElement(By.cssSelector("#links a")).getAttribute("href");
        assertThat(added).contains("/rating/acme/photos?token=rtk_");
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> !d.findElements(By.cssSelector("#revoke-photos option[value='r2']")).isEmpty());
        new org.openqa.selenium.support.ui.Select(browser.findElement(By.id("revoke-photos"))).selectByValue("r1");
        browser.findElement(By.cssSelector("button[aria-label='Revoke the chosen rater of photos']")).sendKeys(Keys.ENTER);
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> d.findElement(By.id("status")).getText().startsWith("Revoked rater r1"));
        // a revoked token: 403 RATER_REVOKED on the page and its API; the new rater starts; the answers stay in the export
        assertThat(call("GET", "/rating/api/acme/campaigns/photos/state?token=" + token, null, null, 403).path("error")
                .path("reason").asText()).isEqualTo("RATER_REVOKED");
        HttpResponse<String> page = http.send(HttpRequest.newBuilder(URI.create(pageUrl(token))).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(page.statusCode()).isEqualTo(403);
        assertThat(page.body()).contains("was revoked");
        assertThat(text("/rating/api/acme/campaigns/photos/export?format=csv", owner.key()).lines().skip(1)).hasSize(20);
        assertThat(call("GET", "/rating/api/acme/campaigns/photos/state?token=" + added.substring(added.indexOf("token=") + 6),
                null, null, 200).path("rater").asText()).isEqualTo("r2");


        // a pairwise campaign: ← / A, → / B, C / Space by keyboard, exported with the side each answer chose
        List<Map<String, String>> six = images.subList(0, 6);
        JsonNode pairs = call("POST", "/rating/api/acme/campaigns", owner.key(), Map.of("name", "pairs", "task", "pairwise",
                "comparisons", 4, "images", six), 201);
        browser.get("http://localhost:" + server.port() + "/rating/acme/pairs?token=" + pairs.path("raters").get(0).path("token").asText());
        waitForDone(0);
        List<String> shownLeft = new ArrayList<>();
        CharSequence[] answers = {Keys.ARROW_LEFT, "b", "c", " "};
        for (int i = 0; i < answers.length; i++) {
            shownLeft.add(six.get(shownIndex()).get("name"));
            press(answers[i]);
            waitForDone(i + 1);
        }
        List<String> rows = text("/rating/api/acme/campaigns/pairs/export?format=csv", owner.key()).lines().skip(1).toList();
        assertThat(rows).hasSize(4);
        List<String> outcomes = rows.stream().map(r -> r.substring(r.lastIndexOf(',') + 1)).toList();
        assertThat(outcomes).containsExactly("first", "second", "tie", "tie");
        assertThat(rows.stream().map(r -> r.split(",")[4]).toList()).isEqualTo(shownLeft);
        screenshot("RaterPageIT-pairs-finished.png");

        // the owner deletes the pairwise campaign (after confirming); its photos stay, as the rating campaign uses them
        browser.get("http://localhost:" + server.port() + "/rating");
        browser.findElement(By.id("refresh")).click();
        By delete = By.cssSelector("button[aria-label='Delete campaign pairs']");
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> !d.findElements(delete).isEmpty());
        browser.findElement(delete).sendKeys(Keys.ENTER);
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(org.openqa.selenium.support.ui.ExpectedConditions.alertIsPresent()).accept();
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d -> d.findElement(By.id("status")).getText().startsWith("Deleted"));
        assertThat(browser.findElement(By.id("status")).getText()).isEqualTo("Deleted pairs: 4 log entries, 0 images (0 bytes).");
        assertThat(call("GET", "/rating/api/acme/campaigns/pairs", owner.key(), null, 404).path("error").path("reason").asText())
                .isEqualTo("UNKNOWN_CAMPAIGN");
        assertThat(call("GET", "/rating/api/acme/campaigns", owner.key(), null, 200).path("campaigns").toString()).isEqualTo("[\"photos\"]");
    }

    /**
     * Ratings 1–4 by the quartile of each image's clip-tiny score for "Bright photo." against "Dark photo." (a prompt
     * set made for the probe, scored by the server under test), so that label tuning must find that wording reliable.
     */
    private int[] ratingsFollowingBrightness(String key, List<Map<String, String>> images) {
        Metadata md = new Metadata();
        md.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + key);
        ManagedChannel channel = ManagedChannelBuilder.forAddress("localhost", server.port()).usePlaintext().build();
        try {
            var auth = MetadataUtils.newAttachHeadersInterceptor(md);
            PromptSetsGrpc.newBlockingStub(channel).withInterceptors(auth).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .createPromptSetVersion(CreatePromptSetVersionRequest.newBuilder().setName("probe").setSpec(PromptSetSpec.newBuilder()
                            .addAttributes(PromptAttribute.newBuilder().setName("bright")
                                    .addPairs(PromptPair.newBuilder().setPositive("Bright photo.").setNegative("Dark photo.")))).build());
            ScoreRequest.Builder req = ScoreRequest.newBuilder().setOptions(ScoreOptions.newBuilder().setPack("clip-tiny").setPromptSet("probe"));
            images.forEach(i -> req.addImages(ImageInput.newBuilder().setId(i.get("name"))
                    .setData(ByteString.copyFrom(Base64.getDecoder().decode(i.get("data"))))));
            double[] bright = ImageScoreGrpc.newBlockingStub(channel).withInterceptors(auth).withDeadlineAfter(60, TimeUnit.SECONDS)
                    .score(req.build()).getResultsList().stream().mapToDouble(r -> r.getScores().getScoresList().stream()
                            .filter(s -> s.getName().equals("bright")).findFirst().orElseThrow().getValue()).toArray();
            double[] sorted = bright.clone();
            java.util.Arrays.sort(sorted);
            int[] ratings = new int[bright.length];
            for (int i = 0; i < bright.length; i++) {
                ratings[i] = 1 + java.util.Arrays.binarySearch(sorted, bright[i]) * 4 / bright.length;
            }
            return ratings;
        } finally {
            channel.shutdownNow();
        }
    }

    private void screenshot(String name) throws Exception {
        Path reports = Shared.root().resolve("imagescore-server/target/failsafe-reports");
        Files.createDirectories(reports);
        Files.write(reports.resolve(name), ((TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
    }

    private void rate(Map<Integer, Integer> expected, int[] planted) {
        int item = shownIndex();
        int rating = planted[item];
        press(Integer.toString(rating));
        waitForDone(expected.size() + 1);
        assertThat(expected.put(item, rating)).as("photo %d shown twice", item).isNull();
    }

    private void press(CharSequence key) {
        new Actions(browser).sendKeys(key).perform();
    }

    private int shownIndex() {
        Matcher m = IMAGE_INDEX.matcher(browser.findElement(By.id("img-first")).getAttribute("src"));
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    private void waitForDone(int done) {
        new WebDriverWait(browser, Duration.ofSeconds(20)).until(d ->
                Integer.toString(done).equals(d.findElement(By.id("rater")).getAttribute("data-done")));
    }

    private String pageUrl(String token) {
        return "http://localhost:" + server.port() + "/rating/acme/photos?token=" + token;
    }

    private static WebDriver chromium() {
        ChromeOptions options = new ChromeOptions().setBinary(CHROMIUM.toFile())
                .addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,900");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile()).build();
        return new ChromeDriver(service, options);
    }

    private JsonNode call(String method, String path, String key, Object body, int status) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path))
                .timeout(Duration.ofSeconds(120)).header("Content-Type", "application/json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofByteArray(JSON.writeValueAsBytes(body)));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as("%s %s: %s", method, path, r.body()).isEqualTo(status);
        return JSON.readTree(r.body());
    }

    private String text(String path, String key) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path))
                .header("Authorization", "Bearer " + key).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return r.body();
    }
}
