package io.imagescore.api;

import io.imagescore.api.v1.Calibration;
import io.imagescore.api.v1.PromptAttribute;
import io.imagescore.api.v1.PromptList;
import io.imagescore.api.v1.PromptPair;
import io.imagescore.api.v1.PromptSetSpec;
import io.imagescore.api.v1.PromptSetVersion;
import io.imagescore.api.v1.ZeroShotClassifier;
import io.imagescore.prompt.PromptSet;
import io.imagescore.prompt.PromptSetRef;
import io.imagescore.prompt.PromptSetStore;
import io.imagescore.tenant.TenantNames;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Domain ↔ proto for prompt sets. */
final class PromptSetMessages {
    private PromptSetMessages() {
    }

    /** The request's tenant (empty = "default"), checked against the naming rule. */
    static String tenant(String t) {
        return TenantNames.tenant(t);
    }

    /** A prompt-set name, checked against the naming rule. */
    static String name(String name) {
        return TenantNames.check("prompt_set", name);
    }

    /** A prompt-set version: empty (the active one) or a version number. */
    static String version(String version) {
        return TenantNames.checkOptionalVersion("version", version);
    }

    static io.imagescore.api.v1.PromptSetRef ref(PromptSetRef r) {
        return io.imagescore.api.v1.PromptSetRef.newBuilder().setTenant(r.tenant()).setName(r.name()).setVersion(r.version())
                .setContentHash(r.contentHash()).build();
    }

    static PromptSet spec(PromptSetSpec s) {
        List<PromptSet.Attribute> attributes = s.getAttributesList().stream().map(a -> new PromptSet.Attribute(a.getName(),
                a.getDescription(), a.getPairsList().stream().map(p -> new PromptSet.Pair(p.getPositive(), p.getNegative())).toList(),
                a.getLevelsList(), a.getLevelValuesList(), a.hasCalibration() ? new PromptSet.Calibration(a.getCalibration().getSlope(),
                a.getCalibration().getIntercept(), a.getCalibration().getMin(), a.getCalibration().getMax()) : null)).toList();
        List<PromptSet.Classifier> classifiers = s.getClassifiersList().stream().map(c -> {
            Map<String, List<String>> extra = new LinkedHashMap<>();
            c.getClassPromptsMap().entrySet().stream().sorted(Map.Entry.comparingByKey())
                    .forEach(e -> extra.put(e.getKey(), e.getValue().getPromptsList()));
            return new PromptSet.Classifier(c.getName(), c.getDescription(), c.getTemplatesList(), c.getClassesList(), extra);
        }).toList();
        return new PromptSet(s.getDescription(), s.getPack(), attributes, classifiers);
    }

    static PromptSetSpec spec(PromptSet s) {
        PromptSetSpec.Builder b = PromptSetSpec.newBuilder().setDescription(s.description()).setPack(s.pack());
        for (PromptSet.Attribute a : s.attributes()) {
            PromptAttribute.Builder ab = PromptAttribute.newBuilder().setName(a.name()).setDescription(a.description())
                    .addAllLevels(a.levels()).addAllLevelValues(a.levelValues());
            a.pairs().forEach(p -> ab.addPairs(PromptPair.newBuilder().setPositive(p.positive()).setNegative(p.negative())));
            if (a.calibration() != null) {
                ab.setCalibration(Calibration.newBuilder().setSlope(a.calibration().slope()).setIntercept(a.calibration().intercept())
                        .setMin(a.calibration().min()).setMax(a.calibration().max()));
            }
            b.addAttributes(ab);
        }
        for (PromptSet.Classifier c : s.classifiers()) {
            ZeroShotClassifier.Builder cb = ZeroShotClassifier.newBuilder().setName(c.name()).setDescription(c.description())
                    .addAllTemplates(c.templates()).addAllClasses(c.classes());
            c.classPrompts().forEach((k, v) -> cb.putClassPrompts(k, PromptList.newBuilder().addAllPrompts(v).build()));
            b.addClassifiers(cb);
        }
        return b.build();
    }

    static PromptSetVersion version(PromptSetStore.StoredVersion v, boolean active) {
        return PromptSetVersion.newBuilder().setRef(ref(v.ref())).setSpec(spec(v.spec())).setCreated(v.created())
                .setActive(active).setNotes(v.notes()).build();
    }
}
