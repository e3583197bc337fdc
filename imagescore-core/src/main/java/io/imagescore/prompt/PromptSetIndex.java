package io.imagescore.prompt;

import io.imagescore.error.ErrorCode;
import io.imagescore.error.ImageScoreException;
import io.imagescore.prompt.PromptSetStore.StoredVersion;
import io.imagescore.prompt.PromptSetStore.Summary;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The in-memory view of prompt sets both store implementations serve reads from: per (tenant, name) the readable
 * versions and the active one. Replacing a set's state is atomic; readers never see half an update.
 */
public final class PromptSetIndex {
    /** A set's readable versions by number and its active version number. */
    public record SetState(NavigableMap<Integer, StoredVersion> versions, int active) {
    }

    private final Map<String, SetState> sets = new ConcurrentHashMap<>();

    /** The set's state, or null. */
    public SetState find(String tenant, String name) {
        return sets.get(key(tenant, name));
    }

    public void put(String tenant, String name, SetState state) {
        sets.put(key(tenant, name), state);
    }

    public void remove(String tenant, String name) {
        sets.remove(key(tenant, name));
    }

    /** Replaces everything (a full reload). */
    public synchronized void replaceAll(Map<String, SetState> byKey) {
        sets.keySet().retainAll(byKey.keySet());
        sets.putAll(byKey);
    }

    /** The named version, or the active one for an empty version. */
    public StoredVersion get(String tenant, String name, String version) {
        SetState s = state(tenant, name);
        if (version == null || version.isEmpty()) {
            return s.versions().get(s.active());
        }
        StoredVersion v = version.chars().allMatch(Character::isDigit) && version.length() < 10
                ? s.versions().get(Integer.parseInt(version)) : null;
        if (v == null) {
            throw new ImageScoreException(ErrorCode.UNKNOWN_PROMPT_SET, "prompt set '" + tenant + "/" + name
                    + "' has no version '" + version + "'; versions: " + s.versions().keySet(),
                    Map.of("tenant", tenant, "prompt_set", name, "version", version), null);
        }
        return v;
    }

    public boolean isActive(StoredVersion v) {
        SetState s = sets.get(key(v.tenant(), v.name()));
        return s != null && Integer.toString(s.active()).equals(v.version());
    }

    /** Every set of a tenant (all tenants for an empty tenant), by tenant then name. */
    public List<Summary> list(String tenant) {
        List<Summary> out = new ArrayList<>();
        new TreeMap<>(sets).forEach((k, s) -> {
            StoredVersion any = s.versions().firstEntry().getValue();
            if (tenant == null || tenant.isEmpty() || any.tenant().equals(tenant)) {
                out.add(new Summary(any.tenant(), any.name(), Integer.toString(s.active()),
                        s.versions().keySet().stream().map(String::valueOf).toList()));
            }
        });
        return out;
    }

    /** The set's state; UNKNOWN_PROMPT_SET naming the tenant's sets when there is none. */
    public SetState state(String tenant, String name) {
        SetState s = sets.get(key(tenant, name));
        if (s == null) {
            List<String> names = list(tenant).stream().map(Summary::name).toList();
            throw new ImageScoreException(ErrorCode.UNKNOWN_PROMPT_SET, "tenant '" + tenant + "' has no prompt set '" + name
                    + "'" + (names.isEmpty() ? " (it has none)" : "; it has " + names),
                    Map.of("tenant", String.valueOf(tenant), "prompt_set", String.valueOf(name)), null);
        }
        return s;
    }

    public static String key(String tenant, String name) {
        return tenant + "/" + name;
    }
}
