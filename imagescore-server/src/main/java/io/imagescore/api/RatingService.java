package io.imagescore.api;

import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.annotation.JsonNaming;
import io.imagescore.fit.Calibrate;
import io.imagescore.fit.Comparison;
import io.imagescore.fit.FitKind;
import io.imagescore.fit.FitReport;
import io.imagescore.fit.FitSpec;
import io.imagescore.fit.ImageRef;
import io.imagescore.fit.LabelledImage;
import io.imagescore.fit.TenantHeads;
import io.imagescore.image.PreprocessMode;
import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.image.PreprocessModes;
import io.imagescore.pack.ModelPack;
import io.imagescore.pack.PackRegistry;
import io.imagescore.prompt.LabelTuner;
import io.imagescore.prompt.LabelTuning;
import io.imagescore.rating.Agreement;
import io.imagescore.rating.Campaign;
import io.imagescore.rating.CampaignPosterior;
import io.imagescore.rating.CampaignPosteriors;
import io.imagescore.rating.CampaignStore;
import io.imagescore.rating.Judgement;
import io.imagescore.rating.JudgementLog;
import io.imagescore.rating.PairOutcome;
import io.imagescore.rating.RaterQueue;
import io.imagescore.score.ImageInput;
import io.imagescore.score.Outcome;
import io.imagescore.score.ScoredImage;
import io.imagescore.score.ScoringPipeline;
import io.imagescore.tenant.ApiKeys;
import io.imagescore.tenant.TenantNames;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.inject.Inject;

import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Pattern;

/**
 * Rating campaigns (docs/rating.md): creating one (images stored in the tenant's state, priors from the campaign's
 * head through the scoring pipeline, rater tokens), what a rater sees next, storing answers, export, agreement and the
 * fit action. Transport-free: {@link RatingResource} is its HTTP edge and has already checked the caller.
 */
@ApplicationScoped
public class RatingService {
    static final String TOKEN_PREFIX = "rtk_";
    static final String DEFAULT_HEAD = "quality_fast";
    static final int MAX_TEXT = 500;
    private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

    @Inject
    CampaignStore store;
    /** Each campaign's log and posterior between requests; the store's log stays the truth. */
    @Inject
    CampaignPosteriors posteriors;
    @Inject
    Quotas quotas;
    @Inject
    PackRegistry packs;
    @Inject
    ScoringPipeline pipeline;
    /** The fit action takes FitHead's domain path (built-ins read-only, kind kept, quotas, retention, deadline). */
    @Inject
    TenantHeads heads;
    /** The tune action takes TuneLabels' path (base version, quotas, storing, retention). */
    @Inject
    PromptTuning tuning;

