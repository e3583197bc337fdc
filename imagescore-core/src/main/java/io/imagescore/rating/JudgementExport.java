package io.imagescore.rating;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;
import java.util.Locale;

/**
 * A campaign's answers in force as CSV (RFC 4180, header row) or JSON Lines, one row per answer, with the images'
 * names and SHA-256 so the file stands on its own (docs/rating.md, "Export"). Skips and withdrawn answers are left out.
 */
public final class JudgementExport {
    public static final List<String> COLUMNS = List.of("seq", "created", "rater", "task", "image", "image_sha256",
            "rating", "second", "second_sha256", "outcome");

    private JudgementExport() {
    }

    public static String csv(Campaign c, List<Judgement> answers) {
        StringBuilder out = new StringBuilder(String.join(",", COLUMNS)).append("\r\n");
        for (Judgement j : answers) {
            ObjectNode row = row(c, j);
            for (int i = 0; i < COLUMNS.size(); i++) {
                out.append(i == 0 ? "" : ",").append(csvField(row.path(COLUMNS.get(i)).isNull()
                        ? "" : row.path(COLUMNS.get(i)).asText("")));
            }
            out.append("\r\n");
        }
        return out.toString();
    }

    public static String jsonl(Campaign c, List<Judgement> answers) {
        StringBuilder out = new StringBuilder();
        for (Judgement j : answers) {
            out.append(row(c, j)).append('\n');
        }
        return out.toString();
    }

    /** One answer as the export's fields ({@link #COLUMNS}; null where the task has none). */
    public static ObjectNode row(Campaign c, Judgement j) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("seq", j.seq()).put("created", j.created()).put("rater", j.rater())
                .put("task", c.task().name().toLowerCase(Locale.ROOT))
                .put("image", c.images().get(j.item()).name()).put("image_sha256", c.images().get(j.item()).sha256());
        if (j.kind() == Judgement.Kind.RATE) {
            o.put("rating", j.rating());
            o.putNull("second").putNull("second_sha256").putNull("outcome");
        } else {
            o.putNull("rating");
            o.put("second", c.images().get(j.second()).name()).put("second_sha256", c.images().get(j.second()).sha256())
                    .put("outcome", j.outcome().name().toLowerCase(Locale.ROOT));
        }
        return o;
    }

    private static String csvField(String s) {
        return s.contains(",") || s.contains("\"") || s.contains("\n") || s.contains("\r")
                ? "\"" + s.replace("\"", "\"\"") + "\"" : s;
    }
}
