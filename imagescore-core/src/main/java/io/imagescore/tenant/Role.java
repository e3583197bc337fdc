package io.imagescore.tenant;

import java.util.Locale;

/** What an API key may do. {@code ADMIN} acts on any tenant; the others only on the key's own tenant. */
public enum Role {
    /** Score, sort, describe, read prompt sets and regulations, evaluate heads. */
    SCORE,
    /** Change stored state: prompt sets, regulations, fitted heads, label tuning. Implies nothing about scoring. */
    CONFIGURE,
    /** Any RPC for any tenant. */
    ADMIN;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Role parse(String s) {
        for (Role r : values()) {
            if (r.id().equals(s.trim().toLowerCase(Locale.ROOT))) {
                return r;
            }
        }
        throw new IllegalArgumentException("unknown role '" + s + "' (score, configure, admin)");
    }
}