    /** One campaign's log is appended by one request at a time in this process, so a quota check and its write agree. */
    private final Map<String, ReentrantLock> appendLocks = new ConcurrentHashMap<>();

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record NewImage(String name, String data, String sha256) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record NewCampaign(String name, String title, String task, String pack, String head, List<String> anchors,
                              Integer raters, Integer comparisons, List<NewImage> images) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record RaterLink(String rater, String token, String url) {
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Created(String name, String task, int images, List<RaterLink> raters,
                          @com.fasterxml.jackson.annotation.JsonIgnore Campaign campaign) {
    }

    /** The anchors of the 1–4 scale when the creator gives none. */
    static final List<String> DEFAULT_ANCHORS = List.of("Bad: unusable, the product cannot be judged",
            "Poor: visible problems (blur, exposure, clutter)", "Good: usable, minor flaws",
            "Excellent: sharp, well lit, the product stands out");

    /**
     * One image of a new campaign, from either edge: its encoded bytes ({@code data}) or the SHA-256 of an image the
     * tenant stored with an earlier campaign; exactly one of them.
     */
    public record ImageSource(String name, byte[] data, String sha256) {
    }

    /**
     * A new campaign as both edges give it (the JSON API, CreateCampaign): null or empty = the default, checked only
     * by {@link #create(String, Spec, String)}.
     */
    public record Spec(String name, String title, String task, String pack, String head, List<String> anchors,
                       Integer raters, Integer comparisons, List<ImageSource> images) {
    }

    /** The JSON API's create: base64 images decoded here (a bad one names its field), then {@link #create(String, Spec, String)}. */
    public Created create(String tenant, NewCampaign req, String baseUrl) {
        if (req == null) {
            throw invalid("body", "send the campaign as JSON: name, task, images");
        }
        List<ImageSource> images = new ArrayList<>();
        List<NewImage> given = req.images() == null ? List.of() : req.images();
        // the count first: a body of a million images is refused before any of them is decoded
        quotas.checkCampaign(tenant, given.size(), req.raters() == null ? 1 : req.raters());
        for (int i = 0; i < given.size(); i++) {
            NewImage im = given.get(i);
            byte[] data = null;
            if (im != null && im.data() != null) {
                try {
                    data = Base64.getMimeDecoder().decode(im.data());
                } catch (IllegalArgumentException e) {
                    throw invalid("images[" + i + "]", "images[" + i + "].data is not base64");
                }
            }
            images.add(im == null ? null : new ImageSource(im.name(), data, im.sha256()));
        }
        return create(tenant, new Spec(req.name(), req.title(), req.task(), req.pack(), req.head(), req.anchors(),
                req.raters(), req.comparisons(), images), baseUrl);
    }

    /**
     * Creates a campaign (both edges): checks every field and the quotas before any work, decodes nothing twice, scores
     * the prior through the pipeline, and only then stores the new images and the campaign. {@code baseUrl} prefixes the
     * raters' links (empty: the path alone).
     */
    public Created create(String tenant, Spec req, String baseUrl) {
        String name = TenantNames.check("name", req.name());
        Campaign.Task task = switch (req.task() == null ? "" : req.task().toLowerCase(Locale.ROOT)) {
            case "rating" -> Campaign.Task.RATING;
            case "pairwise" -> Campaign.Task.PAIRWISE;
            default -> throw invalid("task", "task must be 'rating' (1–4 with anchors) or 'pairwise' (which is better)");
        };
        List<ImageSource> images = req.images() == null ? List.of() : req.images();
        if (images.size() < 2) {
            throw invalid("images", "a campaign needs at least 2 images, got " + images.size());
        }
        List<String> anchors = req.anchors() == null || req.anchors().isEmpty() ? DEFAULT_ANCHORS : req.anchors();
        if (task == Campaign.Task.RATING && anchors.size() != 4) {
            throw invalid("anchors", "a 1–4 rating needs 4 anchor descriptions, got " + anchors.size());
        }
        if (task == Campaign.Task.PAIRWISE && req.anchors() != null && !req.anchors().isEmpty()) {
            throw invalid("anchors", "anchors describe the 1–4 rating scale; a pairwise campaign has none");
        }
        anchors.forEach(a -> text("anchors", a));
        int raters = req.raters() == null ? 1 : req.raters();
        if (raters < 1) {
            throw invalid("raters", "raters must be at least 1, got " + raters);
        }
        long allPairs = (long) images.size() * (images.size() - 1) / 2;
        if (task == Campaign.Task.RATING && req.comparisons() != null) {
            throw invalid("comparisons", "comparisons is the pairs per rater of a pairwise campaign; a rating campaign"
                    + " asks each rater for every image once");
        }
        int comparisons = req.comparisons() == null ? (int) Math.min(allPairs, 2L * images.size()) : req.comparisons();
        if (task == Campaign.Task.PAIRWISE && (comparisons < 1 || comparisons > allPairs)) {
            throw invalid("comparisons", "comparisons per rater must be 1–" + allPairs + " (the pairs of " + images.size()
                    + " images), got " + comparisons);
        }
        String title = req.title() == null || req.title().isBlank() ? name : text("title", req.title());
        quotas.checkCampaign(tenant, images.size(), raters);
        String headName = req.head() == null || req.head().isEmpty() ? DEFAULT_HEAD : req.head();
        ModelPack pack = packs.get(tenant, req.pack() == null ? "" : req.pack());
        List<ScoringPipeline.Selection> selection = ScoringPipeline.select(pack, List.of(headName));

        // hash and check the images before anything is stored
        Map<String, byte[]> uploads = new LinkedHashMap<>();
        List<String> hashes = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            ImageSource im = images.get(i);
            String field = "images[" + i + "]";
            if (im == null || (im.data() == null) == (im.sha256() == null || im.sha256().isEmpty())) {
                throw invalid(field, field + " needs exactly one of data (the image) or sha256 (an image stored before)");
            }
            String sha;
            if (im.data() != null) {
                if (im.data().length == 0) {
                    throw invalid(field, field + ".data is empty");
                }
                sha = ScoringPipeline.sha256(im.data());
                uploads.putIfAbsent(sha, im.data());
            } else {
                sha = im.sha256();
                if (!SHA256.matcher(sha).matches()) {
                    throw invalid(field, field + ".sha256 must be 64 lowercase hex digits");
                }
            }
            if (hashes.contains(sha)) {
                throw invalid(field, field + " is the same image as images[" + hashes.indexOf(sha) + "]");
            }
            hashes.add(sha);
            names.add(im.name() == null || im.name().isBlank() ? "image-" + (i + 1) : text(field + ".name", im.name()));
        }
        long newBytes = 0;
        for (var e : uploads.entrySet()) {
            newBytes += store.imageSize(tenant, e.getKey()) < 0 ? e.getValue().length : 0;
        }
        quotas.checkRatingImageBytes(tenant, newBytes);
        if (store.list(tenant).contains(name)) {
            throw Campaign.exists(name);
        }
        List<byte[]> content = new ArrayList<>();
        for (int i = 0; i < hashes.size(); i++) {
            byte[] b = uploads.containsKey(hashes.get(i)) ? uploads.get(hashes.get(i)) : store.image(tenant, hashes.get(i));
            if (b == null) {
                throw new ImageScoreException(ErrorCode.NOT_STORED, "images[" + i + "].sha256: tenant '" + tenant
                        + "' has no stored image " + hashes.get(i) + "; upload its data", Map.of("field", "images[" + i + "]"), null);
            }
            content.add(b);
        }
        double[] priors = priors(pack, selection, names, content);

        List<Campaign.Rater> stored = new ArrayList<>();
        List<RaterLink> links = newRaters(tenant, name, stored, raters, baseUrl);
        List<Campaign.Image> campaignImages = new ArrayList<>();
        for (int i = 0; i < hashes.size(); i++) {
            campaignImages.add(new Campaign.Image(hashes.get(i), names.get(i), priors[i]));
        }
        Campaign c = new Campaign(name, title, task, pack.name(), headName, task == Campaign.Task.RATING ? anchors : List.of(),
                campaignImages, stored, task == Campaign.Task.PAIRWISE ? comparisons : 0,
                store.now().toString()); // the store's clock, as every activity time: retention measures idleness on it
        store.create(tenant, c, uploads);
        return new Created(name, task.name().toLowerCase(Locale.ROOT), hashes.size(), links, c);
    }

