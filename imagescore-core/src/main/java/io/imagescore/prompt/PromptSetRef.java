package io.imagescore.prompt;

/** Which prompt-set version produced scores: tenant, name, version ("1", "2", …) and the content hash of its spec. */
public record PromptSetRef(String tenant, String name, String version, String contentHash) {

    @Override
    public String toString() {
        return tenant + "/" + name + "@" + version;
    }
}
