package io.imagescore.api;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.rating.Campaign;
import io.imagescore.rating.JudgementExport;
import io.imagescore.score.ScoreMetrics;
import io.imagescore.tenant.Role;
import io.imagescore.tenant.TenantNames;
import io.quarkus.qute.Engine;
import io.quarkus.qute.HtmlEscaper;
import io.quarkus.qute.ReflectionValueResolver;
import io.quarkus.qute.Template;
import io.quarkus.qute.Variant;
import io.vertx.core.http.HttpServerRequest;
import jakarta.inject.Inject;
import jakarta.ws.rs.Consumes;
import jakarta.ws.rs.GET;
import jakarta.ws.rs.POST;
import jakarta.ws.rs.Path;
import jakarta.ws.rs.PathParam;
import jakarta.ws.rs.Produces;
import jakarta.ws.rs.QueryParam;
import jakarta.ws.rs.core.Context;
import jakarta.ws.rs.core.MediaType;
import jakarta.ws.rs.core.Response;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The HTTP edge of rating campaigns, on the application's HTTP port (docs/rating.md):
 * <ul>
 *   <li>{@code GET /rating}: the campaign owner's page; {@code GET /rating/{tenant}/{campaign}?token=…}: the rater's
 *       page (server-side Qute templates, plain JavaScript under {@code /rating/static/});</li>
 *   <li>{@code /rating/api/{tenant}/campaigns…}: JSON. Creating, listing, summaries, export and the fit action need an
 *       API key (or client certificate) with role {@code configure} of that tenant, checked by the same
 *       {@link CallerInterceptor#authenticate} as every RPC; the rater's calls (state, answers, undo, images) take the
 *       campaign's rater token ({@code Authorization: Bearer rtk_…} or {@code ?token=}), or such a key.</li>
 * </ul>
 * Errors: {@link RatingErrors}.
 */
@Path("/rating")
public class RatingResource {
    @Inject
    RatingService rating;
    @Inject
    CallerInterceptor callers;
    @Inject
    ScoreMetrics metrics;

    private static final Engine QUTE = Engine.builder().addDefaults().addValueResolver(new ReflectionValueResolver())
            .addResultMapper(new HtmlEscaper(List.of(Variant.TEXT_HTML))).build();
    private static final Template RATE_PAGE = template("rate.html");
    private static final Template ADMIN_PAGE = template("admin.html");
    private static final Template ERROR_PAGE = template("error.html");

    private static Template template(String name) {
        try (InputStream in = RatingResource.class.getClassLoader().getResourceAsStream("rating/" + name)) {
            return QUTE.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), Variant.forContentType(Variant.TEXT_HTML), name);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("template rating/" + name + " is missing from the class path", e);
        }
    }

    @Context
    HttpServerRequest request;

    // ---------------------------------------------------------------- pages

    @GET
    @Produces(MediaType.TEXT_HTML)
    public Response adminPage() {
        return page(200, ADMIN_PAGE.render());
    }

    @GET
    @Path("{tenant}/{campaign}")
    @Produces(MediaType.TEXT_HTML)
    public Response raterPage(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign,
                              @QueryParam("token") String token) {
        try {
            Campaign c = rating.campaign(TenantNames.check("tenant", tenant), campaign);
            String rater = rater(tenant, c, token);
            return page(200, RATE_PAGE.data("c", c).data("tenant", tenant).data("rater", rater)
                    .data("pairwise", c.task() == Campaign.Task.PAIRWISE).render());
        } catch (ImageScoreException e) {
            if (e.code() == ErrorCode.INTERNAL) {
                throw e; // logged and answered without details by RatingErrors
            }
            // a person opened this link: the refusal as a page (a revoked token, a deleted campaign), same status and reason
            int status = RatingErrors.httpStatus(e.code().status());
            metrics.request("Rating", e.code().name());
            return page(status, ERROR_PAGE.data("reason", e.code().name()).data("message", e.getMessage())
                    .data("status", status).render());
        }
    }

    private static Response page(int status, String html) {
        // the rater's token is in the page's address: never send it on as a referrer
        return Response.status(status).entity(html).type(MediaType.TEXT_HTML_TYPE.withCharset("utf-8"))
                .header("Referrer-Policy", "no-referrer").header("Cache-Control", "no-store")
                .header("X-Content-Type-Options", "nosniff").build();
    }

    // ---------------------------------------------------------------- owner (role configure)

    @POST
    @Path("api/{tenant}/campaigns")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response create(@PathParam("tenant") String tenant, RatingService.NewCampaign body) {
        owner(tenant);
        RatingService.Created created = rating.create(tenant, body, baseUrl());
        metrics.request("RatingCreateCampaign", "ok");
        return Response.status(201).entity(created).build();
    }

    @GET
    @Path("api/{tenant}/campaigns")
    @Produces(MediaType.APPLICATION_JSON)
    public RatingService.CampaignPage list(@PathParam("tenant") String tenant, @QueryParam("page_size") String pageSize,
                                           @QueryParam("page_token") String pageToken) {
        owner(tenant);
        int size;
        try {
            size = pageSize == null || pageSize.isEmpty() ? 0 : Integer.parseInt(pageSize);
        } catch (NumberFormatException e) {
            throw RatingService.invalid("page_size", "page_size must be a whole number 0–" + PageTokens.MAX_SIZE);
        }
        return rating.list(tenant, size, pageToken);
    }

    @GET
    @Path("api/{tenant}/campaigns/{campaign}")
    @Produces(MediaType.APPLICATION_JSON)
    public RatingService.Summary summary(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign) {
        owner(tenant);
        return rating.summary(tenant, rating.campaign(tenant, campaign));
    }

    @GET
    @Path("api/{tenant}/campaigns/{campaign}/export")
    public Response export(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign,
                           @QueryParam("format") String format) {
        owner(tenant);
        Campaign c = rating.campaign(tenant, campaign);
        var answers = rating.answers(tenant, c);
        String f = format == null ? "csv" : format.toLowerCase(Locale.ROOT);
        return switch (f) {
            case "csv" -> download(JudgementExport.csv(c, answers), "text/csv; charset=utf-8", c.name() + ".csv");
            case "jsonl" -> download(JudgementExport.jsonl(c, answers), "application/x-ndjson; charset=utf-8", c.name() + ".jsonl");
            default -> throw RatingService.invalid("format", "format must be csv or jsonl, not " + TenantNames.quote(format));
        };
    }

    private static Response download(String body, String type, String file) {
        return Response.ok(body).header("Content-Type", type).header("Content-Disposition", "attachment; filename=\"" + file + "\"").build();
    }

    /** The fit action: a new version of head {@code head} (default: the campaign's name) fitted on the answers. */
    @POST
    @Path("api/{tenant}/campaigns/{campaign}/fit")
    @Produces(MediaType.APPLICATION_JSON)
    public RatingService.Fitted fit(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign,
                                    @QueryParam("head") String head) {
        owner(tenant);
        RatingService.Fitted fitted = rating.fit(tenant, rating.campaign(tenant, campaign), head);
        metrics.request("RatingFit", "ok");
        return fitted;
    }

    @com.fasterxml.jackson.databind.annotation.JsonNaming(com.fasterxml.jackson.databind.PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record TuneBody(String pack, String promptSet, String viewpoint, List<RatingService.Candidate> candidates, Integer folds,
                           Long seed, Boolean activate, Boolean dryRun) {
    }

    @com.fasterxml.jackson.databind.annotation.JsonNaming(com.fasterxml.jackson.databind.PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Tuned(String promptSet, String version, boolean reliable, String verdict, String report) {
    }

    /**
     * The label-tuning action (rating campaigns): a new version of prompt set {@code prompt_set} tuned on the ratings;
     * {@code version} is null when no candidate was reliable (the report says why) or on a dry run.
     */
    @POST
    @Path("api/{tenant}/campaigns/{campaign}/tune")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Tuned tune(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign, TuneBody body) {
        owner(tenant);
        if (body == null) {
            throw RatingService.invalid("body", "send the tuning as JSON: prompt_set, candidates [{positive, negative}]");
        }
        List<io.imagescore.prompt.PromptSet.Pair> pairs = body.candidates() == null ? List.of()
                : body.candidates().stream().map(RatingService.Candidate::pair).toList();
        RatingService.TuneSpec spec = new RatingService.TuneSpec(body.pack(), body.promptSet(),
                new io.imagescore.prompt.LabelTuning.Viewpoint(body.viewpoint(), pairs, null), body.folds() == null ? 0 : body.folds(), 0,
                body.seed() == null ? 0 : body.seed(), Boolean.TRUE.equals(body.activate()), Boolean.TRUE.equals(body.dryRun()),
                io.imagescore.image.PreprocessModes.fromProto(0));
        PromptTuning.Tuned t = rating.tune(tenant, rating.campaign(tenant, campaign), spec);
        var v = t.result().report().viewpoints().getFirst();
        metrics.request("RatingTune", "ok");
        return new Tuned(body.promptSet(), t.created() == null ? null : t.created().version(), v.reliable(), v.verdict(),
                io.imagescore.prompt.LabelTuning.table(t.result().report(), 10));
    }

    @com.fasterxml.jackson.databind.annotation.JsonNaming(com.fasterxml.jackson.databind.PropertyNamingStrategies.SnakeCaseStrategy.class)
    public record Deleted(String name, long judgements, int images, long imageBytes) {
    }

    /** Deletes the campaign, its answers and the images no other campaign of the tenant uses. */
    @jakarta.ws.rs.DELETE
    @Path("api/{tenant}/campaigns/{campaign}")
    @Produces(MediaType.APPLICATION_JSON)
    public Deleted delete(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign) {
        owner(tenant);
        var d = rating.delete(tenant, campaign);
        metrics.request("RatingDeleteCampaign", "ok");
        return new Deleted(campaign, d.judgements(), d.images(), d.imageBytes());
    }

    /** {@code count} new raters: their links, shown only in this reply. */
    @POST
    @Path("api/{tenant}/campaigns/{campaign}/raters")
    @Produces(MediaType.APPLICATION_JSON)
    public Map<String, List<RatingService.RaterLink>> addRaters(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign,
                                                               @QueryParam("count") Integer count) {
        owner(tenant);
        return Map.of("raters", rating.addRaters(tenant, campaign, count == null ? 1 : count, baseUrl()));
    }

    /** This server as the caller reached it (scheme and authority): the prefix of the rater links it hands out. */
    private String baseUrl() {
        return (request.isSSL() ? "https" : "http") + "://" + request.authority();
    }

    /** Revokes a rater's token; their answers stay. Replies with the campaign's summary. */
    @POST
    @Path("api/{tenant}/campaigns/{campaign}/raters/{rater}/revoke")
    @Produces(MediaType.APPLICATION_JSON)
    public RatingService.Summary revoke(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign,
                                        @PathParam("rater") String rater) {
        owner(tenant);
        return rating.summary(tenant, rating.revokeRater(tenant, campaign, rater));
    }

    // ---------------------------------------------------------------- rater

    @GET
    @Path("api/{tenant}/campaigns/{campaign}/state")
    @Produces(MediaType.APPLICATION_JSON)
    public RatingService.RaterState state(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign,
                                          @QueryParam("token") String token) {
        Campaign c = rating.campaign(TenantNames.check("tenant", tenant), campaign);
        return rating.state(tenant, c, rater(tenant, c, token));
    }

    @POST
    @Path("api/{tenant}/campaigns/{campaign}/answers")
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public RatingService.RaterState answer(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign,
                                           @QueryParam("token") String token, RatingService.Answer body) {
        Campaign c = rating.campaign(TenantNames.check("tenant", tenant), campaign);
        RatingService.RaterState s = rating.answer(tenant, c, rater(tenant, c, token), body);
        metrics.request("RatingAnswer", "ok");
        return s;
    }

    @POST
    @Path("api/{tenant}/campaigns/{campaign}/undo")
    @Produces(MediaType.APPLICATION_JSON)
    public RatingService.RaterState undo(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign,
                                         @QueryParam("token") String token) {
        Campaign c = rating.campaign(TenantNames.check("tenant", tenant), campaign);
        return rating.undo(tenant, c, rater(tenant, c, token));
    }

    @GET
    @Path("api/{tenant}/campaigns/{campaign}/images/{index}")
    public Response image(@PathParam("tenant") String tenant, @PathParam("campaign") String campaign,
                          @PathParam("index") int index, @QueryParam("token") String token) {
        Campaign c = rating.campaign(TenantNames.check("tenant", tenant), campaign);
        rater(tenant, c, token);
        byte[] bytes = rating.image(tenant, c, index);
        return Response.ok(bytes).header("Content-Type", imageType(bytes)).header("X-Content-Type-Options", "nosniff")
                .header("Cache-Control", "private, max-age=3600").build();
    }

    /** The media type from the image's magic bytes (the formats the pipeline decodes). */
    static String imageType(byte[] b) {
        String head = new String(b, 0, Math.min(b.length, 12), StandardCharsets.ISO_8859_1);
        if (head.startsWith("\u00ff\u00d8")) {
            return "image/jpeg";
        } else if (head.startsWith("\u0089PNG")) {
            return "image/png";
        } else if (head.startsWith("GIF8")) {
            return "image/gif";
        } else if (head.startsWith("RIFF") && head.startsWith("WEBP", 8)) {
            return "image/webp";
        } else if (head.startsWith("BM")) {
            return "image/bmp";
        } else if (head.startsWith("II*") || head.startsWith("MM\u0000*")) {
            return "image/tiff";
        }
        return "application/octet-stream";
    }

    // ---------------------------------------------------------------- identity

    /** The caller of this request from its credentials, exactly as for an RPC. */
    private Caller caller() {
        SocketAddress peer = null;
        var remote = request.remoteAddress();
        if (remote != null && remote.hostAddress() != null) {
            try {
                peer = new InetSocketAddress(InetAddress.ofLiteral(remote.hostAddress()), remote.port());
            } catch (IllegalArgumentException e) {
                peer = null; // not an IP literal (a Unix socket): not loopback
            }
        }
        return callers.authenticate(request.getHeader("Authorization"), peer, request.sslSession());
    }

    /** The tenant's owner: role configure (or admin), and the tenant of the path. */
    private Caller owner(String tenant) {
        TenantNames.check("tenant", tenant);
        Caller caller = caller();
        if (!caller.has(Role.CONFIGURE)) {
            throw new ImageScoreException(ErrorCode.ROLE_REQUIRED, "managing rating campaigns needs the role 'configure'; this"
                    + " caller has " + caller.identity().getRoles(), Map.of("role", Role.CONFIGURE.id()), null);
        }
        if (!caller.tenant().equals(tenant) && !caller.admin()) {
            throw new ImageScoreException(ErrorCode.TENANT_MISMATCH, "this key belongs to tenant '" + caller.tenant()
                    + "' and cannot act on tenant " + TenantNames.quote(tenant), Map.of("tenant", caller.tenant()), null);
        }
        return caller;
    }

    /**
     * The rater: the campaign's rater token (header or {@code token} parameter) names one; otherwise the tenant's owner
     * may rate too, as rater {@code owner}. A token of another campaign is unknown here.
     */
    private String rater(String tenant, Campaign c, String tokenParameter) {
        String auth = request.getHeader("Authorization");
        String token = auth != null && auth.regionMatches(true, 0, "Bearer " + RatingService.TOKEN_PREFIX, 0, 11)
                ? auth.substring(7).strip() : tokenParameter;
        if (token != null) {
            String rater = RatingService.raterOf(c, token);
            if (rater == null) {
                throw new ImageScoreException(ErrorCode.UNAUTHENTICATED, "unknown rater token for campaign '" + c.name() + "'");
            }
            return rater;
        }
        owner(tenant);
        return "owner";
    }
}