    /** Appends {@code count} raters with fresh tokens to {@code raters}; returns their links (the only copy of the tokens). */
    private static List<RaterLink> newRaters(String tenant, String campaign, List<Campaign.Rater> raters, int count, String baseUrl) {
        List<RaterLink> links = new ArrayList<>();
        for (int r = 0; r < count; r++) {
            String token = ApiKeys.randomToken(TOKEN_PREFIX);
            String id = "r" + (raters.size() + 1);
            raters.add(new Campaign.Rater(id, ApiKeys.hash(token)));
            links.add(new RaterLink(id, token, baseUrl + "/rating/" + tenant + "/" + campaign + "?token=" + token));
        }
        return links;
    }

    /**
     * New raters for a campaign ({@code baseUrl} prefixes their links; empty gives the path alone). Bounded by
     * imagescore.quotas.campaign-raters active raters and .campaign-rater-tokens in all, revoked ones included.
     */
    public List<RaterLink> addRaters(String tenant, String name, int count, String baseUrl) {
        if (count < 1) {
            throw invalid("count", "count must be at least 1, got " + count);
        }
        java.util.concurrent.atomic.AtomicReference<List<RaterLink>> links = new java.util.concurrent.atomic.AtomicReference<>();
        store.update(tenant, TenantNames.check("campaign", name), c -> {
            quotas.checkRaters(name, (int) c.raters().stream().filter(Campaign.Rater::active).count(), c.raters().size(), count);
            List<Campaign.Rater> raters = new ArrayList<>(c.raters());
            links.set(newRaters(tenant, name, raters, count, baseUrl));
            return c.withRaters(raters);
        });
        return links.get();
    }

    /** Revokes the rater's token (the page then answers RATER_REVOKED); their answers stay. Revoking twice changes nothing. */
    public Campaign revokeRater(String tenant, String name, String rater) {
        posteriors.invalidate(tenant, name);
        return store.update(tenant, TenantNames.check("campaign", name), c -> {
            if (c.raters().stream().noneMatch(r -> r.id().equals(rater))) {
                throw invalid("rater", "campaign '" + name + "' has no rater " + TenantNames.quote(rater) + "; its raters are "
                        + c.raters().stream().map(Campaign.Rater::id).toList());
            }
            String now = Instant.now().toString();
            return c.withRaters(c.raters().stream().map(r -> r.id().equals(rater) && r.active()
                    ? new Campaign.Rater(r.id(), r.tokenSha256(), now) : r).toList());
        });
    }

    /** Deletes the campaign, its log and the images no other campaign of the tenant uses. */
    public CampaignStore.Deleted delete(String tenant, String name) {
        return delete(tenant, name, null);
    }

    /**
     * Retention's delete ({@link CampaignStore#delete(String, String, java.time.Duration)}): only while the campaign has
     * had no activity for longer than {@code idle} on the store's clock, checked atomically with the delete; null when
     * it was active since.
     */
    public CampaignStore.Deleted deleteIfIdle(String tenant, String name, java.time.Duration idle) {
        return delete(tenant, name, java.util.Objects.requireNonNull(idle));
    }

    private CampaignStore.Deleted delete(String tenant, String name, java.time.Duration idle) {
        String campaign = TenantNames.check("campaign", name);
        ReentrantLock lock = appendLock(tenant, campaign);
        lock.lock();
        boolean kept = false;
        try {
            CampaignStore.Deleted deleted = store.delete(tenant, campaign, idle);
            kept = deleted == null;
            return deleted;
        } finally {
            if (!kept) {
                posteriors.invalidate(tenant, campaign);
            }
            lock.unlock();
            if (!kept) {
                // a kept campaign keeps its lock: appends waiting on it must not race one on a fresh lock
                appendLocks.remove(tenant + "/" + campaign, lock);
            }
        }
    }

    /** The head's score of every image, in request-sized chunks; an image the pipeline cannot read fails the request. */
    private double[] priors(ModelPack pack, List<ScoringPipeline.Selection> selection, List<String> names, List<byte[]> content) {
        double[] out = new double[content.size()];
        int chunk = 32;
        for (int from = 0; from < content.size(); from += chunk) {
            if (io.grpc.Context.current().isCancelled()) {
                throw new ImageScoreException(ErrorCode.CANCELLED, "the caller cancelled the campaign's creation");
            }
            List<ImageInput> batch = new ArrayList<>();
            for (int i = from; i < Math.min(content.size(), from + chunk); i++) {
                batch.add(new ImageInput(names.get(i), ByteBuffer.wrap(content.get(i))));
            }
            List<Outcome<ScoredImage>> scored = pipeline.score(pack, batch, selection, false,
                    PreprocessModes.fromProto(0), ScoreGrpcService.deadline());
            for (int k = 0; k < scored.size(); k++) {
                Outcome<ScoredImage> o = scored.get(k);
                if (o.error() != null) {
                    throw new ImageScoreException(o.error().code(), "images[" + (from + k) + "] ('" + names.get(from + k)
                            + "'): " + o.error().getMessage(), Map.of("field", "images[" + (from + k) + "]"), null);
                }
                out[from + k] = o.value().scalars().isEmpty() ? Double.NaN : o.value().scalars().getFirst().value();
            }
        }
        return out;
    }

    public Campaign campaign(String tenant, String name) {
        return store.get(tenant, TenantNames.check("campaign", name));
    }

    /** One page of a tenant's campaign names, by name, and the token of the next page (empty: this is the last). */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record CampaignPage(List<String> campaigns, String nextPageToken) {
    }

    private static final String CAMPAIGNS = "campaigns";

    /** A page of the tenant's campaigns ({@link PageTokens}: the size and token rules); the store reads one page more by one name. */
    public CampaignPage list(String tenant, int pageSize, String pageToken) {
        PageTokens.Page p = PageTokens.read(CAMPAIGNS, tenant, pageSize, pageToken);
        List<String> names = store.list(tenant, p.after(), p.size() + 1);
        if (names.size() <= p.size()) {
            return new CampaignPage(names, "");
        }
        List<String> page = names.subList(0, p.size());
        return new CampaignPage(page, nextPage(tenant, page.getLast()));
    }

    /** The page token that lists the tenant's campaigns after {@code last}. */
    static String nextPage(String tenant, String last) {
        return PageTokens.next(CAMPAIGNS, tenant, last);
    }

    /**
     * The rater id that {@code token} names in the campaign, or null (compared in constant time); RATER_REVOKED when the
     * owner revoked that rater's token.
     */
    public static String raterOf(Campaign c, String token) {
        if (token == null || !token.startsWith(TOKEN_PREFIX)) {
            return null;
        }
        byte[] hash = ApiKeys.hash(token).getBytes(StandardCharsets.US_ASCII);
        Campaign.Rater found = null;
        for (Campaign.Rater r : c.raters()) {
            if (MessageDigest.isEqual(hash, r.tokenSha256().getBytes(StandardCharsets.US_ASCII))) {
                found = r;
            }
        }
        if (found != null && !found.active()) {
            throw new ImageScoreException(ErrorCode.RATER_REVOKED, "the token of rater " + found.id() + " in campaign '" + c.name()
                    + "' was revoked at " + found.revoked() + "; ask the campaign's owner for a new link",
                    Map.of("rater", found.id(), "campaign", c.name()), null);
        }
        return found == null ? null : found.id();
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Shown(int index, String name, String sha256) {
    }

    /** What the page shows a rater: progress and the next item (or pair), or {@code finished}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record RaterState(String campaign, String title, String task, String rater, int done, int total,
                             boolean finished, boolean canUndo, Shown item, Shown second, List<String> anchors) {
    }

    public RaterState state(String tenant, Campaign c, String rater) {
        return posteriors.use(tenant, c, (log, posterior) -> state(c, log, rater, posterior));
    }

    private static RaterState state(Campaign c, JudgementLog log, String rater, java.util.function.Supplier<CampaignPosterior> posterior) {
        RaterQueue q = RaterQueue.of(c, log, rater, posterior);
        return new RaterState(c.name(), c.title(), c.task().name().toLowerCase(Locale.ROOT), rater, q.done(), q.total(),
                q.finished(), q.canUndo(), q.item() < 0 ? null : shown(c, q.item()), q.second() < 0 ? null : shown(c, q.second()),
                c.anchors());
    }

    private static Shown shown(Campaign c, int i) {
        return new Shown(i, c.images().get(i).name(), c.images().get(i).sha256());
    }

    /** One answer: {@code rating} 1–4 for {@code item}; or {@code outcome} first/second/tie for the pair; or {@code skip}. */
    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Answer(Integer item, Integer second, Integer rating, String outcome, Boolean skip) {
    }

    public RaterState answer(String tenant, Campaign c, String rater, Answer a) {
        if (a == null || a.item() == null) {
            throw invalid("item", "item (the index of the image shown) is required");
        }
        int item = index(c, "item", a.item());
        Judgement j;
        boolean skip = Boolean.TRUE.equals(a.skip());
        if (c.task() == Campaign.Task.RATING) {
            if (skip) {
                j = Judgement.skip(rater, item, -1);
            } else {
                if (a.rating() == null || a.rating() < 1 || a.rating() > 4) {
                    throw invalid("rating", "rating must be 1, 2, 3 or 4, got " + a.rating());
                }
                j = Judgement.rate(rater, item, a.rating());
            }
        } else {
            if (a.second() == null) {
                throw invalid("second", "second (the index of the image shown second) is required for a pair");
            }
            int second = index(c, "second", a.second());
            if (second == item) {
                throw invalid("second", "a pair needs two different images");
            }
            if (skip) {
                j = Judgement.skip(rater, item, second);
            } else {
                PairOutcome o = switch (a.outcome() == null ? "" : a.outcome().toLowerCase(Locale.ROOT)) {
                    case "first" -> PairOutcome.FIRST;
                    case "second" -> PairOutcome.SECOND;
                    case "tie" -> PairOutcome.TIE;
                    default -> throw invalid("outcome", "outcome must be 'first', 'second' or 'tie' (can't tell)");
                };
                j = Judgement.pair(rater, item, second, o);
            }
        }
        return append(tenant, c, rater, (log, posterior) -> {
            RaterQueue q = RaterQueue.of(c, log, rater, posterior);
            if (q.finished()) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "rater " + rater + " has finished campaign '" + c.name() + "'",
                        Map.of("field", "item"), null);
            }
            boolean done = c.task() == Campaign.Task.RATING ? log.itemsDone(rater).contains(item)
                    : log.pairsDone(rater).contains(io.imagescore.rating.Pair.of(item, j.second()));
            if (done) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "rater " + rater + " already answered this "
                        + (c.task() == Campaign.Task.RATING ? "image" : "pair") + "; undo to change it", Map.of("field", "item"), null);
            }
            return j;
        });
    }

    public RaterState undo(String tenant, Campaign c, String rater) {
        return append(tenant, c, rater, (log, posterior) -> {
            Judgement last = log.last(rater);
            if (last == null) {
                throw new ImageScoreException(ErrorCode.INVALID_REQUEST, "rater " + rater + " has nothing to undo");
            }
            return Judgement.undo(rater, last.seq());
        });
    }

    /**
     * Stores the entry {@code make} derives from the log (and posterior) in force, after the judgements quota; replies
     * with the rater's new state, chosen from the posterior with that entry in.
     */
    private RaterState append(String tenant, Campaign c, String rater,
                              java.util.function.BiFunction<JudgementLog, java.util.function.Supplier<CampaignPosterior>, Judgement> make) {
        ReentrantLock lock = appendLock(tenant, c.name());
        lock.lock();
        try {
            Judgement j = posteriors.use(tenant, c, (log, posterior) -> {
                Judgement next = make.apply(log, posterior);
                quotas.checkJudgement(c.name(), log.all().size());
                return next;
            });
            store.append(tenant, c.name(), j);
            return state(tenant, c, rater);
        } finally {
            lock.unlock();
        }
    }

    private ReentrantLock appendLock(String tenant, String campaign) {
        return appendLocks.computeIfAbsent(tenant + "/" + campaign, k -> new ReentrantLock());
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Summary(String name, String title, String task, String head, int images, int raters, int perRater,
                          Map<String, Integer> progress, List<String> revoked, Map<String, Object> agreement) {
    }

    /** The statistics as JSON: a value without data (NaN) is null, not the non-standard token NaN. */
    static Map<String, Object> json(Agreement a) {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("answers", a.answers());
        out.put("raters", a.raters());
        out.put("units", a.units());
        out.put("exact", finite(a.exact()));
        out.put("adjacent", finite(a.adjacent()));
        out.put("alpha", finite(a.alpha()));
        out.put("intransitive", a.intransitive());
        return out;
    }

    private static Double finite(double v) {
        return Double.isFinite(v) ? v : null;
    }

    public Summary summary(String tenant, Campaign c) {
        JudgementLog log = new JudgementLog(store.judgements(tenant, c.name()));
        Map<String, Integer> progress = new LinkedHashMap<>();
        c.raters().forEach(r -> progress.put(r.id(), log.of(r.id()).size()));
        return new Summary(c.name(), c.title(), c.task().name().toLowerCase(Locale.ROOT), c.head(), c.size(),
                (int) c.raters().stream().filter(Campaign.Rater::active).count(), c.perRater(), progress,
                c.raters().stream().filter(r -> !r.active()).map(Campaign.Rater::id).toList(), json(Agreement.of(c.task(), log.answers())));
    }

    public List<Judgement> answers(String tenant, Campaign c) {
        return new JudgementLog(store.judgements(tenant, c.name())).answers();
    }

    public byte[] image(String tenant, Campaign c, int index) {
        byte[] b = store.image(tenant, c.images().get(index(c, "image", index)).sha256());
        if (b == null) {
            throw new ImageScoreException(ErrorCode.NOT_STORED, "image " + index + " of campaign '" + c.name() + "' is not stored");
        }
        return b;
    }

    @JsonNaming(PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Fitted(String head, String version, List<String> versions, String kind, int examples, String metrics,
                         @com.fasterxml.jackson.annotation.JsonIgnore FitReport.CrossValidation cv) {
    }

    /**
     * Fits a head on the campaign's answers through FitHead's own path: ratings → a ridge head on each image's mean
     * rating, pairs → a RankNet head on the comparisons (can't tell = a tie). Publishes a new version of {@code head}.
     */
    public Fitted fit(String tenant, Campaign c, String head) {
        String name = TenantNames.check("head", head == null || head.isEmpty() ? c.name() : head);
        List<Judgement> answers = answers(tenant, c);
        List<LabelledImage> images = new ArrayList<>();
        List<Comparison> comparisons = new ArrayList<>();
        FitKind kind;
        int examples;
        if (c.task() == Campaign.Task.RATING) {
            Map<Integer, double[]> sums = new java.util.TreeMap<>();
            answers.forEach(j -> {
                double[] s = sums.computeIfAbsent(j.item(), k -> new double[2]);
                s[0] += j.rating();
                s[1]++;
            });
            sums.forEach((i, s) -> images.add(labelled(tenant, c, i, s[0] / s[1])));
            kind = FitKind.REGRESSION;
            examples = sums.size();
        } else {
            java.util.TreeSet<Integer> used = new java.util.TreeSet<>();
            for (Judgement j : answers) {
                int better = j.outcome() == PairOutcome.SECOND ? j.second() : j.item();
                int worse = better == j.item() ? j.second() : j.item();
                comparisons.add(new Comparison(c.images().get(better).sha256(), c.images().get(worse).sha256(),
                        j.outcome() == PairOutcome.TIE ? 0.5 : 1.0));
                used.add(better);
                used.add(worse);
            }
            used.forEach(i -> images.add(labelled(tenant, c, i, Double.NaN)));
            kind = FitKind.PAIRWISE;
            examples = answers.size();
        }
        if (examples == 0) {
            throw new ImageScoreException(ErrorCode.INSUFFICIENT_LABELS, "campaign '" + c.name() + "' has no answers to fit on yet");
        }
        ModelPack pack = packs.get(tenant, c.pack());
        // FitHead's defaults for a request that sets only the name, kind and description
        FitSpec spec = new FitSpec(name, kind, pack.preprocessing().views(), 0, 5, List.of(), Calibrate.Method.NONE, 0,
                0, "fitted on rating campaign " + c.name(), "", true, PreprocessMode.EXACT, FitSpec.Classifier.LOGISTIC);
        TenantHeads.Published published = heads.fit(tenant, pack, spec, images, comparisons, ScoreGrpcService.deadline());
        FitReport.CrossValidation cv = published.report().cv();
        String metrics = cv.regression() != null
                ? String.format(Locale.ROOT, "cv srcc %.3f, plcc %.3f", cv.regression().srcc(), cv.regression().plcc())
                : String.format(Locale.ROOT, "cv pairwise accuracy %.3f, kendall tau %.3f",
                        cv.ranking().pairwiseAccuracy(), cv.ranking().kendallTau());
        return new Fitted(published.head().name(), published.version(), published.versions(),
                kind == FitKind.REGRESSION ? "regression" : "pairwise", examples, metrics, cv);
    }

    /** A candidate wording pair of the tune action's JSON. */
    public record Candidate(String positive, String negative) {
        io.imagescore.prompt.PromptSet.Pair pair() {
            return new io.imagescore.prompt.PromptSet.Pair(positive, negative);
        }
    }

    /**
     * What a tune action needs besides the campaign: the pack with a text encoder (empty = the campaign's), the prompt
     * set receiving the version, the viewpoint's candidates (its name empty = the campaign's name) and the tuner's knobs
     * (zeros = the defaults of TuneLabels).
     */
    public record TuneSpec(String pack, String promptSet, LabelTuning.Viewpoint viewpoint, int folds, int maxPairs, long seed,
                           boolean activate, boolean dryRun, PreprocessMode mode) {
    }

    /**
     * Label tuning on a rating campaign's answers through the TuneLabels path ({@link PromptTuning}): every image's 1–4
     * ratings (all raters) become ratings of one viewpoint; the result is a new version of the prompt set.
     */
    public PromptTuning.Tuned tune(String tenant, Campaign c, TuneSpec spec) {
        if (c.task() != Campaign.Task.RATING) {
            throw invalid("campaign", "label tuning needs 1–4 ratings; campaign '" + c.name() + "' collects pairwise choices"
                    + " (fit a head on them instead)");
        }
        TenantNames.checkOptional("prompt_set", spec.promptSet());
        LabelTuning.Viewpoint v = spec.viewpoint().name() == null || spec.viewpoint().name().isEmpty()
                ? new LabelTuning.Viewpoint(c.name(), spec.viewpoint().candidates(), spec.viewpoint().templates()) : spec.viewpoint();
        Map<Integer, List<Double>> ratings = new java.util.TreeMap<>();
        answers(tenant, c).forEach(j -> ratings.computeIfAbsent(j.item(), k -> new ArrayList<>()).add((double) j.rating()));
        if (ratings.isEmpty()) {
            throw new ImageScoreException(ErrorCode.INSUFFICIENT_LABELS, "campaign '" + c.name() + "' has no ratings to tune on yet");
        }
        List<LabelTuning.RatedImage> images = new ArrayList<>();
        ratings.forEach((i, r) -> images.add(new LabelTuning.RatedImage(new ImageInput(c.images().get(i).name(),
                ByteBuffer.wrap(image(tenant, c, i))), Map.of(v.name(), r))));
        ModelPack pack = packs.get(tenant, spec.pack() == null || spec.pack().isEmpty() ? c.pack() : spec.pack());
        LabelTuner.Options options = PromptTuning.options(spec.folds(), spec.maxPairs(), spec.seed(), 0, 0);
        return tuning.tune(tenant, spec.promptSet() == null ? "" : spec.promptSet(),
                new LabelTuning.Request(pack, List.of(v), images, options, spec.mode()), spec.activate(), spec.dryRun(),
                "label tuning on rating campaign " + c.name() + ", seed " + spec.seed() + ", " + images.size() + " images");
    }

    private LabelledImage labelled(String tenant, Campaign c, int i, double target) {
        String sha256 = c.images().get(i).sha256();
        return new LabelledImage(ImageRef.ofBytes(sha256, ByteBuffer.wrap(image(tenant, c, i))), target, null);
    }

    private static int index(Campaign c, String field, int i) {
        if (i < 0 || i >= c.size()) {
            throw invalid(field, field + " must be an image index 0–" + (c.size() - 1) + ", got " + i);
        }
        return i;
    }

    private static String text(String field, String s) {
        if (s.length() > MAX_TEXT || s.chars().anyMatch(ch -> ch < 0x20)) {
            throw invalid(field, field + " must be at most " + MAX_TEXT + " characters without control characters");
        }
        return s;
    }

    static ImageScoreException invalid(String field, String message) {
        return new ImageScoreException(ErrorCode.INVALID_REQUEST, message, Map.of("field", field), null);
    }
}
